"""Every file in the malformed-spec corpus is refused with a located, actionable message.

The corpus (``tests/spec/malformed/``) is ``_valid_base.yaml`` with one mistake per file; each
file's header says which file line, field path and message words the error must carry (see the
corpus README).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assess.spec import SpecError, load_spec

CORPUS = Path(__file__).parent / "malformed"
CASES = sorted(p for p in CORPUS.glob("[0-9]*.yaml"))


def _expectations(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    exp: dict = {"path": None, "words": [], "column": None, "line": None, "see": []}
    for n, line in enumerate(lines, 1):
        if m := re.match(r"# expect-path: (.*)$", line):
            exp["path"] = m.group(1).strip()
        elif m := re.match(r"# expect-message: (.*)$", line):
            exp["words"].append(m.group(1).strip())
        elif m := re.match(r"# expect-column: (\d+)$", line):
            exp["column"] = int(m.group(1))
        elif line.strip() == "# expect-line: none":
            exp["line"] = "none"
        if line.rstrip().endswith("# <-- error"):
            exp["line"] = n
        if line.rstrip().endswith("# <-- see"):
            exp["see"].append(n)
    assert exp["words"], f"{path.name}: no expect-message header"
    assert exp["line"] is not None, f"{path.name}: no '# <-- error' marker or 'expect-line: none'"
    return exp


def test_corpus_is_large_enough_and_base_is_valid():
    assert len(CASES) >= 20
    spec = load_spec(CORPUS / "_valid_base.yaml")
    assert spec.id == "corpus-demo"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_malformed_spec_is_refused_with_located_message(path: Path):
    exp = _expectations(path)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.issues, "a SpecError must carry issues"

    def matches(issue) -> bool:
        if exp["line"] == "none":
            if issue.line is not None:
                return False
        elif issue.line != exp["line"]:
            return False
        if exp["path"] is not None and issue.path != exp["path"]:
            return False
        if exp["column"] is not None and issue.column != exp["column"]:
            return False
        if not all(w in issue.message for w in exp["words"]):
            return False
        return all(f"line {n}" in issue.message for n in exp["see"])

    hits = [i for i in err.issues if matches(i)]
    assert hits, f"no issue matches {exp}; got:\n{err}"
    issue = hits[0]
    # every issue names the file; the one-line rendering carries file:line:col: path: message
    assert all(i.file == str(path) for i in err.issues)
    rendered = str(issue)
    assert rendered.startswith(str(path))
    if issue.line is not None:
        assert f"{path}:{issue.line}:{issue.column}: " in rendered
    if issue.path:
        assert f": {issue.path}: " in rendered
    assert rendered in str(err).splitlines()
