"""The dataset adapters: file location, hash and column checks, filters, sensitive columns, row order."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from assess.datasets import (
    PUBLISHED_COLUMNS,
    DatasetError,
    LoadedDataset,
    list_datasets,
    load_dataset,
)
from assess.datasets._registry import _REGISTRY, data_directories, drop_duplicate_columns
from assess.datasets.compas import SENSITIVE_COLUMNS

pytestmark = pytest.mark.realdata

ALL = [
    "compas-broward", "compas-broward-unfiltered", "compas-broward-violent", "corels-compas-test",
    "corels-compas-train", "nc-recidivism", "rossi", "rossi-full",
]


def _copy(data_dir, tmp_path, name: str):
    """Copy a dataset's file into a fresh data directory under tmp_path; return the copy's path."""
    rel = _REGISTRY[name].file
    dest = tmp_path / "data" / rel
    dest.parent.mkdir(parents=True)
    shutil.copyfile(data_dir / rel, dest)
    return dest


# ----------------------------------------------------------------------------- registry and errors


def test_list_datasets():
    assert list_datasets() == ALL


def test_unknown_name_suggests():
    with pytest.raises(DatasetError, match=r"unknown dataset 'compas-browrd'.*Did you mean 'compas-broward'"):
        load_dataset("compas-browrd")


def test_missing_file_names_path_and_origin(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset("rossi", tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "rossi" / "rossi_lifelines.csv") in msg
    assert "lifelines" in msg and "0214400170e0" in msg  # where it comes from and which file


def test_missing_file_default_locations_mentions_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESS_DATA_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError, match=r"ASSESS_DATA_PATH"):
        load_dataset("nc-recidivism")


def test_env_var_is_used(monkeypatch, data_dir, tmp_path):
    _copy(data_dir, tmp_path, "rossi")
    monkeypatch.setenv("ASSESS_DATA_PATH", str(tmp_path / "data"))
    assert data_directories() == [tmp_path / "data"]
    ds = load_dataset("rossi")
    assert ds.path == tmp_path / "data" / "rossi" / "rossi_lifelines.csv"


def test_hash_mismatch_explains_and_verify_false_escapes(data_dir, tmp_path):
    f = _copy(data_dir, tmp_path, "rossi")
    text = f.read_text()
    f.write_text(text.replace("\n", "\r\n"))  # what re-saving on another platform does
    with pytest.raises(DatasetError) as err:
        load_dataset("rossi", tmp_path / "data")
    msg = str(err.value)
    expected = _REGISTRY["rossi"].sha256
    import hashlib

    actual = hashlib.sha256(f.read_bytes()).hexdigest()
    assert str(f) in msg and expected in msg and actual in msg
    assert "different version" in msg and "verify=False" in msg
    ds = load_dataset("rossi", tmp_path / "data", verify=False)
    assert not ds.verified and ds.sha256 == actual and len(ds.frame) == 432


def test_missing_column_named(data_dir, tmp_path):
    f = _copy(data_dir, tmp_path, "rossi")
    lines = f.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace("prio", "priors")
    f.write_text("".join(lines))
    with pytest.raises(DatasetError, match=r"lacks 1 required column\(s\): 'prio' \(found 'priors': renamed\?\)"):
        load_dataset("rossi", tmp_path / "data", verify=False)


def test_row_count_mismatch(data_dir, tmp_path):
    f = _copy(data_dir, tmp_path, "nc-recidivism")
    lines = f.read_text().splitlines(keepends=True)
    f.write_text("".join(lines[:-1]))
    with pytest.raises(DatasetError, match=r"has 1444 data rows, the documented file has 1445"):
        load_dataset("nc-recidivism", tmp_path / "data", verify=False)


def test_duplicate_columns_must_agree():
    raw = pd.DataFrame({"a": [1, 2, 3], "a.1": [1, 2, 4], "b": [0, 0, 0]})
    with pytest.raises(DatasetError, match=r"two 'a' columns differ in 1 rows"):
        drop_duplicate_columns(raw, "x", ("a",))
    ok = drop_duplicate_columns(raw.assign(**{"a.1": [1, 2, 3]}), "x", ("a",))
    assert list(ok.columns) == ["a", "b"]


# ----------------------------------------------------------------------------- every dataset


@pytest.mark.parametrize("name", ALL)
def test_loaded_dataset_contract(load, name):
    ds = load(name)
    assert isinstance(ds, LoadedDataset) and ds.name == name and ds.verified
    assert ds.sha256 == _REGISTRY[name].sha256 and ds.path.is_file()
    assert ds.citation and ds.description and ds.filter_description
    assert tuple(ds.published.columns) == PUBLISHED_COLUMNS
    if len(ds.published):
        assert (ds.published["tolerance"] > 0).all() and ds.published["source"].str.len().min() > 10
        assert ds.published["published"].map(np.isfinite).all()
        assert not ds.published.duplicated(["instrument", "metric", "group", "horizon"]).any()
    f = ds.frame
    assert not set(SENSITIVE_COLUMNS) & set(f.columns)
    assert not any(c.endswith(".1") for c in f.columns)
    assert f.index.equals(pd.RangeIndex(len(f)))
    assert f["source_row"].is_monotonic_increasing and f["source_row"].is_unique
    assert set(f["event"].unique()) <= {0, 1}
    if ds.time is not None:
        assert (f[ds.time] > 0).all()
    assert set(ds.groups) <= set(f.columns)
    r = repr(ds)
    assert name in r and "\n" not in r and len(r) < 300  # no data in the repr


def test_compas_filter_count_and_order(load, data_dir):
    ds = load("compas-broward")
    f = ds.frame
    assert len(f) == 6172
    assert "1042 removed, 6172 kept" in ds.filter_description
    assert "307 removed" in ds.filter_description and "735 removed" in ds.filter_description
    d = f["days_b_screening_arrest"]
    assert d.between(-30, 30).all() and (f["is_recid"] != -1).all()
    assert (f["c_charge_degree"] != "O").all() and (f["score_text"] != "N/A").all()
    # go back to the file's rows: only the id column is read (never names or dates of birth)
    ids = pd.read_csv(data_dir / "compas" / "compas-scores-two-years.csv", usecols=["id"])["id"].to_numpy()
    np.testing.assert_array_equal(ids[f["source_row"].to_numpy()], f["id"].to_numpy())
    np.testing.assert_array_equal(f["event"].to_numpy(), f["two_year_recid"].to_numpy())
    assert ds.time is None and "time" not in f.columns


def test_compas_unfiltered_and_violent(load):
    u = load("compas-broward-unfiltered")
    assert len(u.frame) == 7214 and (u.frame["source_row"].to_numpy() == np.arange(7214)).all()
    v = load("compas-broward-violent")
    assert len(v.frame) == 4020 and "723 removed, 4020 kept" in v.filter_description
    assert (v.frame["v_score_text"] != "N/A").all()


def test_compas_score_text_is_decile_band(load):
    f = load("compas-broward-unfiltered").frame
    band = pd.cut(f["decile_score"], [0, 4, 7, 10], labels=["Low", "Medium", "High"]).astype(str)
    assert (band == f["score_text"]).all()


def test_na_strings_kept_as_text(load):
    # the pitfall in MANIFEST.md: "N/A" must not become NaN (the filter would then keep those rows)
    f = load("compas-broward-unfiltered").frame
    assert f["score_text"].notna().all()


def test_survival_harmonisation(load):
    nc = load("nc-recidivism")
    f = nc.frame
    assert nc.time == "time" and nc.event == "event"
    np.testing.assert_array_equal(f["event"], 1 - f["cens"])
    np.testing.assert_array_equal(f["time"], f["durat"])
    assert int(f["event"].sum()) == 552
    ro = load("rossi")
    np.testing.assert_array_equal(ro.frame["time"], ro.frame["week"])
    np.testing.assert_array_equal(ro.frame["event"], ro.frame["arrest"])
    full = load("rossi-full").frame
    np.testing.assert_array_equal(full["week"], ro.frame["week"])
    assert set(full["fin"]) == {"yes", "no"} and full.shape[1] == 65


def test_corels_event(load):
    for split, n in (("train", 6489), ("test", 721)):
        f = load(f"corels-compas-{split}").frame
        assert len(f) == n
        np.testing.assert_array_equal(f["event"], f["recidivate-within-two-years"])


def test_path_to_the_file_instead_of_the_directory(data_dir):
    with pytest.raises(DatasetError, match=r"path= is the data directory, not the file"):
        load_dataset("rossi", data_dir / "rossi" / "rossi_lifelines.csv")
