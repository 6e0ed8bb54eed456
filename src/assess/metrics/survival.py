"""Kaplan-Meier curves and log-rank tests.

``kaplan_meier`` estimates S(t) = P(T > t) with Greenwood standard errors and pointwise confidence
intervals (Kaplan & Meier 1958; Greenwood 1926). The default interval is the log-log ("exponential
Greenwood") interval, as in lifelines' ``KaplanMeierFitter`` and R ``survfit(conf.type="log-log")``;
``"log"`` (R's default) and ``"plain"`` are also available. With ``group`` one curve is estimated per
group (e.g. per risk band) in one vectorised pass.

``logrank_test`` compares k groups (Mantel 1966; Peto & Peto 1972) with the usual chi-square on k-1
degrees of freedom, as lifelines' ``multivariate_logrank_test`` and R ``survdiff``.

Conventions (shared with :mod:`assess.metrics._survival_core`): at a tied time, events happen before
censorings, so a subject censored at ``t`` is at risk for the events at ``t``. ``S(t)`` is
right-continuous. The median survival time is the smallest observed time with ``S(t) <= 0.5``
(lifelines' convention, up to a 1e-10 rounding tolerance; R instead averages with the next time
when S(t) is exactly 0.5 over an interval); its interval inverts the pointwise band (Brookmeyer &
Crowley 1982 style), as ``lifelines.utils.median_survival_times(kmf.confidence_interval_)`` does.
Where S(t) = 0 the standard error and CI are NaN (lifelines reports the CI as 1).

Mergeable state: :class:`KaplanMeierState` keeps counts of events and censorings per (group, time),
which add across chunks, so a distributed backend can build the same curves exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy import stats

from ._result import MetricResult, as_float_array, undefined, z_value

__all__ = [
    "KaplanMeierResult",
    "KaplanMeierState",
    "LogrankResult",
    "kaplan_meier",
    "logrank_test",
]

_CI_METHODS = ("log-log", "log", "plain")
#: tolerance for "S(t) <= q" so that a curve equal to 0.5 up to rounding counts as crossing it
_CROSS_TOL = 1e-10


# ----------------------------------------------------------------------------------------------
# input validation (shared with brier, calibration, cox)
# ----------------------------------------------------------------------------------------------


def _check_time_event(time: Any, event: Any, *, time_name: str = "time", event_name: str = "event") -> tuple[np.ndarray, np.ndarray]:
    """Validate follow-up times and event indicators; return float times and boolean events."""
    t = as_float_array(time, time_name)
    e_raw = np.asarray(event)
    if e_raw.ndim != 1:
        raise ValueError(f"{event_name} must be one-dimensional, got shape {e_raw.shape}")
    if e_raw.shape[0] != t.shape[0]:
        raise ValueError(f"{time_name} and {event_name} must have the same length, got {t.shape[0]} and {e_raw.shape[0]}")
    if t.size and not np.all(np.isfinite(t)):
        bad = int(np.sum(~np.isfinite(t)))
        raise ValueError(f"{time_name} contains {bad} missing or infinite value(s); drop or impute those rows first")
    if t.size and np.any(t < 0):
        raise ValueError(f"{time_name} must be non-negative (follow-up time), found {int(np.sum(t < 0))} negative value(s)")
    if e_raw.dtype == bool:
        e = e_raw
    else:
        try:
            e_f = e_raw.astype(float)
        except (TypeError, ValueError):
            raise TypeError(f"{event_name} must be boolean or 0/1") from None
        if e_f.size and not np.all(np.isfinite(e_f)):
            raise ValueError(f"{event_name} contains missing values; drop or impute those rows first")
        if e_f.size and not np.all((e_f == 0) | (e_f == 1)):
            raise ValueError(f"{event_name} must be boolean or 0/1 (1 = event observed, 0 = censored)")
        e = e_f.astype(bool)
    return t, e


def _group_codes(group: Any, n: int, name: str = "group") -> tuple[np.ndarray, list]:
    """Integer codes 0..k-1 and the group labels (categorical order if categorical, else sorted)."""
    if isinstance(group, pd.Categorical | pd.Series) and isinstance(getattr(group, "dtype", None), pd.CategoricalDtype):
        cat = pd.Categorical(group)
        if len(cat) != n:
            raise ValueError(f"{name} must have the same length as time, got {len(cat)} and {n}")
        if np.any(cat.codes < 0):
            raise ValueError(f"{name} contains missing values; give them an explicit label first")
        used = np.unique(cat.codes)
        remap = np.full(len(cat.categories), -1)
        remap[used] = np.arange(used.size)
        return remap[cat.codes].astype(np.int64), [cat.categories[i] for i in used]
    arr = np.asarray(group)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have the same length as time, got {arr.shape[0]} and {n}")
    if pd.isna(arr).any():
        raise ValueError(f"{name} contains missing values; give them an explicit label first")
    try:
        labels, codes = np.unique(arr, return_inverse=True)
        labels_list = labels.tolist()
    except TypeError:  # unsortable mixture: keep order of first appearance
        codes, uniques = pd.factorize(arr, sort=False)
        labels_list = list(uniques)
    return np.asarray(codes, dtype=np.int64).reshape(-1), labels_list


# ----------------------------------------------------------------------------------------------
# grouped Kaplan-Meier core
# ----------------------------------------------------------------------------------------------


def _segment_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each index in ``starts`` (``starts[0]`` must be 0)."""
    cs = np.cumsum(values)
    offset = np.zeros_like(cs)
    if starts.size > 1:
        before = cs[starts[1:] - 1]
        seg_len = np.diff(np.r_[starts, values.size])
        offset = np.repeat(np.r_[0.0, before], seg_len)
    return cs - offset


