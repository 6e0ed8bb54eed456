"""The real-data validation suites run end to end through ``assess validate``.

Each suite must exit 0 (all checks pass), every published figure attached to its dataset must be
reproduced within the precision it was published at, and no output file may carry a name or date
of birth of the real people in the COMPAS data. The data are in ``../shared/data`` (or
``$ASSESS_DATA_PATH``); without them these tests are skipped. Real names are read here only to
check they are absent from the outputs: they are never printed (assertion messages give counts).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from assess.cli.main import cli
from assess.datasets import DatasetError, data_directories, load_dataset

SUITES = ("compas-broward", "compas-broward-unfiltered", "rossi", "nc-recidivism")
COMPAS_FILE = "compas/compas-scores-two-years.csv"


def _data_dir() -> Path | None:
    for d in data_directories():
        if (d / COMPAS_FILE).is_file():
            return d
    return None


DATA = _data_dir()
pytestmark = pytest.mark.skipif(
    DATA is None,
    reason="real datasets not found (../shared/data or $ASSESS_DATA_PATH; see shared/data/MANIFEST.md)",
)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[int, Path]]:
    """Run every suite once through the CLI: suite -> (exit code, output folder)."""
    runner = CliRunner()
    out: dict[str, tuple[int, Path]] = {}
    for name in SUITES:
        folder = tmp_path_factory.mktemp(name)
        res = runner.invoke(cli, ["validate", name, "--output-dir", str(folder)], catch_exceptions=False)
        out[name] = (res.exit_code, folder)
    return out


@pytest.mark.parametrize("name", SUITES)
def test_suite_passes(outputs, name):
    code, folder = outputs[name]
    summary = (folder / "summary.md").read_text(encoding="utf-8") if (folder / "summary.md").exists() else ""
    assert code == 0, f"{name}: exit code {code}\n{summary[:3000]}"
    assert "**PASSED: all" in summary
    for f in ("results.csv", "results.json", "summary.md", "junit.xml", "report.html"):
        assert (folder / f).is_file(), f


@pytest.mark.parametrize("name", SUITES)
def test_every_published_figure_reproduced(outputs, name):
    _, folder = outputs[name]
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    pub = pd.DataFrame(data["published"])
    dataset = load_dataset({"compas-broward": "compas-broward", "compas-broward-unfiltered": "compas-broward-unfiltered",
                            "rossi": "rossi", "nc-recidivism": "nc-recidivism"}[name]).published
    # every published figure is listed (none silently dropped), in the adapter's order
    assert len(pub) == len(dataset) > 0
    assert list(pub["metric"]) == list(dataset["metric"])
    assert (pub["status"] == "reproduced").all(), pub.loc[pub["status"] != "reproduced", ["metric", "group", "status"]]
    diff = (pub["computed"] - pub["published"]).abs()
    assert (diff <= pub["tolerance"] * (1 + 1e-9) + 1e-12).all()
    # the report shows published vs computed with the difference
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "published vs computed" in summary and "difference" in summary
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Published and computed figures" in html


def test_key_published_numbers(outputs):
    """Spot values: ProPublica's FPR 44.85% / 23.45% on the unfiltered cohort, Fox & Weisberg's
    coefficient of financial aid, the NC likelihood ratio."""
    def pub(name: str) -> pd.DataFrame:
        return pd.DataFrame(json.loads((outputs[name][1] / "results.json").read_text(encoding="utf-8"))["published"])

    u = pub("compas-broward-unfiltered").set_index(["metric", "group"])
    assert u.loc[("fpr", "race=African-American"), "computed"] == pytest.approx(805 / (805 + 990), abs=1e-12)
    assert u.loc[("fpr", "race=Caucasian"), "computed"] == pytest.approx(349 / (349 + 1139), abs=1e-12)
    r = pub("rossi").set_index("metric")
    assert r.loc["cox_coef:fin", "computed"] == pytest.approx(-0.37942, abs=5e-6)
    n = pub("nc-recidivism").set_index("metric")
    assert n.loc["cox_lr_statistic", "computed"] == pytest.approx(141.72, abs=5e-3)


def test_outputs_hold_no_names_or_dates_of_birth(outputs):
    raw = pd.read_csv(DATA / COMPAS_FILE, usecols=["name", "first", "last", "dob"], dtype=str, keep_default_na=False)
    # a few distinctive full names and dates of birth (never printed)
    names = [n for n in raw["name"] if len(n) >= 12][:25]
    dobs = list(dict.fromkeys(raw["dob"]))[:25]
    assert len(names) >= 10 and len(dobs) >= 10
    forbidden_columns = {"name", "first", "last", "dob"}
    for name, (_, folder) in outputs.items():
        res = pd.read_csv(folder / "results.csv")
        assert not forbidden_columns & set(res.columns)
        for f in folder.iterdir():
            text = f.read_text(encoding="utf-8", errors="replace")
            leaked_names = sum(n in text for n in names)
            leaked_dobs = sum(d in text for d in dobs)
            assert leaked_names == 0, f"{name}/{f.name}: {leaked_names} real names appear"
            assert leaked_dobs == 0, f"{name}/{f.name}: {leaked_dobs} dates of birth appear"
            if f.suffix == ".json":  # "name" is a legitimate key there (instrument names in provenance)
                keys = set(re.findall(r'"([a-z_]+)"\s*:', text))
                assert not {"first", "last", "dob"} & keys, f"{name}/{f.name}: an identifying field name appears"


def test_missing_data_is_a_located_error(tmp_path, monkeypatch):
    """Without the data, validate exits 2 naming the dataset and where it looked."""
    monkeypatch.setenv("ASSESS_DATA_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError):
        load_dataset("rossi")
    res = CliRunner().invoke(cli, ["validate", "rossi", "--output-dir", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "rossi" in res.output and "not found" in res.output
