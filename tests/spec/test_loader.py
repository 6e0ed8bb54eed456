"""Loading specs: safe YAML, located errors, the registry, spec hashes and the JSON Schema."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import assess.spec.loader as loader_mod
from assess.spec import (
    ENV_VAR,
    InstrumentSpec,
    SpecError,
    SpecIssue,
    UnknownInstrumentError,
    file_name_problem,
    find_instrument,
    instrument_json_schema,
    list_instruments,
    load_spec,
    load_spec_text,
    parse_ref,
    registry_issues,
    semver_key,
    spec_hash,
)

MINIMAL = """\
id: mini
version: 1.0.0
name: Minimal instrument
status: draft
description: Smallest useful spec.
licence: CC0-1.0
domains:
  - {id: history, label: Criminal history}
items:
  - id: prior
    label: Prior convictions
    domain: history
    role: risk
    kind: static
    response:
      type: count
      bands:
        - {upper: 2, points: 0}
        - {lower: 2, points: 1}
  - id: peers
    label: Associates who offend
    domain: history
    role: risk
    kind: dynamic
    response: {type: binary}
scales:
  - id: total
    label: Total
    components: [prior, peers]
bands:
  - id: level
    on: total
    cuts:
      - {label: Low, upper: 1}
      - {label: High}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def issues_of(text: str) -> list[SpecIssue]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, file="t.yaml")
    return info.value.issues


# --------------------------------------------------------------------------- valid specs


def test_minimal_spec_loads(tmp_path):
    spec = load_spec(write(tmp_path, "mini.yaml", MINIMAL))
    assert isinstance(spec, InstrumentSpec)
    assert (spec.id, spec.version, spec.status) == ("mini", "1.0.0", "draft")
    assert [i.id for i in spec.items] == ["prior", "peers"]
    assert [c.ref for c in spec.scales[0].components] == ["prior", "peers"]  # shorthand expanded
    assert spec.bands[0].on == "total"  # 'on' is a key, not YAML 1.1's boolean true
    assert spec.items[0].response.bands[1].upper is None


def test_load_accepts_str_and_pathlike_and_bom(tmp_path):
    path = write(tmp_path, "mini.yaml", MINIMAL)
    assert load_spec(str(path)) == load_spec(path)
    bom = tmp_path / "bom.yml"
    bom.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_spec(bom) == load_spec(path)


def test_yaml_12_core_schema_scalars():
    text = MINIMAL.replace(
        "    response: {type: binary}", "    reverse: yes\n    response: {type: binary}"
    )
    text = text.replace("description: Smallest useful spec.", "description: 2024-01-01")
    spec = load_spec_text(text)
    assert spec.items[1].reverse is True  # 'yes' is text in YAML 1.2; pydantic reads it as true
    assert spec.description == "2024-01-01"  # dates stay text
    cat = MINIMAL.replace(
        "response: {type: binary}",
        "response: {type: categorical, categories: [{value: no, points: 0}, {value: yes, points: 1}]}",
    )
    spec = load_spec_text(cat)
    assert [c.value for c in spec.items[1].response.categories] == [
        "no",
        "yes",
    ]  # Norway problem avoided


def test_decimal_integers_have_no_octal_surprise():
    spec = load_spec_text(MINIMAL.replace("{lower: 2, points: 1}", "{lower: 2, points: 010}"))
    assert spec.items[0].response.bands[1].points == 10.0


def test_anchors_and_merge_keys():
    text = MINIMAL.replace(
        "  - {id: history, label: Criminal history}",
        "  - &hist {id: history, label: Criminal history}\n  - <<: *hist\n    id: social",
    ).replace(
        "    domain: history\n    role: risk\n    kind: dynamic",
        "    domain: social\n    role: risk\n    kind: dynamic",
    )
    spec = load_spec_text(text)
    assert [(d.id, d.label) for d in spec.domains] == [
        ("history", "Criminal history"),
        ("social", "Criminal history"),
    ]