def _km_from_counts(codes: np.ndarray, times: np.ndarray, d: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    """Kaplan-Meier quantities from counts aggregated per (group code, time), sorted by code then time."""
    if codes.size == 0:
        z = np.zeros(0)
        return {"at_risk": z, "survival": z, "greenwood": z, "starts": np.zeros(0, dtype=np.int64)}
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    seg_len = np.diff(np.r_[starts, codes.size])
    total = d + c
    group_total = np.repeat(np.add.reduceat(total, starts), seg_len)
    # number at risk = members of the group with time >= t
    at_risk = group_total - (_segment_cumsum(total, starts) - total)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(at_risk > 0, 1.0 - d / at_risk, 1.0)
        zero = frac <= 0.0
        log_frac = np.log(np.where(zero, 1.0, frac))
        survival = np.where(_segment_cumsum(zero.astype(float), starts) > 0, 0.0, np.exp(_segment_cumsum(log_frac, starts)))
        all_die = (d > 0) & (at_risk <= d)
        gw_term = np.where((d > 0) & ~all_die, d / (at_risk * (at_risk - d)), 0.0)
    # Greenwood's sum is infinite once everyone at risk has died; track that apart so that the
    # infinity does not leak into the next group's cumulative sum
    greenwood = np.where(_segment_cumsum(all_die.astype(float), starts) > 0, np.inf, _segment_cumsum(gw_term, starts))
    return {"at_risk": at_risk, "survival": survival, "greenwood": greenwood, "starts": starts}


def _ci(survival: np.ndarray, greenwood: np.ndarray, z: float, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard error of S and pointwise interval; NaN where S = 0 (no spread is estimable)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se = survival * np.sqrt(greenwood)
        if method == "log-log":
            log_s = np.log(survival)
            half = z * np.sqrt(greenwood) / log_s
            lower = np.exp(-np.exp(np.log(-log_s) - half))
            upper = np.exp(-np.exp(np.log(-log_s) + half))
        elif method == "log":
            half = z * np.sqrt(greenwood)
            lower = survival * np.exp(-half)
            upper = np.minimum(survival * np.exp(half), 1.0)
        elif method == "plain":
            lower = np.clip(survival - z * se, 0.0, 1.0)
            upper = np.clip(survival + z * se, 0.0, 1.0)
        else:  # pragma: no cover - validated earlier
            raise ValueError(method)
    one = survival >= 1.0
    lower = np.where(one, 1.0, lower)
    upper = np.where(one, 1.0, upper)
    dead = (survival <= 0.0) | ~np.isfinite(greenwood)
    se = np.where(survival <= 0.0, np.nan, se)
    lower = np.where(dead, np.nan, lower)
    upper = np.where(dead, np.nan, upper)
    return se, lower, upper


def _first_crossing(times: np.ndarray, curve: np.ndarray, starts: np.ndarray, q: float) -> np.ndarray:
    """Per group: smallest time with curve <= q (NaN if never). Curves are non-increasing."""
    n_groups = starts.size
    if n_groups == 0:
        return np.zeros(0)
    seg = np.repeat(np.arange(n_groups), np.diff(np.r_[starts, times.size]))
    hit = np.flatnonzero(np.nan_to_num(curve, nan=np.inf) <= q + _CROSS_TOL)
    out = np.full(n_groups, np.nan)
    if hit.size:
        first = np.full(n_groups, -1)
        # first hit per group: hits are in order, take first occurrence of each segment id
        seg_hit = seg[hit]
        uniq, idx = np.unique(seg_hit, return_index=True)
        first[uniq] = hit[idx]
        ok = first >= 0
        out[ok] = times[first[ok]]
    return out


# ----------------------------------------------------------------------------------------------
# result objects
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KaplanMeierResult:
    """Kaplan-Meier curves (one per group) with Greenwood standard errors and pointwise CIs.

    Attributes
    ----------
    table:
        Tidy frame, one row per (group, distinct observed time): ``group, time, at_risk, events,
        censored, survival, std_error, lower, upper``. ``at_risk`` counts subjects with
        ``time >= t``; ``survival`` is S(t) just after ``t``.
    summary:
        One row per group: ``group, n, events, median, median_lower, median_upper`` and, when
        ``times`` were requested, ``survival_at_<t>`` / ``lower_at_<t>`` / ``upper_at_<t>``.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    groups: list
    confidence_level: float
    ci_method: str
    grouped: bool

    def _curve(self, group: Any) -> pd.DataFrame:
        if group is None:
            if self.grouped and len(self.groups) > 1:
                raise ValueError("several groups were estimated; pass group=<label>")
            group = self.groups[0] if self.groups else None
        sub = self.table[self.table["group"] == group] if self.grouped else self.table
        if self.grouped and group not in self.groups:
            raise KeyError(f"unknown group {group!r}; groups are {self.groups}")
        return sub

    def survival_at(self, times: Sequence[float] | float, group: Any = None) -> pd.DataFrame:
        """S(t), its standard error and CI, and the number at risk at each ``t`` for one group
        (or all groups when ``group`` is None and the result is grouped).

        Times beyond the last observed time give NaN unless the curve has already reached 0
        (the KM estimate is not defined there; lifelines instead carries the last value forward).
        """
        t_req = np.atleast_1d(np.asarray(times, dtype=float))
        groups = self.groups if (group is None and self.grouped) else [group]
        frames = []
        for g in groups:
            cur = self._curve(g)
            tt = cur["time"].to_numpy()  # every group has at least one row
            idx = np.searchsorted(tt, t_req, side="right") - 1
            before_first = idx < 0
            safe = np.clip(idx, 0, None)
            surv = np.where(before_first, 1.0, cur["survival"].to_numpy()[safe])
            se = np.where(before_first, 0.0, cur["std_error"].to_numpy()[safe])
            lo = np.where(before_first, 1.0, cur["lower"].to_numpy()[safe])
            hi = np.where(before_first, 1.0, cur["upper"].to_numpy()[safe])
            # number at risk at t = subjects with time >= t = at_risk of the first table time >= t
            pos = np.searchsorted(tt, t_req, side="left")
            n_risk = np.where(pos < tt.size, cur["at_risk"].to_numpy()[np.clip(pos, 0, tt.size - 1)], 0)
            last = tt[-1]
            beyond = (t_req > last) & (surv > 0)
            surv = np.where(beyond, np.nan, surv)
            se = np.where(beyond, np.nan, se)
            lo = np.where(beyond, np.nan, lo)
            hi = np.where(beyond, np.nan, hi)
            frame = pd.DataFrame(
                {"time": t_req, "survival": surv, "std_error": se, "lower": lo, "upper": hi, "at_risk": n_risk}
            )
            if self.grouped:
                frame.insert(0, "group", [g] * t_req.size)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def risk_at(self, times: Sequence[float] | float, group: Any = None) -> pd.DataFrame:
        """Cumulative incidence 1 - S(t) with its CI (``lower = 1 - upper(S)``)."""
        s = self.survival_at(times, group)
        out = s.copy()
        out["risk"] = 1.0 - s["survival"]
        out["lower"] = 1.0 - s["upper"]
        out["upper"] = 1.0 - s["lower"]
        return out.drop(columns=["survival"])

    def median(self, group: Any = None) -> MetricResult:
        """Median survival time (smallest t with S(t) <= 0.5) with its CI, as a MetricResult."""
        if group is None:
            if self.grouped and len(self.groups) > 1:
                raise ValueError("several groups were estimated; pass group=<label>")
            row = self.summary.iloc[0]
        else:
            row = self.summary[self.summary["group"] == group].iloc[0]
        n, ev = int(row["n"]), int(row["events"])
        if math.isnan(row["median"]):
            return undefined("median_survival", "survival does not fall to 0.5 within follow-up (median not reached)", n=n, events=ev, method="Kaplan-Meier")
        return MetricResult(
            metric="median_survival",
            estimate=float(row["median"]),
            lower=float(row["median_lower"]),
            upper=float(row["median_upper"]),
            confidence_level=self.confidence_level,
            n=n,
            events=ev,
            method="Kaplan-Meier",
            ci_method=f"inverted pointwise {self.ci_method} band",
        )

    def to_frame(self) -> pd.DataFrame:
        """The tidy curve table (a copy)."""
        return self.table.copy()

    def __str__(self) -> str:
        cl = f"{self.confidence_level:.0%}"
        head = f"Kaplan-Meier estimate ({cl} CI: {self.ci_method}, Greenwood variance)"
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            body = self.summary.to_string(index=False, float_format=lambda x: f"{x:.4g}")
        return f"{head}\n{body}"

    def __repr__(self) -> str:
        return f"<KaplanMeierResult groups={self.groups}>\n{self}"


def _km_result(codes: np.ndarray, times: np.ndarray, d: np.ndarray, c: np.ndarray, labels: list, *, grouped: bool, times_req: Any, confidence_level: float, ci: str) -> KaplanMeierResult:
    if ci not in _CI_METHODS:
        raise ValueError(f"ci must be one of {_CI_METHODS}, got {ci!r}")
    z = z_value(confidence_level)
    core = _km_from_counts(codes, times, d, c)
    se, lower, upper = _ci(core["survival"], core["greenwood"], z, ci)
    table = pd.DataFrame(
        {
            "group": [labels[i] for i in codes] if grouped else [None] * codes.size,
            "time": times,
            "at_risk": core["at_risk"],
            "events": d,
            "censored": c,
            "survival": core["survival"],
            "std_error": se,
            "lower": lower,
            "upper": upper,
        }
    )
    if not grouped:
        table = table.drop(columns=["group"])
    starts = core["starts"]
    med = _first_crossing(times, core["survival"], starts, 0.5)
    med_lo = _first_crossing(times, np.where(np.isnan(lower), 0.0, lower), starts, 0.5)
    med_hi = _first_crossing(times, np.where(np.isnan(upper), 0.0, upper), starts, 0.5)
    n_g = np.add.reduceat(d + c, starts)
    ev_g = np.add.reduceat(d, starts)
    summary = pd.DataFrame(
        {
            "group": labels,
            "n": n_g.astype(np.int64),
            "events": ev_g.astype(np.int64),
            "median": med,
            "median_lower": med_lo,
            "median_upper": med_hi,
        }
    )
    result = KaplanMeierResult(table=table, summary=summary, groups=labels, confidence_level=confidence_level, ci_method=ci, grouped=grouped)
    if times_req is not None:
        at = result.survival_at(times_req)
        t_req = np.atleast_1d(np.asarray(times_req, dtype=float))
        for j, t in enumerate(t_req):
            rows = at.iloc[j :: t_req.size]
            summary[f"survival_at_{t:g}"] = rows["survival"].to_numpy()
            summary[f"lower_at_{t:g}"] = rows["lower"].to_numpy()
            summary[f"upper_at_{t:g}"] = rows["upper"].to_numpy()
    if not grouped:
        summary = summary.drop(columns=["group"])
    return KaplanMeierResult(table=table, summary=summary, groups=labels, confidence_level=confidence_level, ci_method=ci, grouped=grouped)


def _dense_time_codes(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct times and each row's index into them. Hash-based (pandas factorize), then
    only the distinct values are sorted: O(n) for the typical few hundred distinct follow-up days."""
    codes, uniques = pd.factorize(time, sort=False)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return np.asarray(uniques)[order], rank[codes]


def _aggregate(codes: np.ndarray, time: np.ndarray, event: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counts of events and censorings per (group code, distinct time), sorted by code then time."""
    if time.size == 0:
        z = np.zeros(0)
        return z.astype(np.int64), z, z, z
    utimes, tcode = _dense_time_codes(time)
    m = utimes.size
    key = codes.astype(np.int64) * m + tcode
    ev = event.astype(float)
    if n_groups * m <= 4 * time.size + 1024:
        # dense counting over all (group, time) cells, then keep the occupied ones (in key order)
        total = np.bincount(key, minlength=n_groups * m)
        d_all = np.bincount(key, weights=ev, minlength=n_groups * m)
        used = np.flatnonzero(total)
        d = d_all[used]
        c = total[used] - d
    else:
        used, inv = np.unique(key, return_inverse=True)
        d = np.bincount(inv, weights=ev)
        c = np.bincount(inv).astype(float) - d
    return used // m, utimes[used % m], d, c.astype(float)


def kaplan_meier(
    time: Any,
    event: Any,
    group: Any = None,
    *,
    times: Sequence[float] | float | None = None,
    confidence_level: float = 0.95,
    ci: str = "log-log",
) -> KaplanMeierResult:
    """Kaplan-Meier survival curve(s) with Greenwood SEs and pointwise CIs (Kaplan & Meier 1958).

    Parameters
    ----------
    time, event:
        Follow-up time (non-negative) and event indicator (1/True = event, 0/False = censored).
    group:
        Optional labels (e.g. risk band); one curve per group. A pandas Categorical keeps its
        category order.
    times:
        Optional times at which to report S(t) and its CI in ``result.summary``.
    ci:
        ``"log-log"`` (default; lifelines' exponential Greenwood), ``"log"`` or ``"plain"``.

    Example
    -------
    >>> km = kaplan_meier(df.week, df.arrest, group=df.band, times=[26, 52])
    >>> print(km)                    # n, events, median (CI), S(26), S(52) per band
    >>> km.survival_at(52)           # tidy frame
    """
    t, e = _check_time_event(time, event)
    if group is None:
        codes = np.zeros(t.size, dtype=np.int64)
        labels: list = ["all"]
        grouped = False
    else:
        codes, labels = _group_codes(group, t.size)
        grouped = True
    if t.size == 0:
        raise ValueError("time is empty: at least one observation is needed for a Kaplan-Meier curve")
    cs, ts, d, c = _aggregate(codes, t, e, len(labels))
    return _km_result(cs, ts, d, c, labels, grouped=grouped, times_req=times, confidence_level=confidence_level, ci=ci)


@dataclass
class KaplanMeierState:
    """Mergeable Kaplan-Meier state: event and censoring counts per (group, distinct time).

    ``KaplanMeierState().update(t1, e1, g1).merge(KaplanMeierState().update(t2, e2, g2)).finalize()``
    equals ``kaplan_meier(concat(t), concat(e), concat(g))``. ``finalize`` returns a
    :class:`KaplanMeierResult` (a curve, not a single :class:`MetricResult`).
    """

    confidence_level: float = 0.95
    ci: str = "log-log"
    grouped: bool | None = None
    counts: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def update(self, time: Any, event: Any, group: Any = None) -> Self:
        """Add a chunk of follow-up times, events and (optionally) groups."""
        t, e = _check_time_event(time, event)
        is_grouped = group is not None
        if self.grouped is not None and self.grouped != is_grouped:
            raise ValueError("mix of grouped and ungrouped updates in one KaplanMeierState")
        if is_grouped:
            codes, labels = _group_codes(group, t.size)
        else:
            codes, labels = np.zeros(t.size, dtype=np.int64), ["all"]
        cs, ts, d, c = _aggregate(codes, t, e, len(labels))
        new = dict(self.counts)
        for k, label in enumerate(labels):
            m = cs == k
            new[label] = _merge_counts(new.get(label), (ts[m], d[m], c[m]))
        return KaplanMeierState(self.confidence_level, self.ci, is_grouped, new)

    def merge(self, other: KaplanMeierState) -> Self:
        """Combine with a state built on other rows."""
        if self.grouped is not None and other.grouped is not None and self.grouped != other.grouped:
            raise ValueError("cannot merge a grouped with an ungrouped KaplanMeierState")
        new = dict(self.counts)
        for label, cnt in other.counts.items():
            new[label] = _merge_counts(new.get(label), cnt)
        return KaplanMeierState(self.confidence_level, self.ci, self.grouped if self.grouped is not None else other.grouped, new)

    def finalize(self, times: Sequence[float] | float | None = None) -> KaplanMeierResult:  # type: ignore[override]
        """Kaplan-Meier curves from the accumulated counts (``times`` as in kaplan_meier)."""
        if not self.counts:
            raise ValueError("KaplanMeierState is empty: update it with some observations first")
        try:
            labels = sorted(self.counts)
        except TypeError:
            labels = list(self.counts)
        parts = [self.counts[g] for g in labels]
        codes = np.concatenate([np.full(p[0].size, k, dtype=np.int64) for k, p in enumerate(parts)])
        ts = np.concatenate([p[0] for p in parts])
        d = np.concatenate([p[1] for p in parts])
        c = np.concatenate([p[2] for p in parts])
        return _km_result(codes, ts, d, c, labels, grouped=bool(self.grouped), times_req=times, confidence_level=self.confidence_level, ci=self.ci)


def _merge_counts(a: tuple | None, b: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if a is None:
        return b
    ts = np.concatenate([a[0], b[0]])
    uniq, inv = np.unique(ts, return_inverse=True)
    d = np.bincount(inv, weights=np.concatenate([a[1], b[1]]), minlength=uniq.size)
    c = np.bincount(inv, weights=np.concatenate([a[2], b[2]]), minlength=uniq.size)
    return uniq, d, c


# ----------------------------------------------------------------------------------------------
# log-rank test
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogrankResult:
    """k-group log-rank test: chi-square statistic, degrees of freedom, p-value and per-group
    observed and expected event counts."""

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame
    test_name: str = "log-rank"
    reason: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy frame: test, statistic, df, p_value, reason."""
        return pd.DataFrame([{"test": self.test_name, "statistic": self.statistic, "df": self.df, "p_value": self.p_value, "reason": self.reason}])

    def __str__(self) -> str:
        if self.reason:
            return f"{self.test_name} test: undefined ({self.reason})"
        head = f"{self.test_name} test: chi-square = {self.statistic:.4f} on {self.df} df, p = {self.p_value:.4g}"
        return head + "\n" + self.table.to_string(index=False, float_format=lambda x: f"{x:.4g}")

    def __repr__(self) -> str:
        return f"<LogrankResult {self}>"


def logrank_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    weightings: str | None = None,
) -> LogrankResult:
    """Log-rank test of equal survival across k groups (chi-square on k-1 df).

    Matches lifelines ``multivariate_logrank_test`` (and ``logrank_test`` for two groups) and R
    ``survdiff``. ``weightings`` may be ``None`` (log-rank), ``"wilcoxon"`` (Gehan-Breslow, weight
    = number at risk) or ``"tarone-ware"`` (weight = sqrt of number at risk).
    """
    t, e = _check_time_event(time, event)
    codes, labels = _group_codes(group, t.size)
    k = len(labels)
    table = pd.DataFrame({"group": labels})
    if k < 2:
        return LogrankResult(math.nan, 0, math.nan, table, reason="need at least two groups to compare")
    name = {None: "log-rank", "wilcoxon": "Wilcoxon (Gehan-Breslow)", "tarone-ware": "Tarone-Ware"}
    if weightings not in name:
        raise ValueError(f"weightings must be None, 'wilcoxon' or 'tarone-ware', got {weightings!r}")
    times, inv = np.unique(t, return_inverse=True)
    m = times.size
    # events and removals per (time, group) as dense m x k matrices
    obs = np.zeros((m, k))
    np.add.at(obs, (inv, codes), e.astype(float))
    removed = np.zeros((m, k))
    np.add.at(removed, (inv, codes), 1.0)
    n_ij = removed.sum(0) - np.cumsum(removed, axis=0) + removed  # at risk per group at each time
    d_i = obs.sum(1)
    n_i = n_ij.sum(1)
    if weightings is None:
        w = np.ones(m)
    elif weightings == "wilcoxon":
        w = n_i
    else:
        w = np.sqrt(n_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_ij = n_ij * (d_i / n_i)[:, None]
        observed = obs.sum(0)
        expected = expected_ij.sum(0)
        z = (w[:, None] * (obs - expected_ij)).sum(0)
        factor = np.where(n_i > 1, (n_i - d_i) / (n_i - 1), 1.0) * d_i / n_i**2
    factor = np.where(np.isfinite(factor), factor, 0.0)
    wn = w[:, None] * n_ij
    # V = sum_t w^2 * factor * (n_i * diag(n_ij) - n_ij n_ij^T)
    v = np.diag((factor[:, None] * w[:, None] * wn * n_i[:, None]).sum(0)) - (wn * factor[:, None]).T @ wn
    table["n"] = np.bincount(codes, minlength=k)
    table["observed"] = observed
    table["expected"] = expected
    with np.errstate(divide="ignore", invalid="ignore"):
        table["observed_over_expected"] = observed / expected
    if d_i.sum() == 0:
        return LogrankResult(math.nan, k - 1, math.nan, table, test_name=name[weightings], reason="no events in any group")
    zz = z[:-1]
    stat = float(zz @ np.linalg.pinv(v[:-1, :-1]) @ zz)
    p = float(stats.chi2.sf(stat, k - 1))
    return LogrankResult(stat, k - 1, p, table, test_name=name[weightings])
