"""Write a run's files: ``results.csv``, ``results.json``, ``summary.md``, JUnit XML and
``report.html`` (when :mod:`assess.report.html` is available)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .junit import write_junit
from .summary import summary_markdown

__all__ = ["results_json", "write_outputs"]


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        f = float(x)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(x, np.bool_):
        return bool(x)
    if x is pd.NA or x is pd.NaT:
        return None
    return x


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_plain(r) for r in frame.astype(object).to_dict("records")]


def results_json(run: Any) -> dict[str, Any]:
    """The run as a JSON-able dict: provenance, results, checks, verdicts, additionality."""
    b = run.bundle
    verdicts = {}
    if len(b.additionality):
        ov = b.additionality[b.additionality["criterion"] == "overall"]
        verdicts = dict(zip(ov["comparison"], ov["verdict"], strict=True))
    return _plain({
        "suite": b.suite,
        "title": b.title,
        "passed": b.passed,
        "provenance": dict(b.provenance),
        "verdicts": verdicts,
        "checks": _records(b.checks),
        "results": _records(b.results),
        "additionality": _records(b.additionality),
        "fairness_gaps": _records(b.fairness_gaps),
        "published": _records(b.published),
        "notes": list(b.notes),
    })


def write_outputs(run: Any, output_dir: str | os.PathLike[str], *, junit: str | os.PathLike[str] | None = None,
                  html: bool = True) -> dict[str, Path]:
    """Write the run's files into ``output_dir`` (created); returns name -> path.

    ``junit`` defaults to ``<output_dir>/junit.xml``. ``report.html`` is written with
    :func:`assess.report.html.write_html` when that module is installed and ``html`` is true.
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    b = run.bundle
    paths: dict[str, Path] = {}
    paths["results.csv"] = out / "results.csv"
    b.results.to_csv(paths["results.csv"], index=False, na_rep="", lineterminator="\n")
    paths["results.json"] = out / "results.json"
    paths["results.json"].write_text(json.dumps(results_json(run), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    paths["summary.md"] = out / "summary.md"
    paths["summary.md"].write_text(summary_markdown(b), encoding="utf-8")
    paths["junit"] = write_junit(b, junit if junit is not None else out / "junit.xml")
    if html:
        try:
            from assess.report.html import write_html
        except ImportError:
            write_html = None
        if write_html is not None:
            paths["report.html"] = Path(write_html(b, out / "report.html") or (out / "report.html"))
    return paths
