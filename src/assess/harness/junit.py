"""JUnit XML for CI systems: one testcase per check of a run; failures carry the message."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

__all__ = ["junit_xml", "write_junit"]


def junit_xml(bundle: Any, duration: float | None = None) -> str:
    """The checks of a :class:`~assess.report.bundle.ReportBundle` as a JUnit XML document."""
    checks = bundle.checks
    failures = int((~checks["passed"].astype(bool)).sum()) if len(checks) else 0
    seconds = f"{float(duration if duration is not None else bundle.provenance.get('duration_seconds', 0.0)):.3f}"
    root = ET.Element("testsuites", name=f"assess validate {bundle.suite}", tests=str(len(checks)),
                      failures=str(failures), errors="0", time=seconds)
    suite = ET.SubElement(root, "testsuite", name=bundle.suite, tests=str(len(checks)),
                          failures=str(failures), errors="0", skipped="0", time=seconds)
    props = ET.SubElement(suite, "properties")
    for key, value in (("title", bundle.title), ("cohort", bundle.provenance.get("cohort", {}).get("label", ""))):
        ET.SubElement(props, "property", name=key, value=str(value))
    for row in checks.to_dict("records"):
        target = row.get("comparison") or row.get("instrument") or "suite"
        case = ET.SubElement(suite, "testcase", classname=f"assess.{bundle.suite}.{target}", name=str(row["check"]), time="0")
        if not bool(row["passed"]):
            fail = ET.SubElement(case, "failure", message=str(row["message"]), type="CheckFailed")
            fail.text = (f"{row['message']}\nmetric: {row['metric']}\ngroup: {row['group']}\n"
                         f"observed: {row['observed']}\nthreshold: {row['threshold']}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(bundle: Any, path: str | os.PathLike[str], duration: float | None = None) -> Path:
    """Write :func:`junit_xml` to ``path`` (folders are created); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(junit_xml(bundle, duration), encoding="utf-8")
    return p