# --------------------------------------------------------------------------- safety


def test_python_tags_are_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    for payload in (
        f'!!python/object/apply:os.system ["touch {marker}"]',
        f'!!python/object/new:os.system ["touch {marker}"]',
        "!!python/name:os.system",
        '!!python/object/apply:subprocess.call [["touch", "x"]]',
    ):
        text = MINIMAL.replace("name: Minimal instrument", f"name: {payload}")
        (issue,) = issues_of(text)
        assert (issue.line, issue.path) == (3, "name")
        assert "not allowed" in issue.message and "python" in issue.message
    assert not marker.exists()


def test_python_tag_at_top_level_is_refused(tmp_path):
    path = write(tmp_path, "evil.yaml", f'!!python/object/apply:os.system ["touch {tmp_path}/x"]\n')
    with pytest.raises(SpecError, match="not allowed"):
        load_spec(path)
    assert not (tmp_path / "x").exists()


def test_alias_bomb_and_recursive_alias_are_refused():
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcde", "bcdef", strict=True)
    )
    with pytest.raises(SpecError, match="expands to more than"):
        load_spec_text(bomb)
    (issue,) = issues_of(MINIMAL.replace("licence: CC0-1.0", "licence: &r [*r]"))
    assert "recursive alias" in issue.message and issue.line == 6


def test_deep_nesting_is_refused():
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec_text("a: " + "[" * 1000 + "]" * 1000)
    # far deeper than libyaml's recursive composer survives: must fail cleanly, not crash
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec_text("a: " + "[" * 200_000)
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec_text("- " * 100_000 + "x")


# --------------------------------------------------------------------------- located errors


def test_duplicate_key_names_both_lines():
    text = MINIMAL.replace(
        "    label: Prior convictions\n", "    label: Prior convictions\n    label: Priors\n"
    )
    (issue,) = issues_of(text)
    assert (issue.line, issue.column, issue.path) == (12, 5, "items[0].label")
    assert "first given on line 11, again on line 12" in issue.message


def test_duplicate_key_in_flow_mapping():
    (issue,) = issues_of(
        MINIMAL.replace("{lower: 2, points: 1}", "{lower: 2, points: 1, points: 3}")
    )
    assert issue.path == "items[0].response.bands[1].points" and issue.line == 19
    assert "duplicate key 'points'" in issue.message


def test_message_format_and_all_issues_in_one_pass():
    text = (
        MINIMAL.replace("status: draft", "status: drafty")
        .replace("{lower: 2, points: 1}", "{lower: 2, points: one}")
        .replace("    kind: dynamic", "    kind: dynamic\n    revers: true")
    )
    with pytest.raises(SpecError) as info:
        load_spec_text(text, file="instruments/mini.yaml")
    err = info.value
    lines = str(err).splitlines()
    assert lines == [str(i) for i in err.issues]
    assert [i.line for i in err.issues] == sorted(i.line for i in err.issues)
    assert (
        "instruments/mini.yaml:4:9: status: expected one of 'draft', 'illustrative', 'published', got 'drafty'; did you mean 'draft'?"
        in lines
    )
    assert (
        "instruments/mini.yaml:19:30: items[0].response.bands[1].points: expected a number, got 'one'"
        in lines
    )
    assert (
        "instruments/mini.yaml:25:5: items[1].revers: unknown field 'revers'; did you mean 'reverse'?"
        in lines
    )


def test_spec_error_is_a_value_error_and_pickles():
    with pytest.raises(ValueError) as info:
        load_spec_text("- a\n", file="x.yaml")
    err = info.value
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, SpecError) and again.issues == err.issues and str(again) == str(err)
    with pytest.raises(AttributeError):
        err.issues[0].line = 3  # frozen


def test_issue_rendering_without_location():
    issue = SpecIssue("a.yaml", None, None, "", "the file is empty")
    assert str(issue) == "a.yaml: the file is empty"
    assert str(SpecIssue("a.yaml", 3, None, "id", "bad")) == "a.yaml:3: id: bad"


