"""A MetricFrame-like container of per-group metrics with bootstrap intervals.

:class:`GroupMetricFrame` follows the conventions of fairlearn's ``MetricFrame``: ``by_group``
(groups x metrics), ``overall``, ``group_min()``, ``group_max()``, ``difference()`` and
``ratio()`` with ``method="between_groups"`` (max - min, min / max) or ``"to_overall"`` (largest
absolute difference from, smallest ratio to, the whole sample), and ``*_ci`` variants. It adds
``method="to_reference"`` (each group minus / over a reference group), small-cell suppression,
reasons for undefined values and tidy frames.

Suppressed groups are shown as NaN with status ``"suppressed"`` and are left out of every
comparison (min, max, differences, ratios); their size is not printed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ._intervals import MAX_UNDEFINED, bca_interval, percentile_interval

Method = Literal["between_groups", "to_overall", "to_reference"]

#: Metrics that can be negative or are differences, for which a ratio means nothing.
SIGNED_METRICS = frozenset({"calibration_in_the_large", "observed_minus_expected"})

#: Row label used for the whole sample in tidy frames.
OVERALL = "(all)"


def _nanagg(fn, x: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(x, axis=axis)


def _ratio_sub_one(r: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 1, 1.0 / r, r)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / b
    return np.where(np.isfinite(out), out, np.nan)


class GroupMetricFrame:
    """Metrics for each group of one grouping, the whole sample, and comparisons between groups.

    Built by :func:`assess.fairness.fairness_report` (one frame per grouping); it can also be
    built directly from arrays. ``estimates`` is (groups x metrics); ``replicates`` (optional) is
    (bootstrap replicates x groups x metrics) and gives every quantity a confidence interval by
    applying the same computation to each replicate.

    Example
    -------
    >>> frame = report.frames["sex"]                       # doctest: +SKIP
    >>> frame.by_group["fpr"]; frame.difference()["fpr"]   # doctest: +SKIP
    >>> frame.difference_ci(method="to_reference")         # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        grouping: str,
        groups: Sequence[str],
        metrics: Sequence[str],
        estimates: np.ndarray,
        overall: np.ndarray,
        n: np.ndarray,
        events: np.ndarray,
        suppressed: np.ndarray | None = None,
        suppression_reasons: Sequence[str | None] | None = None,
        reasons: np.ndarray | None = None,
        overall_reasons: Sequence[str | None] | None = None,
        replicates: np.ndarray | None = None,
        overall_replicates: np.ndarray | None = None,
        jackknife: np.ndarray | None = None,
        overall_jackknife: np.ndarray | None = None,
        jackknife_weights: np.ndarray | None = None,
        jackknife_strata: np.ndarray | None = None,
        reference: str | None = None,
        confidence_level: float = 0.95,
        ci_method: str = "percentile",
        max_undefined: float = MAX_UNDEFINED,
    ) -> None:
        self.grouping = grouping
        self.groups = tuple(str(g) for g in groups)
        self.metrics = tuple(metrics)
        g, m = len(self.groups), len(self.metrics)
        self.suppressed = np.zeros(g, dtype=bool) if suppressed is None else np.asarray(suppressed, dtype=bool)
        est = np.array(estimates, dtype=float).reshape(g, m)
        est[self.suppressed] = np.nan
        self._est = est
        self._overall = np.asarray(overall, dtype=float).reshape(m)
        self.n = np.asarray(n, dtype=float)
        self.events = np.asarray(events, dtype=float)
        self.suppression_reasons = tuple(suppression_reasons) if suppression_reasons is not None else (None,) * g
        self._reasons = np.full((g, m), None, dtype=object) if reasons is None else np.asarray(reasons, dtype=object)
        self._overall_reasons = tuple(overall_reasons) if overall_reasons is not None else (None,) * m
        self._rep = None
        if replicates is not None:
            rep = np.array(replicates, dtype=float).reshape(-1, g, m)
            rep[:, self.suppressed] = np.nan
            self._rep = rep
        self._rep_overall = None if overall_replicates is None else np.asarray(overall_replicates, dtype=float).reshape(-1, m)
        self._jk = None
        if jackknife is not None:
            jk = np.array(jackknife, dtype=float).reshape(-1, g, m)
            jk[:, self.suppressed] = np.nan
            self._jk = jk
        self._jk_overall = None if overall_jackknife is None else np.asarray(overall_jackknife, dtype=float).reshape(-1, m)
        self._jk_w = None if jackknife_weights is None else np.asarray(jackknife_weights, dtype=float)
        self._jk_strata = jackknife_strata
        if reference is not None and reference not in self.groups:
            raise ValueError(f"reference group {reference!r} is not a group of {grouping!r}; groups are {list(self.groups)}")
        if reference is not None and self.suppressed[self.groups.index(reference)]:
            raise ValueError(
                f"reference group {reference!r} of {grouping!r} is suppressed (too small); choose another reference"
            )
        self.reference = reference if reference is not None else self._default_reference()
        self.confidence_level = confidence_level
        self.ci_method = ci_method
        self.max_undefined = max_undefined

    # ------------------------------------------------------------------ basics

    def _default_reference(self) -> str | None:
        """The largest group that is not suppressed (first such in order on ties)."""
        sizes = np.where(self.suppressed, -1.0, self.n)
        if sizes.size == 0 or sizes.max() < 0:
            return None
        return self.groups[int(np.argmax(sizes))]

    @property
    def by_group(self) -> pd.DataFrame:
        """Metric values per group (rows) and metric (columns); suppressed groups are NaN."""
        return pd.DataFrame(self._est, index=pd.Index(self.groups, name=self.grouping), columns=list(self.metrics))

    @property
    def overall(self) -> pd.Series:
        """Metric values on the whole sample (every row, suppressed groups included)."""
        return pd.Series(self._overall, index=list(self.metrics), name="overall")

    @property
    def has_ci(self) -> bool:
        """Whether bootstrap replicates (hence intervals) are available."""
        return self._rep is not None

    def _ref_index(self) -> int:
        if self.reference is None:
            raise ValueError(f"grouping {self.grouping!r} has no unsuppressed group to use as reference")
        return self.groups.index(self.reference)

    # ------------------------------------------------------------------ aggregation

    def _agg(self, vals: np.ndarray, overall: np.ndarray | None, what: str, method: Method) -> np.ndarray:
        """Apply a comparison to values (..., G, M) (overall (..., M)); returns (..., M) or (..., G, M)."""
        if what == "min":
            return _nanagg(np.nanmin, vals, -2)
        if what == "max":
            return _nanagg(np.nanmax, vals, -2)
        signed = np.array([m in SIGNED_METRICS for m in self.metrics])
        if what == "difference":
            if method == "between_groups":
                return _nanagg(np.nanmax, vals, -2) - _nanagg(np.nanmin, vals, -2)
            if method == "to_overall":
                return _nanagg(np.nanmax, np.abs(vals - overall[..., None, :]), -2)
            if method == "to_reference":
                r = self._ref_index()
                return vals - vals[..., r : r + 1, :]
        if what == "ratio":
            if method == "between_groups":
                out = _div(_nanagg(np.nanmin, vals, -2), _nanagg(np.nanmax, vals, -2))
            elif method == "to_overall":
                out = _nanagg(np.nanmin, _ratio_sub_one(_div(vals, overall[..., None, :])), -2)
            elif method == "to_reference":
                r = self._ref_index()
                out = _div(vals, vals[..., r : r + 1, :])
            else:
                raise ValueError(f"unknown method {method!r}")
            return np.where(signed, np.nan, out)
        raise ValueError(f"unknown method {method!r}; use 'between_groups', 'to_overall' or 'to_reference'")

    def _shape(self, arr: np.ndarray) -> pd.Series | pd.DataFrame:
        if arr.ndim == 1:
            return pd.Series(arr, index=list(self.metrics))
        return pd.DataFrame(arr, index=pd.Index(self.groups, name=self.grouping), columns=list(self.metrics))

    def _point(self, what: str, method: Method = "between_groups") -> pd.Series | pd.DataFrame:
        return self._shape(self._agg(self._est, self._overall, what, method))

    def _interval(self, what: str, method: Method = "between_groups") -> tuple[pd.Series | pd.DataFrame, pd.Series | pd.DataFrame]:
        lo, hi = self._limits(what, method)
        return self._shape(lo), self._shape(hi)

    def _limits(self, what: str, method: Method) -> tuple[np.ndarray, np.ndarray]:
        if self._rep is None:
            raise ValueError("no bootstrap replicates: build the report with n_boot > 0 for confidence intervals")
        rep_overall = self._rep_overall if self._rep_overall is not None else np.full(self._rep.shape[::2], np.nan)
        if what == "group":
            rep, est = self._rep, self._est
        elif what == "overall":
            rep, est = rep_overall, self._overall
        else:
            rep = self._agg(self._rep, rep_overall, what, method)
            est = self._agg(self._est, self._overall, what, method)
        if self.ci_method == "bca":
            if self._jk is None or self._jk_w is None:
                raise ValueError("BCa intervals need jackknife values")
            if what == "group":
                jk = self._jk
            elif what == "overall":
                jk = self._jk_overall
            else:
                jk = self._agg(self._jk, self._jk_overall, what, method)
            return bca_interval(rep, est, jk, self._jk_w, self.confidence_level, self.max_undefined, self._jk_strata)
        return percentile_interval(rep, self.confidence_level, self.max_undefined)

    def group_min(self) -> pd.Series:
        """Smallest value of each metric over the (unsuppressed) groups."""
        return self._point("min")

    def group_max(self) -> pd.Series:
        """Largest value of each metric over the (unsuppressed) groups."""
        return self._point("max")

    def difference(self, method: Method = "between_groups") -> pd.Series | pd.DataFrame:
        """``between_groups``: max - min; ``to_overall``: largest |group - overall|;
        ``to_reference``: each group minus the reference group (a groups x metrics frame)."""
        return self._point("difference", method)

    def ratio(self, method: Method = "between_groups") -> pd.Series | pd.DataFrame:
        """``between_groups``: min / max; ``to_overall``: smallest of group/overall and
        overall/group; ``to_reference``: each group over the reference group. NaN for signed
        metrics (e.g. calibration-in-the-large), where a ratio has no meaning."""
        return self._point("ratio", method)

    def by_group_ci(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(lower, upper) bootstrap limits of :attr:`by_group`."""
        lo, hi = self._limits("group", "between_groups")
        return self._shape(lo), self._shape(hi)

    def overall_ci(self) -> tuple[pd.Series, pd.Series]:
        """(lower, upper) bootstrap limits of :attr:`overall`."""
        lo, hi = self._limits("overall", "between_groups")
        return self._shape(lo), self._shape(hi)

    def group_min_ci(self) -> tuple[pd.Series, pd.Series]:
        """(lower, upper) bootstrap limits of :meth:`group_min` (recomputed per replicate)."""
        return self._interval("min")

    def group_max_ci(self) -> tuple[pd.Series, pd.Series]:
        """(lower, upper) bootstrap limits of :meth:`group_max` (recomputed per replicate)."""
        return self._interval("max")

    def difference_ci(self, method: Method = "between_groups") -> tuple[pd.Series | pd.DataFrame, pd.Series | pd.DataFrame]:
        """(lower, upper) bootstrap limits of :meth:`difference`, recomputed in each replicate as
        fairlearn does. For ``between_groups`` the highest and lowest groups may change between
        replicates; when groups are close the range is biased upwards and its percentile interval
        can exclude the estimate (prefer ``to_reference`` comparisons, or BCa)."""
        return self._interval("difference", method)

    def ratio_ci(self, method: Method = "between_groups") -> tuple[pd.Series | pd.DataFrame, pd.Series | pd.DataFrame]:
        """(lower, upper) bootstrap limits of :meth:`ratio`."""
        return self._interval("ratio", method)

    # ------------------------------------------------------------------ tidy output

    def _status(self, gi: int, mi: int) -> tuple[str, str | None]:
        if self.suppressed[gi]:
            return "suppressed", self.suppression_reasons[gi]
        if math.isnan(self._est[gi, mi]):
            return "undefined", self._reasons[gi, mi] or "undefined on these data"
        return "ok", None

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per (group, metric) plus the whole sample (group ``"(all)"``)."""
        has = self._rep is not None
        if has:
            lo, hi = self._limits("group", "between_groups")
            olo, ohi = self._limits("overall", "between_groups")
        rows = []
        for gi, group in enumerate(self.groups):
            sup = self.suppressed[gi]
            for mi, metric in enumerate(self.metrics):
                status, reason = self._status(gi, mi)
                rows.append(
                    {
                        "grouping": self.grouping,
                        "group": group,
                        "metric": metric,
                        "estimate": self._est[gi, mi],
                        "lower": lo[gi, mi] if has and not sup else math.nan,
                        "upper": hi[gi, mi] if has and not sup else math.nan,
                        "n": None if sup else int(self.n[gi]),
                        "events": None if sup else int(self.events[gi]),
                        "status": status,
                        "reason": reason,
                    }
                )
        n_all, e_all = int(self.n.sum()), int(self.events.sum())
        for mi, metric in enumerate(self.metrics):
            undefined = math.isnan(self._overall[mi])
            rows.append(
                {
                    "grouping": self.grouping,
                    "group": OVERALL,
                    "metric": metric,
                    "estimate": self._overall[mi],
                    "lower": olo[mi] if has else math.nan,
                    "upper": ohi[mi] if has else math.nan,
                    "n": n_all,
                    "events": e_all,
                    "status": "undefined" if undefined else "ok",
                    "reason": (self._overall_reasons[mi] or "undefined on these data") if undefined else None,
                }
            )
        frame = pd.DataFrame(rows)
        frame["confidence_level"] = self.confidence_level if has else math.nan
        frame["ci_method"] = self.ci_method if has else None
        return frame

    def comparisons_frame(self) -> pd.DataFrame:
        """Tidy frame of comparisons: each group against the reference (difference and ratio),
        highest minus lowest group (``max - min``, ``min / max``) and the largest gap to the
        whole sample (``to_overall``), with bootstrap limits when available."""
        has = self._rep is not None
        rows: list[dict] = []
        unsup = ~self.suppressed

        def add(kind: str, method: Method, comparison_of) -> None:
            est = self._agg(self._est, self._overall, kind, method)
            lo = hi = None
            if has:
                lo, hi = self._limits(kind, method)
            comparison_of(kind, method, est, lo, hi)

        def per_reference(kind, method, est, lo, hi):
            r = self._ref_index()
            for gi, group in enumerate(self.groups):
                if gi == r or not unsup[gi]:
                    continue
                for mi, metric in enumerate(self.metrics):
                    rows.append(self._crow(metric, kind, f"{group} vs {self.reference}", group, self.reference,
                                           est[gi, mi], None if lo is None else lo[gi, mi], None if hi is None else hi[gi, mi]))

        def summary(kind, method, est, lo, hi):
            label = {"between_groups": "max - min" if kind == "difference" else "min / max",
                     "to_overall": "largest gap to overall" if kind == "difference" else "smallest ratio to overall"}[method]
            vals = np.where(unsup[:, None], self._est, np.nan)
            for mi, metric in enumerate(self.metrics):
                col = vals[:, mi]
                hi_g = lo_g = None
                if method == "between_groups" and np.isfinite(col).any():
                    hi_g = self.groups[int(np.nanargmax(col))]
                    lo_g = self.groups[int(np.nanargmin(col))]
                rows.append(self._crow(metric, kind, label, hi_g, lo_g, est[mi],
                                       None if lo is None else lo[mi], None if hi is None else hi[mi]))

        if self.reference is not None and unsup.sum() > 1:
            add("difference", "to_reference", per_reference)
            add("ratio", "to_reference", per_reference)
        if unsup.sum() > 1:
            for method in ("between_groups", "to_overall"):
                add("difference", method, summary)
                add("ratio", method, summary)
        frame = pd.DataFrame(rows, columns=["grouping", "metric", "kind", "comparison", "group", "versus",
                                            "estimate", "lower", "upper", "status", "reason"])
        frame["confidence_level"] = self.confidence_level if has else math.nan
        frame["ci_method"] = self.ci_method if has else None
        return frame

    def _crow(self, metric, kind, comparison, group, versus, est, lo, hi) -> dict:
        undefined = est is None or math.isnan(est)
        reason = None
        if undefined:
            reason = ("a ratio is not meaningful for a signed quantity" if kind == "ratio" and metric in SIGNED_METRICS
                      else "undefined in at least one of the groups compared")
        return {
            "grouping": self.grouping,
            "metric": metric,
            "kind": kind,
            "comparison": comparison,
            "group": group,
            "versus": versus,
            "estimate": est,
            "lower": math.nan if lo is None else lo,
            "upper": math.nan if hi is None else hi,
            "status": "undefined" if undefined else "ok",
            "reason": reason,
        }

    # ------------------------------------------------------------------ printing

    def __str__(self) -> str:
        return format_frame(self)

    def __repr__(self) -> str:
        return f"<GroupMetricFrame {self.grouping!r}: {len(self.groups)} groups x {len(self.metrics)} metrics>"


def _cell(est: float, lo: float, hi: float, digits: int = 3) -> str:
    if math.isnan(est):
        return "-"
    s = f"{est:.{digits}f}"
    if not (math.isnan(lo) or math.isnan(hi)):
        s += f" ({lo:.{digits}f} to {hi:.{digits}f})"
    return s


def format_frame(frame: GroupMetricFrame, metrics: Sequence[str] | None = None, digits: int = 3, title: str | None = None) -> str:
    """Readable text table: one line per group, one column per metric, CIs in brackets."""
    metrics = list(metrics or frame.metrics)
    idx = [frame.metrics.index(m) for m in metrics]
    has = frame.has_ci
    if has:
        lo, hi = frame._limits("group", "between_groups")
        olo, ohi = frame._limits("overall", "between_groups")
    header = ["group", "n", "events"] + metrics
    lines = []
    for gi, g in enumerate(frame.groups):
        tag = " (ref)" if g == frame.reference else ""
        if frame.suppressed[gi]:
            lines.append([g + tag, "suppressed", ""] + [""] * len(metrics))
            continue
        cells = [_cell(frame._est[gi, i], lo[gi, i] if has else math.nan, hi[gi, i] if has else math.nan, digits) for i in idx]
        lines.append([g + tag, f"{int(frame.n[gi])}", f"{int(frame.events[gi])}"] + cells)
    cells = [_cell(frame._overall[i], olo[i] if has else math.nan, ohi[i] if has else math.nan, digits) for i in idx]
    lines.append([OVERALL, f"{int(frame.n.sum())}", f"{int(frame.events.sum())}"] + cells)
    widths = [max(len(str(r[c])) for r in [header, *lines]) for c in range(len(header))]
    fmt = lambda row: "  ".join(str(v).ljust(w) if c == 0 else str(v).rjust(w) for c, (v, w) in enumerate(zip(row, widths, strict=True)))  # noqa: E731
    out = [title or frame.grouping, fmt(header), fmt(["-" * w for w in widths])]
    out += [fmt(r) for r in lines]
    return "\n".join(out)
