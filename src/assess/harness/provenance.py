"""Provenance of a validation run: versions, seeds, spec hashes, data hash, time."""

from __future__ import annotations

import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

__all__ = ["DEPENDENCIES", "provenance", "versions"]

#: Distributions whose versions are recorded (those installed).
DEPENDENCIES = ("assess", "numpy", "pandas", "scipy", "pydantic", "scikit-learn", "lifelines",
                "fairlearn", "pyarrow", "pyyaml", "click", "rich")

#: Provenance keys that change from run to run of the same suite (times, not numbers).
TIME_FIELDS = ("started", "duration_seconds", "timings")


def versions() -> dict[str, str | None]:
    """Python, platform and installed versions of assess and its dependencies."""
    out: dict[str, str | None] = {"python": sys.version.split()[0], "platform": platform.platform()}
    for dist in DEPENDENCIES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def provenance(loaded: Any, cohort: Any, started: float, duration: float, timings: dict[str, float]) -> dict[str, Any]:
    """JSON-able provenance of a run (see :class:`assess.report.bundle.ReportBundle`)."""
    s = loaded.suite
    return {
        "suite": {"name": s.name, "file": loaded.file, "sha256": loaded.text_sha256},
        "versions": versions(),
        "seeds": {"cohort": s.cohort.seed if s.cohort.scenario is not None else None,
                  "bootstrap": s.bootstrap.seed},
        "bootstrap": s.bootstrap.model_dump(mode="json"),
        "instruments": {
            ri.id: {"version": ri.instrument.version, "spec_hash": ri.instrument.spec_hash,
                    "source": ri.entry.source, "score": ri.score, "band": ri.band, "model": ri.model,
                    "cutoff": ri.cutoff, "cutoff_rule": ri.cutoff_text or None}
            for ri in loaded.instruments.values()
        },
        "cohort": {"label": cohort.label, **cohort.provenance},
        "data_sha256": cohort.provenance.get("sha256"),
        "outcome": s.outcome.model_dump(mode="json"),
        "metrics": list(loaded.metric_kinds),
        "started": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(duration, 3),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