def test_wrong_type_messages_suggest_quotes():
    (issue,) = issues_of(MINIMAL.replace("label: Total\n", "label: 2024\n"))
    assert issue.path == "scales[0].label"
    assert "expected text, got 2024" in issue.message and "quotes" in issue.message


def test_missing_discriminator_lists_the_types():
    (issue,) = issues_of(
        MINIMAL.replace("response: {type: binary}", "response: {points_present: 2}")
    )
    assert issue.path == "items[1].response.type"
    assert "missing required field 'type'" in issue.message and "'ordinal'" in issue.message


def test_response_given_as_text():
    (issue,) = issues_of(MINIMAL.replace("response: {type: binary}", "response: binary"))
    assert issue.path == "items[1].response" and issue.line == 25
    assert "mapping" in issue.message


def test_shorthand_component_with_bad_id():
    (issue,) = issues_of(MINIMAL.replace("[prior, peers]", "[prior, Peers]"))
    assert issue.path == "scales[0].components[1]" and issue.column == 25
    assert "not a valid id" in issue.message and "'peers'" in issue.message


def test_count_min_above_max_and_negative_min():
    (issue,) = issues_of(
        MINIMAL.replace("      type: count\n", "      type: count\n      min: 5\n      max: 3\n")
    )
    assert issue.path == "items[0].response.min" and "must not exceed max" in issue.message
    (issue,) = issues_of(
        MINIMAL.replace("      type: count\n", "      type: count\n      min: -1\n")
    )
    assert issue.path == "items[0].response.min" and "at least 0" in issue.message


def test_infinite_band_edge_is_refused_with_hint():
    (issue,) = issues_of(
        MINIMAL.replace("{lower: 2, points: 1}", "{lower: 2, upper: .inf, points: 1}")
    )
    assert issue.path == "items[0].response.bands[1].upper"
    assert "finite" in issue.message and "omit 'upper'" in issue.message


def test_expression_problem_points_at_its_column():
    text = MINIMAL + "derived:\n  - id: d\n    expression: total + prio\n"
    (issue,) = issues_of(text)
    assert (issue.line, issue.column, issue.path) == (38, 25, "derived[0].expression")
    assert "unknown name 'prio'" in issue.message and "did you mean 'prior'" in issue.message
    # a folded multi-line expression cannot be placed exactly: point at its start
    text = MINIMAL + "derived:\n  - id: d\n    expression: >-\n      total +\n      prio\n"
    (issue,) = issues_of(text)
    assert (issue.line, issue.column) == (38, 17)


def test_libyaml_and_pure_python_composers_agree(monkeypatch):
    """The fast libyaml path and the pure-Python path give the same specs and the same errors."""
    corpus = sorted((Path(__file__).parent / "malformed").glob("*.yaml"))
    assert corpus

    def outcome(path):
        try:
            return spec_hash(load_spec(path))
        except SpecError as exc:
            return str(exc)

    fast = [outcome(p) for p in corpus]
    monkeypatch.setattr(loader_mod, "_CSpecLoader", None)
    assert [outcome(p) for p in corpus] == fast


# --------------------------------------------------------------------------- broken YAML & files


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            MINIMAL.replace("    label: Prior convictions", "      label: Prior convictions"),
            11,
            ["':'", "indentation"],
        ),
        (MINIMAL.replace("[prior, peers]", "[prior, peers"), 30, ["'[' opened on line 29", "']'"]),
        (
            MINIMAL.replace("{lower: 2, points: 1}", "{lower: 2, points: 1"),
            20,
            ["'{' opened on line 19", "'}'"],
        ),
        (
            MINIMAL.replace("name: Minimal instrument", 'name: "Minimal instrument'),
            36,
            ["quoted text opened on line 3", "closing quote"],
        ),
        (MINIMAL + "---\nid: other\n", 36, ["more than one YAML document"]),
        (MINIMAL.replace("label: Total", "label: *undefined"), 28, ["anchor", "not defined"]),
        (MINIMAL.replace("    kind: static", "\tkind: static"), 14, ["tab"]),
    ],
    ids=[
        "indentation",
        "unclosed-bracket",
        "unclosed-brace",
        "unclosed-quote",
        "two-documents",
        "alias",
        "tab",
    ],
)
def test_broken_yaml_is_located(text, line, words):
    (issue,) = issues_of(text)
    assert issue.file == "t.yaml" and issue.line == line and issue.column is not None
    for w in words:
        assert w in issue.message, issue.message
    assert "YAML parser:" in issue.message or "YAML" in issue.message


