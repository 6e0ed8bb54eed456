"""End-to-end tests of the ``assess`` command line (through click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from assess.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENTS = sorted((ROOT / "instruments").glob("*.yaml"))


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_instruments_list_names_the_builtins(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["instruments", "list"])
    assert res.exit_code == 0, res.output
    for inst in ("rnr-general", "desistance-strengths", "rnr-desistance-integrated"):
        assert inst in res.output


def test_instruments_show_prints_a_card(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["instruments", "show", "rnr-general"])
    assert res.exit_code == 0, res.output
    for words in ("Provenance", "Licence", "Scales", "Bands", "risk_total"):
        assert words in res.output


def test_show_unknown_instrument_exits_2_with_suggestion(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["instruments", "show", "rnr-generl"])
    assert res.exit_code == 2
    assert "rnr-general" in res.output


def test_schema_is_json_schema(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.output)
    assert schema["type"] == "object"
    assert "items" in schema["properties"]


def test_lint_builtin_instruments_pass(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["lint", *map(str, INSTRUMENTS)])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok") >= 3


def test_lint_fails_on_malformed_spec(runner: CliRunner, tmp_path: Path) -> None:
    text = (ROOT / "instruments" / "rnr-general.yaml").read_text()
    bad = tmp_path / "rnr-general.yaml"
    bad.write_text(text.replace("id: rnr-general", "id: rnr-general\nidd: oops", 1))
    res = runner.invoke(cli, ["lint", str(bad)])
    assert res.exit_code == 1
    assert "idd" in res.output and "rnr-general.yaml:" in res.output


def test_lint_fails_on_wrong_test_vector(runner: CliRunner, tmp_path: Path) -> None:
    import re

    import yaml

    text = (ROOT / "instruments" / "desistance-strengths.yaml").read_text()
    spec = yaml.safe_load(re.sub(r"^(\s+)on:", r'\1"on":', text, flags=re.M))
    vector = spec["test_vectors"][0]
    key = next(k for k, v in vector["expect"].items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    vector["expect"][key] = vector["expect"][key] + 1
    path = tmp_path / "desistance-strengths.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    res = runner.invoke(cli, ["lint", str(path)])
    assert res.exit_code == 1
    assert "FAIL" in res.output and key in res.output


def test_template_then_score_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    template = tmp_path / "template.csv"
    res = runner.invoke(cli, ["instruments", "template", "rnr-general", "--output", str(template), "--rows", "25", "--seed", "3"])
    assert res.exit_code == 0, res.output
    data = pd.read_csv(template)
    assert len(data) == 25
    data.insert(0, "person_id", [f"p{i:03d}" for i in range(25)])
    data.to_csv(template, index=False)

    out = tmp_path / "scores.parquet"
    res = runner.invoke(cli, ["score", "rnr-general", "--input", str(template), "--output", str(out), "--keep", "person_id", "--strict"])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(out)
    assert len(scores) == 25
    assert list(scores["person_id"]) == list(data["person_id"])  # same rows, same order
    assert set(scores["status"]) <= {"ok"}


def test_template_is_reproducible(runner: CliRunner, tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        res = runner.invoke(cli, ["instruments", "template", "desistance-strengths", "-o", str(path), "--rows", "10", "--seed", "9"])
        assert res.exit_code == 0, res.output
    assert a.read_bytes() == b.read_bytes()


def test_strict_scoring_names_row_item_and_value(runner: CliRunner, tmp_path: Path) -> None:
    template = tmp_path / "t.csv"
    runner.invoke(cli, ["instruments", "template", "rnr-general", "-o", str(template), "--rows", "5"])
    data = pd.read_csv(template)
    from assess.scoring import load_instrument

    inst = load_instrument("rnr-general")
    ordinal = next(it.id for it in inst.spec.items if it.response.type == "ordinal")
    data[ordinal] = data[ordinal].astype(float)
    data.loc[3, ordinal] = 7
    data.to_csv(template, index=False)
    out = tmp_path / "s.csv"

    strict = runner.invoke(cli, ["score", "rnr-general", "-i", str(template), "-o", str(out), "--strict"])
    assert strict.exit_code == 1
    assert ordinal in strict.output and "7" in strict.output and "3" in strict.output
    assert not out.exists()

    lenient = runner.invoke(cli, ["score", "rnr-general", "-i", str(template), "-o", str(out)])
    assert lenient.exit_code == 0, lenient.output
    scores = pd.read_csv(out, keep_default_na=False)
    assert len(scores) == 5
    assert scores.loc[3, "status"] == "invalid" and ordinal in scores.loc[3, "reason"]


def test_score_missing_column_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    pd.DataFrame({"person_id": [1, 2]}).to_csv(path, index=False)
    res = runner.invoke(cli, ["score", "rnr-general", "-i", str(path), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2
    assert "missing" in res.output.lower()


def test_score_rejects_unknown_extension(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("a\n1\n")
    res = runner.invoke(cli, ["score", "rnr-general", "-i", str(path), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2
    assert ".csv" in res.output


def test_error_messages_are_shown_literally_not_as_markup(tmp_path):
    """A spec error quoting '[' and ']' reaches the user intact (rich would swallow '[...]')."""
    bad = tmp_path / "broken[red].yaml"  # rich would read "[red]" as a style tag
    bad.write_text("id: x\nitems: [a\n")
    data = tmp_path / "in.csv"
    data.write_text("a\n1\n")
    result = CliRunner().invoke(cli, ["score", str(bad), "-i", str(data), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "the '[' opened on line 2" in text
    assert "missing ']'" in text
    assert "broken[red].yaml" in text


@pytest.mark.parametrize(
    ("file_name", "ok"),
    [
        ("rnr-general.yaml", True),
        ("rnr-general@1.1.0.yaml", True),
        ("rnr-general-1.1.0.yaml", True),
        ("rnr-general@2.0.0.yaml", False),
        ("general.yaml", False),
    ],
)
def test_lint_file_names_follow_the_registry_rule(runner: CliRunner, tmp_path: Path, file_name: str, ok: bool) -> None:
    """lint accepts exactly the file names the registry loads: <id>, <id>@<version>, <id>-<version>."""
    path = tmp_path / file_name
    path.write_text((ROOT / "instruments" / "rnr-general.yaml").read_text())
    res = runner.invoke(cli, ["lint", str(path)])
    assert res.exit_code == (0 if ok else 1), res.output
    if not ok:
        assert "does not match the instrument id 'rnr-general'" in " ".join(res.output.split())
