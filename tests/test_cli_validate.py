"""``assess validate`` and ``assess compare``: exit codes, outputs, determinism."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from assess.cli.main import cli

SUITES = Path(__file__).parent / "harness" / "suites"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_validate_passing_suite_exits_0(tmp_path):
    res = _invoke("validate", str(SUITES / "passing-quick.yaml"), "--output-dir", str(tmp_path / "out"),
                  "--junit", str(tmp_path / "ci" / "junit.xml"))
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    for name in ("results.csv", "results.json", "summary.md"):
        assert (out / name).is_file()
    frame = pd.read_csv(out / "results.csv")
    need = ["suite", "instrument", "cohort", "metric", "group", "horizon", "estimate", "lower", "upper",
            "n", "events", "status"]
    assert set(need) <= set(frame.columns)
    doc = json.loads((out / "results.json").read_text())
    prov = doc["provenance"]
    assert prov["instruments"]["rnr-general"]["spec_hash"]
    assert prov["versions"]["numpy"] and prov["seeds"]["cohort"] == 1 and prov["started"]
    assert doc["passed"] is True
    junit = ET.parse(tmp_path / "ci" / "junit.xml").getroot()
    assert junit.get("tests") == "2" and junit.get("failures") == "0"
    assert "PASSED" in (out / "summary.md").read_text()


def test_validate_failing_suite_exits_1_and_names_checks(tmp_path):
    res = CliRunner().invoke(cli, ["validate", str(SUITES / "failing.yaml"), "-o", str(tmp_path)])
    assert res.exit_code == 1, res.output
    stderr = res.stderr if hasattr(res, "stderr") else res.output
    for name in ("fail-lower-ci", "fail-estimate-at-least", "fail-estimate-at-most", "fail-estimate-between",
                 "fail-upper-ci", "fail-verdict-not", "fail-verdict-in", "fail-max-ratio", "fail-max-gap",
                 "fail-undefined"):
        assert name in stderr, name
    root = ET.parse(tmp_path / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 11 and all(c.find("failure") is not None for c in cases)
    assert "fail-max-ratio" in (tmp_path / "summary.md").read_text().split("## Failing checks")[1]


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (("instruments: [rnr-general]", "instruments: [rnr-generl]"), "did you mean 'rnr-general'"),
        (("{metric: auc, estimate_between: [0.6, 0.95]}", "{metric: aucc, estimate_between: [0.6, 0.95]}"), "did you mean 'auc'"),
        (("[0.6, 0.95]", "[0.95, 0.6]"), "lower bound is above the upper bound"),
        (("title: Quick passing suite", "title: [Quick"), "suite.yaml:4:12: the '[' opened on line 3"),
        (("metrics: [harrell_c, auc]", "metrics: [harrell_c, aucc]"), "did you mean 'auc'"),
        (("outcome: {time: time,", "outcome: {time: years,"), "no column 'years'"),
    ],
)
def test_validate_bad_suites_exit_2_with_location(tmp_path, edit, needle):
    text = (SUITES / "passing-quick.yaml").read_text().replace(*edit)
    assert text != (SUITES / "passing-quick.yaml").read_text()
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    res = CliRunner().invoke(cli, ["validate", str(path), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert needle in res.output.replace("\n", " ") or needle in res.output
    assert "suite.yaml:" in res.output


def test_validate_same_seed_gives_identical_results(tmp_path):
    paths = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        res = CliRunner().invoke(cli, ["validate", str(SUITES / "tiny-all.yaml"), "-o", str(out)])
        assert res.exit_code == 0, res.output
        paths.append(out)
    assert (paths[0] / "results.csv").read_bytes() == (paths[1] / "results.csv").read_bytes()
    a, b = (json.loads((p / "results.json").read_text()) for p in paths)
    for doc in (a, b):
        for key in ("started", "duration_seconds", "timings"):
            doc["provenance"].pop(key)
    assert a == b


def test_compare_command_writes_verdict(tmp_path):
    out = tmp_path / "cmp.json"
    res = _invoke("compare", "rnr-general", "rnr-desistance-integrated", "--scenario", "strengths-additive",
                  "--n", "1500", "--seed", "3", "--n-boot", "20", "--output", str(out))
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["verdict"] in {"additive", "non-inferior", "dilutes", "inconclusive"}
    assert "verdict" in res.output.lower()


def test_compare_usage_errors_exit_2(tmp_path):
    res = CliRunner().invoke(cli, ["compare", "rnr-general", "rnr-desistance-integrated"])
    assert res.exit_code == 2
    res = CliRunner().invoke(cli, ["compare", "rnr-general", "rnr-nope", "--scenario", "baseline", "--n", "100"])
    assert res.exit_code == 2 and "rnr-nope" in res.output