@pytest.mark.parametrize(
    ("content", "words"),
    [("", ["empty"]), ("   \n\n", ["empty"]), ("# only a comment\n", ["empty", "comments"])],
)
def test_empty_files(tmp_path, content, words):
    path = write(tmp_path, "e.yaml", content)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (issue,) = info.value.issues
    assert issue.line is None and issue.file == str(path)
    assert all(w in issue.message for w in words)


@pytest.mark.parametrize(
    ("content", "got"), [("- id: x\n", "a list"), ("just text\n", "'just text'"), ("42\n", "'42'")]
)
def test_top_level_must_be_mapping(content, got):
    (issue,) = issues_of(content)
    assert (issue.line, issue.path) == (1, "<root>")
    assert "top level must be a mapping" in issue.message and got in issue.message


def test_file_problems(tmp_path, monkeypatch):
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "none.yaml")
    write(tmp_path, "alt.yml", MINIMAL)
    with pytest.raises(SpecError, match="did you mean .*alt.yml"):
        load_spec(str(tmp_path / "alt.yaml"))
    with pytest.raises(SpecError, match=r"ending in \.yaml or \.yml, got '\.json'"):
        load_spec(write(tmp_path, "spec.json", "{}"))
    with pytest.raises(SpecError, match="folder"):
        load_spec(tmp_path)
    big = write(tmp_path, "big.yaml", MINIMAL)
    monkeypatch.setattr(loader_mod, "MAX_FILE_BYTES", 100)
    with pytest.raises(SpecError, match="larger than"):
        load_spec(big)


def test_file_too_large_default_limit(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(5 * 1024 * 1024 + 1)
    with pytest.raises(SpecError, match="5 MB"):
        load_spec(path)


def test_not_utf8_and_control_characters(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("Minimal", "Caf\xe9").encode("latin-1"))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.column) == (3, 10) and "UTF-8" in issue.message
    (issue,) = issues_of(MINIMAL.replace("Minimal", "Mini\x01mal"))
    assert (issue.line, issue.column) == (3, 11) and "U+0001" in issue.message


# --------------------------------------------------------------------------- registry


def spec_text(ident: str, version: str, name: str = "X") -> str:
    return (
        MINIMAL.replace("id: mini", f"id: {ident}")
        .replace("version: 1.0.0", f"version: {version}")
        .replace("name: Minimal instrument", f"name: {name}")
    )


@pytest.fixture
def registry(tmp_path, monkeypatch):
    user = tmp_path / "user"
    other = tmp_path / "other"
    user.mkdir()
    other.mkdir()
    write(user, "alpha.yaml", spec_text("alpha", "1.2.0", "Alpha one-two"))
    write(user, "alpha@1.10.0.yaml", spec_text("alpha", "1.10.0", "Alpha one-ten"))
    write(user, "alpha-2.0.0-rc.1.yaml", spec_text("alpha", "2.0.0-rc.1", "Alpha rc"))
    write(other, "beta.yml", spec_text("beta", "0.1.0", "Beta"))
    write(other, "alpha.yaml", spec_text("alpha", "1.2.0", "Shadowed alpha"))
    write(other, "gamma.yaml", spec_text("delta", "1.0.0", "Misnamed"))
    monkeypatch.setenv(ENV_VAR, os.pathsep.join([str(user), str(other), str(tmp_path / "missing")]))
    monkeypatch.setattr(
        "assess.spec.registry.builtin_instrument_dir", lambda: tmp_path / "no-builtins"
    )
    return user, other


