"""A MetricFrame-like container of per-group metrics with bootstrap intervals.

:class:`GroupMetricFrame` follows the conventions of fairlearn's ``MetricFrame``: ``by_group``
(groups x metrics), ``overall``, ``group_min()``, ``group_max()``, ``difference()`` and
``ratio()`` with ``method="between_groups"`` (max - min, min / max) or ``"to_overall"`` (largest
absolute difference from, smallest ratio to, the whole sample), and ``*_ci`` variants. It adds
``method="to_reference"`` (each group minus / over a reference group), small-cell suppression,
reasons for undefined values and tidy frames.

Point estimates equal fairlearn's. Intervals differ on purpose for the summaries: ``max - min``
(``min / max``, ``group_min``, ``group_max``, the gaps to the whole sample) keep the groups that
are extreme in the full data fixed in every bootstrap replicate, rather than re-selecting them,
so the interval is centred on the estimate (see :meth:`GroupMetricFrame.difference_ci`).

Suppressed groups are shown as NaN with status ``"suppressed"`` and are left out of every
comparison (min, max, differences, ratios); their size is not printed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ._intervals import MAX_UNDEFINED, bca_interval, percentile_interval, wald_limits

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
    applying the same computation to each replicate. ``wald_covariance`` (optional) maps a
    metric to the (G+1, G+1) covariance of its group estimates and (last) whole-sample estimate,
    e.g. infinitesimal-jackknife covariances of Harrell's C; that metric then gets Wald intervals
    (logit scale for values, plain for differences, log scale by the delta method for ratios)
    instead of bootstrap ones, and its ``ci_method`` says so (:meth:`interval_method`).

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
        wald_covariance: Mapping[str, np.ndarray] | None = None,
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
        self._wald: dict[int, np.ndarray] = {}
        for metric, cov in (wald_covariance or {}).items():
            if metric not in self.metrics:
                raise ValueError(f"wald_covariance given for {metric!r}, which is not a metric of this frame")
            cov = np.asarray(cov, dtype=float)
            if cov.shape != (g + 1, g + 1):
                raise ValueError(f"wald_covariance[{metric!r}] must be ({g + 1}, {g + 1}) (groups, then the whole sample)")
            self._wald[self.metrics.index(metric)] = cov

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
        """Whether intervals are available (bootstrap replicates, or Wald covariances)."""
        return self._rep is not None or bool(self._wald)

    def interval_method(self, metric: str, kind: str = "group") -> str | None:
        """How the interval of ``metric`` is computed: the bootstrap ``ci_method``, or for
        metrics given a ``wald_covariance`` ``"ij-wald-logit"`` (a value), ``"ij-wald"`` (a
        difference) or ``"ij-wald-log-ratio"`` (a ratio, delta method on the log scale)."""
        if self.metrics.index(metric) in self._wald:
            return {"difference": "ij-wald", "ratio": "ij-wald-log-ratio"}.get(kind, "ij-wald-logit")
        return self.ci_method if self._rep is not None else None

    def _ref_index(self) -> int:
        if self.reference is None:
            raise ValueError(f"grouping {self.grouping!r} has no unsuppressed group to use as reference")
        return self.groups.index(self.reference)

    # ------------------------------------------------------------------ aggregation

    def _fixed(self, what: str, method: Method) -> tuple[np.ndarray, np.ndarray | None]:
        """Which estimates a comparison combines, fixed from the full-data estimates.

        Returns index arrays ``(a, b)`` into the "extended" group axis (the G groups, then the
        whole sample at index G): a difference is ``x[a] - x[b]``, a ratio ``x[a] / x[b]`` and a
        single value ``x[a]`` (``b`` is None). Shapes are (M,) or (G, M); -1 marks "undefined".

        ``between_groups`` compares the two groups that are highest and lowest *in the full
        data*, and ``to_overall`` the group furthest from the whole sample in the full data, in
        every bootstrap replicate too. Re-selecting the extreme groups in each replicate (as
        fairlearn does) bootstraps a range, which is biased upwards when groups are close, so its
        percentile interval can exclude the estimate; the fixed pair's signed difference has an
        unbiased bootstrap distribution centred on the estimate. Point estimates are unchanged
        (highest minus lowest is the fixed pair's difference in the full data).
        """
        g, m = self._est.shape
        cols = np.arange(m)
        est = self._est

        def arg(fn, x: np.ndarray) -> np.ndarray:
            ok = np.isfinite(x).any(axis=0)
            safe = np.where(np.isfinite(x), x, np.inf if fn is np.argmin else -np.inf)
            return np.where(ok, fn(safe, axis=0), -1)

        if what == "group" or (what in ("difference", "ratio") and method == "to_reference"):
            a = np.broadcast_to(np.arange(g)[:, None], (g, m))
            if what == "group":
                return a, None
            return a, np.full((g, m), self._ref_index(), dtype=np.int64)
        if what == "overall":
            return np.full(m, g, dtype=np.int64), None
        hi, lo = arg(np.argmax, est), arg(np.argmin, est)
        if what == "min":
            return lo, None
        if what == "max":
            return hi, None
        if method == "between_groups":
            if what == "difference":
                return hi, lo
            if what == "ratio":
                return lo, hi
        elif method == "to_overall":
            if what == "difference":
                gap = est - self._overall
                far = arg(np.argmax, np.abs(gap))
                above = gap[np.maximum(far, 0), cols] >= 0
            elif what == "ratio":
                rel = _div(est, self._overall[None, :])
                far = arg(np.argmin, _ratio_sub_one(rel))
                above = ~(rel[np.maximum(far, 0), cols] > 1)  # group / overall when it is <= 1
            else:
                raise ValueError(f"unknown comparison {what!r}")
            overall = np.full(m, g, dtype=np.int64)
            a = np.where(far < 0, -1, np.where(above, far, overall))
            b = np.where(far < 0, -1, np.where(above, overall, far))
            return a, b
        else:
            raise ValueError(f"unknown method {method!r}; use 'between_groups', 'to_overall' or 'to_reference'")
        raise ValueError(f"unknown comparison {what!r}")

    def _agg(self, vals: np.ndarray, overall: np.ndarray | None, what: str, method: Method) -> np.ndarray:
        """Apply a comparison to values (..., G, M) (overall (..., M)); returns (..., M) or (..., G, M).
        The groups compared are fixed from the full-data estimates (see :meth:`_fixed`)."""
        if overall is None:
            overall = np.full(vals.shape[:-2] + vals.shape[-1:], np.nan)
        ext = np.concatenate([vals, overall[..., None, :]], axis=-2)
        a, b = self._fixed(what, method)
        cols = np.arange(ext.shape[-1])

        def take(idx: np.ndarray) -> np.ndarray:
            out = ext[..., np.maximum(idx, 0), cols]
            return np.where(idx >= 0, out, np.nan)

        if b is None:
            return take(a)
        if what == "difference":
            return np.where((a >= 0) & (b >= 0), take(a) - take(b), np.nan)
        signed = np.array([m in SIGNED_METRICS for m in self.metrics])
        return np.where(signed, np.nan, _div(take(a), take(b)))

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
        if not self.has_ci:
            raise ValueError("no bootstrap replicates: build the report with n_boot > 0 for confidence intervals")
        lo, hi = self._boot_limits(what, method)
        if self._wald:
            a, b = self._fixed(what, method)
            est = self._agg(self._est, self._overall, what, method)
            ext = np.vstack([self._est, self._overall[None, :]])
            for mi, cov in self._wald.items():
                wl, wh = wald_limits(ext[:, mi], cov, a[..., mi], None if b is None else b[..., mi], est[..., mi],
                                     "ratio" if what == "ratio" else ("difference" if b is not None else "value"),
                                     self.confidence_level)
                lo[..., mi], hi[..., mi] = wl, wh
        return lo, hi

    def _boot_limits(self, what: str, method: Method) -> tuple[np.ndarray, np.ndarray]:
        shape = self._agg(self._est, self._overall, what, method).shape
        if self._rep is None:
            return np.full(shape, np.nan), np.full(shape, np.nan)
        rep_overall = self._rep_overall if self._rep_overall is not None else np.full(self._rep.shape[::2], np.nan)
        rep = self._agg(self._rep, rep_overall, what, method)
        est = self._agg(self._est, self._overall, what, method)
        if self.ci_method == "bca":
            if self._jk is None or self._jk_w is None:
                raise ValueError("BCa intervals need jackknife values")
            jk_overall = self._jk_overall if self._jk_overall is not None else np.full(self._jk.shape[::2], np.nan)
            jk = self._agg(self._jk, jk_overall, what, method)
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
        """(lower, upper) limits of :attr:`by_group` (bootstrap, or Wald for metrics given a
        ``wald_covariance``)."""
        lo, hi = self._limits("group", "between_groups")
        return self._shape(lo), self._shape(hi)

    def overall_ci(self) -> tuple[pd.Series, pd.Series]:
        """(lower, upper) limits of :attr:`overall`."""
        lo, hi = self._limits("overall", "between_groups")
        return self._shape(lo), self._shape(hi)

    def group_min_ci(self) -> tuple[pd.Series, pd.Series]:
        """(lower, upper) limits of :meth:`group_min`: the interval of the group that is lowest
        in the full data (not the minimum re-selected in each replicate, which is biased down)."""
        return self._interval("min")

    def group_max_ci(self) -> tuple[pd.Series, pd.Series]:
        """(lower, upper) limits of :meth:`group_max`: the interval of the group that is highest
        in the full data."""
        return self._interval("max")

    def difference_ci(self, method: Method = "between_groups") -> tuple[pd.Series | pd.DataFrame, pd.Series | pd.DataFrame]:
        """(lower, upper) limits of :meth:`difference`.

        ``between_groups``: the estimate (max - min) is the signed difference between the two
        groups that are highest and lowest in the full data, and its interval is the bootstrap
        interval of that same pair's difference (the pair is not re-selected in each replicate).
        fairlearn instead recomputes max - min in every replicate; that bootstraps a range, which
        is biased upwards when groups are close, so its percentile interval can exclude the
        estimate. The fixed pair's difference has an unbiased bootstrap distribution centred on
        the estimate; with two groups it is the interval of their absolute difference. The
        interval does not allow for the pair having been chosen as the most different one (with
        many groups, prefer the pre-specified ``to_reference`` comparisons). ``to_overall``
        likewise fixes the group furthest from the whole sample, with the sign it has in the full
        data. Metrics given a ``wald_covariance`` get Wald intervals of the same fixed pair."""
        return self._interval("difference", method)

    def ratio_ci(self, method: Method = "between_groups") -> tuple[pd.Series | pd.DataFrame, pd.Series | pd.DataFrame]:
        """(lower, upper) limits of :meth:`ratio`; groups fixed from the full data as in
        :meth:`difference_ci` (``min / max`` is the lowest over the highest group)."""
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
        has = self.has_ci
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
        frame["ci_method"] = [self.interval_method(m) if has else None for m in frame["metric"]]
        return frame

    def comparisons_frame(self) -> pd.DataFrame:
        """Tidy frame of comparisons: each group against the reference (difference and ratio),
        highest minus lowest group (``max - min``, ``min / max``) and the largest gap to the
        whole sample (``to_overall``), with confidence limits when available.

        ``max - min`` is the signed difference between the two groups that are highest and
        lowest in the full data (named in ``group`` and ``versus``), and its interval is that
        same difference's in every replicate (see :meth:`difference_ci`)."""
        has = self.has_ci
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
            # the groups compared, fixed from the full data: (highest, lowest) for max - min and
            # min / max (group holds the highest, versus the lowest, for both), (furthest group,
            # whole sample) for the gaps to the whole sample
            a, b = self._fixed(kind, method)
            names = (*self.groups, OVERALL)
            for mi, metric in enumerate(self.metrics):
                first, second = int(a[mi]), int(b[mi])
                if method == "between_groups" and kind == "ratio":
                    first, second = second, first
                if method == "to_overall" and first == len(self.groups):
                    first, second = second, first
                g1 = names[first] if first >= 0 else None
                g2 = names[second] if second >= 0 else None
                rows.append(self._crow(metric, kind, label, g1, g2, est[mi],
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
        frame["ci_method"] = [self.interval_method(m, k) if has else None for m, k in zip(frame["metric"], frame["kind"], strict=True)]
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