def test_list_instruments(registry):
    user, other = registry
    infos = list_instruments()
    assert [i.ref for i in infos] == [
        "alpha@1.2.0",
        "alpha@1.10.0",
        "alpha@2.0.0-rc.1",
        "beta@0.1.0",
        "delta@1.0.0",
    ]
    a12 = next(i for i in infos if i.ref == "alpha@1.2.0")
    assert a12.path == user / "alpha.yaml" and a12.name == "Alpha one-two"  # first folder wins
    assert a12.status == "draft" and a12.problem is None


def test_find_instrument_versions(registry):
    user, other = registry
    assert find_instrument("alpha") == user / "alpha-2.0.0-rc.1.yaml"  # 2.0.0-rc.1 > 1.10.0 > 1.2.0
    assert find_instrument("alpha@1.10.0") == user / "alpha@1.10.0.yaml"
    assert find_instrument("alpha@1.2.0") == user / "alpha.yaml"
    assert load_spec("alpha@1.10.0").name == "Alpha one-ten"
    assert load_spec("beta").id == "beta"
    assert load_spec("delta").name == "Misnamed"  # id read from the file, not its name


def test_find_instrument_errors(registry):
    with pytest.raises(UnknownInstrumentError) as info:
        find_instrument("alpah")
    msg = str(info.value)
    assert "unknown instrument 'alpah'; did you mean 'alpha'?" in msg
    assert "Available: alpha, beta, delta" in msg and ENV_VAR in msg and "(missing)" in msg
    with pytest.raises(
        LookupError, match=r"no version '3.0.0'; available versions: 1.2.0, 1.10.0, 2.0.0-rc.1"
    ):
        load_spec("alpha@3.0.0")
    with pytest.raises(SpecError):
        load_spec("zzz")


def test_registry_lint(registry, tmp_path):
    user, other = registry
    write(other, "broken.yaml", "id: [unclosed\n")
    messages = {(Path(i.file).name, i.message.split(";")[0]) for i in registry_issues()}
    assert (
        "gamma.yaml",
        "file name 'gamma.yaml' does not match the instrument id 'delta'",
    ) in messages
    assert any(f == "alpha.yaml" and "also defined in" in m for f, m in messages)
    assert any(f == "broken.yaml" and "cannot list" in m for f, m in messages)
    broken = next(i for i in list_instruments() if i.path.name == "broken.yaml")
    assert broken.id == "broken" and broken.problem
    with pytest.raises(SpecError) as info:  # loading it gives the located error
        load_spec("broken")
    assert info.value.issues[0].line == 2  # where the parser noticed the unclosed '['
    assert "opened on line 1" in info.value.issues[0].message


def test_file_name_problem():
    assert file_name_problem("x/demo.yaml", "demo", "1.0.0") is None
    assert file_name_problem("x/demo@1.0.0.yml", "demo", "1.0.0") is None
    assert file_name_problem("x/demo-1.0.0.yaml", "demo", "1.0.0") is None
    assert "rename it to 'demo.yaml'" in file_name_problem("x/dem.yaml", "demo", "1.0.0")


def test_parse_ref():
    assert parse_ref("demo") == ("demo", None)
    assert parse_ref(" demo@1.2.3 ") == ("demo", "1.2.3")


def test_semver_precedence_known_answer():
    # the ordering example of semver.org section 11, plus numeric (not text) comparison
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.9.0",
        "1.10.0",
        "2.0.0",
    ]
    shuffled = ordered[::-1]
    assert sorted(shuffled, key=semver_key) == ordered
    assert semver_key("1.0.0+build.5") == semver_key("1.0.0")
    assert semver_key("not-a-version") < semver_key("0.0.0-a")


@given(st.tuples(*[st.integers(0, 10_000)] * 3), st.tuples(*[st.integers(0, 10_000)] * 3))
def test_semver_release_order_matches_integer_tuples(a, b):
    va, vb = ".".join(map(str, a)), ".".join(map(str, b))
    assert (semver_key(va) < semver_key(vb)) == (a < b)
    assert semver_key(va + "-rc.1") < semver_key(va)


# --------------------------------------------------------------------------- spec hash


def test_spec_hash_is_canonical():
    spec = load_spec_text(MINIMAL)
    h = spec_hash(spec)
    assert len(h) == 64 and int(h, 16) >= 0
    canonical = json.dumps(
        spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert h == hashlib.sha256(canonical.encode()).hexdigest()
    # comments, key order, quoting and spelled-out defaults do not change the hash
    same = "# a comment\n" + MINIMAL.replace(
        "id: mini\nversion: 1.0.0", 'version: "1.0.0"\nid: mini'
    ).replace(
        "components: [prior, peers]",
        "components: [{ref: prior, weight: 1}, peers]\n    method: sum",
    )
    assert spec_hash(load_spec_text(same)) == h
    # any change to the scoring rules does
    changed = MINIMAL.replace("{lower: 2, points: 1}", "{lower: 2, points: 2}")
    assert spec_hash(load_spec_text(changed)) != h


# --------------------------------------------------------------------------- JSON Schema


def test_json_schema():
    schema = instrument_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]
    assert set(schema["required"]) >= {"id", "version", "name", "status", "items", "domains"}
    assert schema["properties"]["id"]["pattern"]
    expr = schema["$defs"]["Derived"]["properties"]["expression"]["description"]
    for fn in ("ln(x)", "clamp(x, lo, hi)", "is_missing(x)"):
        assert fn in expr
    comps = schema["$defs"]["Scale"]["properties"]["components"]["items"]
    assert {"type": "string"}.items() <= comps["anyOf"][1].items()
    json.dumps(schema)  # serialisable
    schema["title"] = "changed"
    assert instrument_json_schema()["title"] != "changed"  # a fresh copy each time


def test_named_yaml_file_takes_the_first_folder_in_order(tmp_path):
    from assess.spec.loader import named_yaml_file

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (second / "x.yaml").write_text("id: x\n")
    (first / "x.yml").write_text("id: x\n")
    assert named_yaml_file("x", [first, second]) == first / "x.yml"
    assert named_yaml_file("x", [second, first]) == second / "x.yaml"
    assert named_yaml_file("y", [first, second]) is None


def test_existing_yaml_file_says_what_is_wrong(tmp_path):
    from assess.spec.loader import existing_yaml_file

    (tmp_path / "s.yaml").write_text("a: 1\n")
    (tmp_path / "s.txt").write_text("a: 1\n")
    assert existing_yaml_file(str(tmp_path / "s.yaml"), "suite") == tmp_path / "s.yaml"
    with pytest.raises(SpecError, match="file not found"):
        existing_yaml_file(str(tmp_path / "none.yaml"), "suite")
    with pytest.raises(SpecError, match="this is a folder; expected a suite file"):
        existing_yaml_file(str(tmp_path), "suite")
    with pytest.raises(SpecError, match="expected a YAML scenario file .* got '.txt'"):
        existing_yaml_file(str(tmp_path / "s.txt"), "scenario")


def test_model_at_walks_fields_lists_dicts_and_named_union_members():
    from assess.harness.models import Suite
    from assess.spec.loader import model_at
    from assess.synthetic.scenario import Scenario

    assert model_at(Suite, ()) is Suite
    checks = model_at(Suite, ("checks", 0))
    assert checks is not None and "metric" in checks.model_fields
    assert model_at(Suite, ("checks", 0, "metric")) is None  # a string, not a model
    assert model_at(Suite, ("no_such_field",)) is None
    assert model_at(Scenario, ()) is Scenario
