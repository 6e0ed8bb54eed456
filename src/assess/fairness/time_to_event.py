"""Survival-aware fairness: Harrell's C, survival by band and error rates at a horizon, per group.

With follow-up time and an event indicator (e.g. time to proven reoffence, censored at the end
of follow-up), a binary "reoffended within t" outcome is unknown for people censored before t.
This module handles that properly:

* **Survival by band per group**: Kaplan-Meier S(t) at the horizon for every (group, band).
* **Error rates at the horizon** by inverse probability of censoring weighting (IPCW; Uno et
  al. 2007; Blanche, Dartigues and Jacqmin-Gadda 2013): people with an event by ``t`` are
  cases, weighted ``1/G(T_i-)``; people still event-free after ``t`` are controls, weighted
  ``1/G(t)``; people censored before ``t`` get weight 0. ``G`` is the Kaplan-Meier estimate of
  the censoring distribution *within each group* (censoring may depend on group), with events
  before censorings at tied times: someone whose event is at ``t`` is not at risk of censoring
  at ``t`` (the convention of scikit-survival's ``CensoringDistributionEstimator`` and of
  :func:`assess.metrics._survival_core.censoring_survival`; here it is computed for all groups
  and bootstrap replicates in one batch, which the one-sample core function cannot do). The weighted
  confusion table gives TPR, FPR, FNR, TNR, PPV, NPV and the cumulative incidence ``p``; with
  these weights ``p`` equals ``1 - S_KM(t)`` exactly (Satten and Datta 2001) and Chouldechova's
  identity holds exactly. The selection rate is the plain share flagged.
* **Harrell's C** per group (higher score = higher risk; ties in score count 1/2; conventions
  of :func:`assess.metrics.concordance.harrell_c`, which gives the point estimates).

Bootstrap intervals come from :func:`assess.metrics.bootstrap.bootstrap_counts` over the table
of distinct (stratum, band, score level, time, event) cells, stratified like the binary part.
The batched computations here evaluate a whole block of replicates at once on that table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._data import GroupDesign
from ._intervals import percentile_interval
from .frame import GroupMetricFrame

#: Horizon metrics, in column order.
HORIZON_METRICS = ("cumulative_incidence", "selection_rate", "tpr", "fpr", "fnr", "tnr", "ppv", "npv")
#: Columns of the survival frames: Harrell's C, then the horizon metrics.
SURVIVAL_METRICS = ("c_index", *HORIZON_METRICS)

#: Largest (units x event times x score levels) grid for which Harrell's C is bootstrapped.
MAX_C_GRID = 3_000_000
#: Grid entries per batch of replicates (small enough to stay in cache).
GRID_BUDGET = 400_000


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def _revcumsum(a: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(a, axis=axis), axis=axis), axis=axis)


def _onehot(idx: np.ndarray, size: int, mask: np.ndarray | None = None) -> sparse.csr_matrix:
    """Sparse (size, C) matrix with a one in row ``idx[c]`` of column ``c`` (columns outside
    ``mask`` empty): ``M @ w`` sums cell weights ``w`` (C, b) into ``size`` bins for every
    replicate at once."""
    cols = np.arange(idx.size)
    if mask is not None:
        cols, idx = cols[mask], idx[mask]
    return sparse.csr_matrix((np.ones(cols.size), (idx, cols)), shape=(size, mask.size if mask is not None else cols.size))


@dataclass(frozen=True)
class _Cells:
    """Distinct (stratum, band, level, time, event) cells and their counts."""

    counts: np.ndarray  # (C,)
    stratum: np.ndarray
    band: np.ndarray
    level: np.ndarray
    flagged: np.ndarray
    tcode: np.ndarray  # index into distinct times
    event: np.ndarray  # bool
    times: np.ndarray  # distinct times
    n_levels: int
    n_bands: int


def _cells(stratum, band_code, level_code, flagged_level, time, event, n_strata, n_bands, n_levels) -> _Cells:
    times, tcode = np.unique(time, return_inverse=True)
    tcode = tcode.reshape(-1)
    key = (((stratum * n_bands + band_code) * n_levels + level_code) * times.size + tcode) * 2 + event.astype(np.int64)
    uniq, counts = np.unique(key, return_counts=True)
    ev = (uniq % 2).astype(bool)
    rest = uniq // 2
    tc = rest % times.size
    rest //= times.size
    lv = rest % n_levels
    rest //= n_levels
    bd = rest % n_bands
    st = rest // n_bands
    return _Cells(counts=counts.astype(float), stratum=st, band=bd, level=lv, flagged=flagged_level[lv], tcode=tc, event=ev,
                  times=times, n_levels=n_levels, n_bands=n_bands)


@dataclass
class SurvivalFairness:
    """Survival part of a fairness report (see module docstring)."""

    by_band: pd.DataFrame
    error_rates: pd.DataFrame
    comparisons: pd.DataFrame
    identity: pd.DataFrame
    frames: dict[str, GroupMetricFrame]
    c_index: dict[str, dict[str, Any]]  # per grouping: notes on the C-index bootstrap


def _units(design: GroupDesign) -> tuple[list[np.ndarray], list[tuple[str, slice, tuple[str, ...]]]]:
    """Stratum -> group maps (everyone, then each grouping) and where each grouping's groups
    sit on the stacked unit axis (unit 0 is everyone)."""
    parts = [("(all)", slice(0, 1), ("(all)",))]
    maps = [np.zeros(design.n_strata, dtype=np.int64)]
    start = 1
    for g in design.groupings:
        maps.append(g.member)
        parts.append((g.name, slice(start, start + g.n_groups), g.labels))
        start += g.n_groups
    return maps, parts


def _statistic(cells: _Cells, unit_maps: list[np.ndarray], horizon: float, with_c: bool):
    """Batched statistics of cell counts (b, C): KM by (unit, band) at the horizon, the IPCW
    confusion table per unit, and (``with_c``) the pieces of Harrell's C per unit.

    Same numbers as :func:`_statistic_dense` (up to floating-point summation order), but the
    work per replicate is two sparse products over the cells per grouping instead of dense
    units x bands x distinct times grids: in every replicate only the cell weights change.

    * Kaplan-Meier: the factors ``1 - d/Y`` differ from 1 only at (unit, band, time) bins that
      hold a case, so ``Y`` is needed only there (a reverse cumulative sum over the bins).
    * Censoring survival ``G``: its factors ``1 - c/(Y - d)`` differ from 1 only at (unit, time)
      bins that hold a censored cell (before the horizon). ``G(T-)`` is constant between them,
      so the IPCW case weights are summed per such interval and divided by ``G`` once.
    """
    t_h = int(np.searchsorted(cells.times, horizon, side="right"))  # codes < t_h: times <= horizon
    tt = np.minimum(cells.tcode, t_h)  # t_h = "after the horizon"
    case = cells.event & (cells.tcode < t_h)
    cens = ~cells.event & (cells.tcode < t_h)
    control = cells.tcode >= t_h
    horizon_observed = t_h > 0 and cells.times[t_h - 1] == horizon
    nb = cells.n_bands
    fl = cells.flagged.astype(bool)
    n_cells = cells.counts.size
    cols = np.arange(n_cells)
    dense_c = _statistic_dense(cells, unit_maps, horizon, with_c=True) if with_c else None

    plans = []
    for m in unit_maps:
        unit = m[cells.stratum]
        gsz = int(m.max()) + 1
        seg = unit * nb + cells.band
        # --- Kaplan-Meier bins (segment, time bin), sorted; rows 2 * bin + case
        kb_uniq, kb = np.unique(seg * (t_h + 1) + tt, return_inverse=True)
        kb = kb.reshape(-1)
        kb_seg = kb_uniq // (t_h + 1)
        kb_tt = kb_uniq % (t_h + 1)
        has_case = np.zeros(kb_uniq.size, dtype=bool)
        has_case[kb[case]] = True
        case_bins = np.flatnonzero(has_case)
        case_seg = kb_seg[case_bins]
        cs_starts = np.flatnonzero(np.r_[True, case_seg[1:] != case_seg[:-1]]) if case_bins.size else case_bins
        seg_present, seg_starts = np.unique(kb_seg, return_index=True)
        km_matrix = sparse.csr_matrix((np.ones(n_cells), (2 * kb + case, cols)), shape=(2 * kb_uniq.size, n_cells))
        # --- censoring: (unit, time) bins holding a censored cell before the horizon
        cb_uniq = np.unique(unit[cens] * (t_h + 1) + tt[cens])
        cb_unit = cb_uniq // (t_h + 1)
        k_u = np.bincount(cb_unit, minlength=gsz)
        off = np.concatenate([[0], np.cumsum(k_u + 1)])  # intervals: k_u + 1 per unit
        first = np.searchsorted(cb_unit, np.arange(gsz), side="left")
        key_cell = unit * (t_h + 1) + tt
        # interval of every cell: censoring bins of its unit at or before its time ...
        j_right = np.searchsorted(cb_uniq, key_cell, side="right") - first[unit]
        # ... and, for G(T-), strictly before its time
        j_left = np.searchsorted(cb_uniq, key_cell, side="left") - first[unit]
        at_cb = (j_right > j_left)  # the cell's time is a censoring bin of its unit
        cb_of_cell = first[unit] + j_left  # index into cb_uniq (valid where at_cb)
        n_int = int(off[-1])
        k_c = cb_uniq.size
        # rows: [0, n_int) weight per interval; then d and c at each censoring bin; then
        # case weight per (interval of G(T-), flagged); then per unit: (flagged) all, controls
        r_int = off[unit] + j_right
        r_d = n_int + cb_of_cell
        r_c = n_int + k_c + cb_of_cell
        base_case = n_int + 2 * k_c
        r_case = base_case + 2 * (off[unit] + j_left) + fl
        base_unit = base_case + 2 * n_int
        r_all = base_unit + 4 * unit + fl
        r_ctrl = base_unit + 4 * unit + 2 + fl
        rows_l = [r_int, r_d[at_cb & cells.event], r_c[at_cb & ~cells.event], r_case[case], r_all, r_ctrl[control]]
        cols_l = [cols, cols[at_cb & cells.event], cols[at_cb & ~cells.event], cols[case], cols, cols[control]]
        n_rows = base_unit + 4 * gsz
        g_matrix = sparse.csr_matrix((np.ones(sum(x.size for x in rows_l)), (np.concatenate(rows_l), np.concatenate(cols_l))),
                                     shape=(n_rows, n_cells))
        case_present = np.zeros(2 * n_int, dtype=bool)  # (interval, flagged) holding a case cell
        case_present[r_case[case] - base_case] = True
        plans.append({
            "gsz": gsz,
            "km_matrix": km_matrix,
            "n_bins": kb_uniq.size,
            "case_bins": case_bins,
            "case_bin_seg_end": np.searchsorted(kb_seg, case_seg, side="right"),
            "case_seg": case_seg,
            "cs_starts": cs_starts,
            "seg_present": seg_present,
            "seg_starts": seg_starts,
            "ctrl_bin": (kb_tt == t_h)[:, None],
            "ath_bin": ((kb_tt == t_h) | ((kb_tt == t_h - 1) & horizon_observed))[:, None],
            "g_matrix": g_matrix,
            "off": off,
            "k_c": k_c,
            "n_int": n_int,
            "base_case": base_case,
            "base_unit": base_unit,
            "case_present": case_present[:, None],
        })

    def stat_chunk(w: np.ndarray) -> dict[str, np.ndarray]:
        b = w.shape[1]
        out: dict[str, list[np.ndarray]] = {k: [] for k in ("km", "km_n", "km_events", "km_at_risk", "conf", "flagged_n", "n")}
        for plan in plans:  # one plan per grouping (few), everything else vectorised
            gsz = plan["gsz"]
            nseg = gsz * nb
            # --- KM at the horizon by (unit, band)
            ad = (plan["km_matrix"] @ w).reshape(plan["n_bins"], 2, b)
            d = ad[:, 1]
            a = ad[:, 0] + d
            r = np.zeros((a.shape[0] + 1, b))
            r[:-1] = _revcumsum(a, axis=0)
            cb = plan["case_bins"]
            s_h = np.ones((nseg, b))
            if cb.size:
                yc = r[cb] - r[plan["case_bin_seg_end"]]  # at risk at each case bin
                factor = np.where(yc > 0, 1.0 - _div(d[cb], yc), 1.0)
                s_h[plan["case_seg"][plan["cs_starts"]]] = np.multiply.reduceat(factor, plan["cs_starts"], axis=0)
            sp, ss = plan["seg_present"], plan["seg_starts"]
            km_n = np.zeros((nseg, b))
            km_ev = np.zeros((nseg, b))
            km_ar = np.zeros((nseg, b))
            at_h = np.zeros((nseg, b))
            km_n[sp] = np.add.reduceat(a, ss, axis=0)
            km_ev[sp] = np.add.reduceat(d, ss, axis=0)
            km_ar[sp] = np.add.reduceat(a * plan["ctrl_bin"], ss, axis=0)
            at_h[sp] = np.add.reduceat(a * plan["ath_bin"], ss, axis=0)
            s_h = np.where((at_h > 0) | (s_h == 0), s_h, np.nan)
            out["km"].append(s_h.reshape(gsz, nb, b))
            out["km_n"].append(km_n.reshape(gsz, nb, b))
            out["km_events"].append(km_ev.reshape(gsz, nb, b))
            out["km_at_risk"].append(km_ar.reshape(gsz, nb, b))
            # --- censoring KM per unit and IPCW confusion table
            z = plan["g_matrix"] @ w
            n_int, k_c, off = plan["n_int"], plan["k_c"], plan["off"]
            g_excl = np.ones((n_int, b))  # G(t-) on each interval
            if k_c:
                ints = z[:n_int]
                dk = z[n_int : n_int + k_c]
                ck = z[n_int + k_c : n_int + 2 * k_c]
                yk = np.empty((k_c, b))
                pos = 0
                for u in range(gsz):
                    k = int(off[u + 1] - off[u] - 1)
                    if k == 0:
                        continue
                    # at risk at censoring bin i of the unit: weight in intervals i+1 .. k
                    iv = ints[off[u] + 1 : off[u + 1]]
                    yk[pos : pos + k] = _revcumsum(iv, axis=0)
                    pos += k
                # events come before censorings at a tied time, so someone with an event at t
                # is no longer at risk of being censored at t: risk set Y - d (this makes the
                # IPCW cumulative incidence equal 1 - KM exactly; Satten and Datta 2001)
                ycen = yk - dk
                gfac = np.where(ycen > 0, 1.0 - _div(ck, ycen), 1.0)
                pos = 0
                for u in range(gsz):
                    k = int(off[u + 1] - off[u] - 1)
                    if k:
                        g_excl[off[u] + 1 : off[u + 1]] = np.cumprod(gfac[pos : pos + k], axis=0)
                        pos += k
            g_h = g_excl[off[1:] - 1]  # G(horizon) per unit, (G, b)
            bc = plan["base_case"]
            cw = z[bc : bc + 2 * n_int].reshape(n_int, 2, b)
            ipcw = np.where(plan["case_present"].reshape(n_int, 2, 1), _div(cw, g_excl[:, None, :]), 0.0)
            per_unit = np.add.reduceat(ipcw, off[:-1], axis=0)  # (G, 2, b): not flagged, flagged
            # G(T-) = 0 before some case time of the unit leaves its IPCW table undefined
            bad = np.add.reduceat(np.isnan(ipcw).any(axis=1), off[:-1], axis=0) > 0  # (G, b)
            fn = np.where(bad, np.nan, per_unit[:, 0])
            tp = np.where(bad, np.nan, per_unit[:, 1])
            bu = plan["base_unit"]
            zu = z[bu : bu + 4 * gsz].reshape(gsz, 4, b)  # all (not fl, fl), controls (not fl, fl)
            fp = _div(zu[:, 3], g_h)
            tn = _div(zu[:, 2], g_h)
            out["conf"].append(np.stack([tp, fp, fn, tn], axis=1))  # (G, 4, b)
            out["flagged_n"].append(zu[:, 1].copy())
            out["n"].append(zu[:, 0] + zu[:, 1])
        return {k: np.concatenate(v, axis=0) for k, v in out.items()}

    def stat(w_rows: np.ndarray) -> dict[str, np.ndarray]:
        w_all = np.asarray(w_rows, dtype=float)
        parts = [stat_chunk(np.ascontiguousarray(w_all[i : i + _CHUNK].T)) for i in range(0, w_all.shape[0], _CHUNK)]
        # back to replicate-first arrays: (b, units, ...)
        res = {k: np.moveaxis(np.concatenate([p[k] for p in parts], axis=-1), -1, 0) for k in parts[0]}
        if dense_c is not None:
            dc = dense_c(w_rows)
            res["c_num"], res["c_den"] = dc["c_num"], dc["c_den"]
        else:
            nan = np.full(res["n"].shape, np.nan)
            res["c_num"], res["c_den"] = nan, nan.copy()
        return res

    return stat


#: Replicates evaluated together by :func:`_statistic` (keeps the (cells x replicates) arrays in cache).
_CHUNK = 10


def _statistic_dense(cells: _Cells, unit_maps: list[np.ndarray], horizon: float, with_c: bool):
    """Reference implementation of :func:`_statistic` on the dense (unit, band, time) grid.

    Its cost grows with units x bands x distinct times per replicate; :func:`_statistic` gives
    the same numbers from the cells alone and is used by the report. Kept for the tests and
    for Harrell's C per unit (the (event time x level) grid), which only it computes."""
    t_h = int(np.searchsorted(cells.times, horizon, side="right"))  # grid: times <= horizon
    tt = np.minimum(cells.tcode, t_h)  # t_h = "after the horizon"
    grid = t_h + 1
    case = cells.event & (cells.tcode < t_h)
    control = cells.tcode >= t_h
    ev_times = np.unique(cells.tcode[cells.event])
    e_count = ev_times.size
    # Harrell: index of each event cell's time among event times, and the "later than" index q
    e_idx = np.searchsorted(ev_times, cells.tcode)
    q = np.where(cells.event, np.searchsorted(ev_times, cells.tcode, side="left"),
                 np.searchsorted(ev_times, cells.tcode, side="right"))
    L = cells.n_levels
    nb = cells.n_bands
    fl = cells.flagged
    n_cells = cells.counts.size
    # the cell -> bin maps do not change between replicates: build them once per grouping
    plans = []
    for m in unit_maps:
        unit = m[cells.stratum]
        gsz = int(m.max()) + 1
        plan = {
            "unit": unit,
            "gsz": gsz,
            "km": _onehot((unit * nb + cells.band) * grid + tt, gsz * nb * grid),
            "grp": _onehot(unit, gsz),
        }
        if with_c and e_count:
            plan["ev"] = _onehot((unit * e_count + np.minimum(e_idx, e_count - 1)) * L + cells.level, gsz * e_count * L, cells.event)
            plan["later"] = _onehot((unit * (e_count + 1) + q) * L + cells.level, gsz * (e_count + 1) * L)
        plans.append(plan)
    del n_cells

    case_c = case[:, None]
    ctrl_c = control[:, None]
    fl_c = fl[:, None]

    def stat(w_rows: np.ndarray) -> dict[str, np.ndarray]:
        # replicate axis last throughout: w is (C, b), bins are (..., b)
        w = np.ascontiguousarray(np.asarray(w_rows, dtype=float).T)
        b = w.shape[1]
        out: dict[str, list[np.ndarray]] = {k: [] for k in ("km", "km_n", "km_events", "km_at_risk", "conf", "flagged_n", "n", "c_num", "c_den")}
        w_case = w * case_c
        for plan in plans:  # one plan per grouping (few), everything else vectorised
            unit, gsz = plan["unit"], plan["gsz"]
            # --- KM at horizon by (unit, band)
            a = (plan["km"] @ w).reshape(gsz, nb, grid, b)
            d = (plan["km"] @ w_case).reshape(gsz, nb, grid, b)
            y = _revcumsum(a, axis=2)
            factor = np.where(y[:, :, :t_h] > 0, 1.0 - _div(d[:, :, :t_h], y[:, :, :t_h]), 1.0)
            s_h = np.prod(factor, axis=2)
            at_risk_h = a[:, :, t_h] + (a[:, :, t_h - 1] if t_h > 0 and cells.times[t_h - 1] == horizon else 0.0)
            s_h = np.where((at_risk_h > 0) | (s_h == 0), s_h, np.nan)
            out["km"].append(s_h)
            out["km_n"].append(a.sum(2))
            out["km_events"].append(d[:, :, :t_h].sum(2))
            out["km_at_risk"].append(a[:, :, t_h])
            # --- censoring KM per unit and IPCW weights
            au = a.sum(axis=1)  # (G, grid, b)
            du = d.sum(axis=1)
            yu = _revcumsum(au, axis=1)
            cu = au - du
            # events come before censorings at a tied time, so someone with an event at t is no
            # longer at risk of being censored at t: risk set Y - d (this makes the IPCW
            # cumulative incidence equal 1 - KM exactly; Satten and Datta 2001)
            ycen = yu[:, :t_h] - du[:, :t_h]
            gfac = np.where(ycen > 0, 1.0 - _div(cu[:, :t_h], ycen), 1.0)
            gcum = np.cumprod(gfac, axis=1)  # G(t_j) for grid times j < t_h
            g_minus = np.concatenate([np.ones((gsz, 1, b)), gcum], axis=1)  # G(t_j-) for j <= t_h
            g_h = g_minus[:, t_h]  # G(horizon), (G, b)
            wg = g_minus[unit, np.minimum(tt, t_h)]  # (C, b)
            case_w = np.where(case_c, _div(w, wg), 0.0)
            ctrl_w = np.where(ctrl_c, w, 0.0)
            grp = plan["grp"]
            tp = grp @ (case_w * fl_c)
            fn = grp @ (case_w * ~fl_c)
            fp = _div(grp @ (ctrl_w * fl_c), g_h)
            tn = _div(grp @ (ctrl_w * ~fl_c), g_h)
            out["conf"].append(np.stack([tp, fp, fn, tn], axis=1))  # (G, 4, b)
            out["flagged_n"].append(grp @ (w * fl_c))
            out["n"].append(grp @ w)
            # --- Harrell's C per unit on the (event time x level) grid
            if "ev" in plan:
                ev = (plan["ev"] @ w).reshape(gsz, e_count, L, b)
                later = (plan["later"] @ w).reshape(gsz, e_count + 1, L, b)
                r = _revcumsum(later, axis=1)[:, 1:]  # rows strictly "later" than each event time
                below = np.cumsum(r, axis=2) - r
                out["c_num"].append((ev * (below + 0.5 * r)).sum(axis=(1, 2)))
                out["c_den"].append((ev.sum(2) * r.sum(2)).sum(1))
            else:
                out["c_num"].append(np.full((gsz, b), np.nan))
                out["c_den"].append(np.full((gsz, b), np.nan))
        # back to replicate-first arrays: (b, units, ...)
        return {k: np.moveaxis(np.concatenate(v, axis=0), -1, 0) for k, v in out.items()}

    return stat


def harrell_influence(time: np.ndarray, event: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Per-row infinitesimal-jackknife influence of Harrell's C (original row order):
    ``dfbeta_k / 2`` in the notation of :func:`assess.metrics.concordance.harrell_from_counts`,
    so ``sum(influence**2)`` is the IJ variance that :func:`~assess.metrics.concordance.harrell_c`
    reports (R ``survival::concordance``) and ``sum(infl_a * infl_b)`` the covariance of two C
    estimates computed on overlapping rows (e.g. a group and the whole sample). All zeros when
    there are no comparable pairs."""
    from assess.metrics.concordance import pair_counts

    pc = pair_counts(time, event.astype(bool), score, rows=True, early=False)
    if pc.pairs <= 0:
        return np.zeros(time.size)
    somers = (pc.concordant - pc.discordant) / pc.pairs
    conc = pc.row_concordant.astype(float)
    disc = pc.row_discordant.astype(float)
    dfb = (conc - disc) - somers * (conc + disc + pc.row_tied)
    return pc.to_rows(dfb / (2.0 * float(pc.pairs)))


def _c_covariance(time, event, score, row_group, n_groups, overall_influence) -> np.ndarray:
    """(G+1, G+1) IJ covariance of the groups' Harrell's C and (last) the whole sample's.
    Groups are disjoint, so their estimates are uncorrelated (their influences share no row);
    each group is correlated with the whole sample it is part of."""
    cov = np.zeros((n_groups + 1, n_groups + 1))
    cov[-1, -1] = float(overall_influence @ overall_influence)
    for gi in range(n_groups):
        sel = np.flatnonzero(row_group == gi)
        if sel.size == 0:
            continue
        infl = harrell_influence(time[sel], event[sel], score[sel])
        cov[gi, gi] = float(infl @ infl)
        cov[gi, -1] = cov[-1, gi] = float(infl @ overall_influence[sel])
    return cov


def _rates(conf: np.ndarray, flagged_n: np.ndarray, n: np.ndarray) -> np.ndarray:
    tp, fp, fn, tn = (conf[..., i] for i in range(4))
    vals = {
        "cumulative_incidence": _div(tp + fn, tp + fn + fp + tn),
        "selection_rate": _div(flagged_n, n),
        "tpr": _div(tp, tp + fn),
        "fpr": _div(fp, fp + tn),
        "fnr": _div(fn, tp + fn),
        "tnr": _div(tn, fp + tn),
        "ppv": _div(tp, tp + fp),
        "npv": _div(tn, tn + fn),
    }
    return np.stack([vals[m] for m in HORIZON_METRICS], axis=-1)


def survival_fairness(
    *,
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    flagged: np.ndarray,
    band: np.ndarray | None,
    design: GroupDesign,
    horizon: float,
    min_group_size: int,
    min_events: int,
    n_boot: int,
    confidence_level: float,
    stratified: bool,
    seed: np.random.SeedSequence,
    suppressed: dict[str, np.ndarray],
    n_jobs: int = 1,
) -> SurvivalFairness:
    """Survival-aware fairness metrics for :func:`assess.fairness.fairness_report` (see the
    module docstring)."""
    from assess.metrics.bootstrap import bootstrap_counts
    from assess.metrics.concordance import harrell_c
    from assess.metrics.tables import levels_and_codes

    if not horizon > 0:
        raise ValueError(f"horizon must be positive, got {horizon!r}")
    ev = event.astype(bool)
    levels, lcode = levels_and_codes(score)
    flag_level = np.zeros(levels.size, dtype=bool)
    flag_level[lcode] = flagged
    if band is None:
        band_labels = ["below cut-off", "at or above cut-off"]
        bcode = flagged.astype(np.int64)
    else:
        bser = pd.Series(band)
        if bser.isna().any():
            raise ValueError("band has missing values; give every row a band")
        if isinstance(bser.dtype, pd.CategoricalDtype):
            band_labels = [str(c) for c in bser.cat.categories]
            bcode = bser.cat.codes.to_numpy().astype(np.int64)
        else:
            codes, uniq = pd.factorize(bser)
            mean_score = np.bincount(codes, weights=score) / np.bincount(codes)
            order = np.argsort(mean_score, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            bcode = rank[codes]
            band_labels = [str(uniq[i]) for i in order]
    cells = _cells(design.stratum, bcode, lcode, flag_level, time, ev, design.n_strata, len(band_labels), levels.size)
    unit_maps, parts = _units(design)
    n_units = parts[-1][1].stop
    e_count = int(np.unique(cells.tcode[cells.event]).size)
    c_boot = n_units * (e_count + 1) * levels.size <= MAX_C_GRID
    # per-group C point estimates come from harrell_c below; the batched C pieces are only
    # needed for the bootstrap (and only when their grid is small enough)
    stat = _statistic(cells, unit_maps, horizon, with_c=c_boot and bool(n_boot))
    obs = {k: v[0] for k, v in stat(cells.counts[None, :]).items()}
    rep = None
    if n_boot:
        stat_b = stat
        keys = ("km", "conf", "flagged_n", "n", "c_num", "c_den")
        shapes = {k: obs[k].shape for k in keys}

        def batch(c: np.ndarray) -> np.ndarray:
            res = stat_b(np.asarray(c, dtype=float))
            return np.concatenate([res[k].reshape(res[k].shape[0], -1) for k in keys], axis=1)

        est = batch(cells.counts[None, :])[0]
        # with the dense C grid, evaluate few replicates per call so that the grids stay in cache
        grid_per_rep = n_units * ((e_count + 1) * levels.size + len(band_labels) * (cells.times.size + 1)) + cells.counts.size
        per_call = max(1, min(50, GRID_BUDGET // max(grid_per_rep, 1))) if c_boot else 50
        boot = bootstrap_counts(batch, cells.counts.astype(np.int64), strata=cells.stratum if stratified else None,
                                n_boot=n_boot, seed=seed, ci="percentile", confidence_level=confidence_level,
                                n_jobs=n_jobs, estimate=est, max_batch_cells=per_call * cells.counts.size)
        flat = np.asarray(boot.replicates, dtype=float).reshape(n_boot, -1)
        rep = {}
        pos = 0
        for k in keys:
            size = int(np.prod(shapes[k]))
            rep[k] = flat[:, pos : pos + size].reshape((n_boot, *shapes[k]))
            pos += size

    # ---------------- survival by band
    rows = []
    km_lo = km_hi = None
    if rep is not None:
        km_lo, km_hi = percentile_interval(rep["km"], confidence_level)
    for name, sl, labels in parts:
        sup_groups = suppressed.get(name, np.zeros(len(labels), dtype=bool))
        for gi, label in enumerate(labels):
            u = sl.start + gi
            for bi, blabel in enumerate(band_labels):
                n_cell = obs["km_n"][u, bi]
                e_cell = obs["km_events"][u, bi]
                small = n_cell < min_group_size or e_cell < min_events
                sup = bool(sup_groups[gi]) if name != "(all)" else False
                sup = sup or small
                val = obs["km"][u, bi]
                rows.append({
                    "grouping": name,
                    "group": label,
                    "band": blabel,
                    "horizon": horizon,
                    "n": None if sup else int(n_cell),
                    "events_by_horizon": None if sup else int(e_cell),
                    "at_risk_after_horizon": None if sup else int(obs["km_at_risk"][u, bi]),
                    "survival": math.nan if sup else val,
                    "lower": math.nan if sup or km_lo is None else km_lo[u, bi],
                    "upper": math.nan if sup or km_hi is None else km_hi[u, bi],
                    "status": "suppressed" if sup else ("ok" if np.isfinite(val) else "undefined"),
                    "reason": (f"suppressed: fewer than {min_group_size} people or {min_events} events" if sup
                               else (None if np.isfinite(val) else "no follow-up reaches the horizon")),
                })
    by_band = pd.DataFrame(rows)

    # ---------------- error rates at the horizon (GroupMetricFrames)
    rates = _rates(obs["conf"], obs["flagged_n"], obs["n"])
    rates_rep = None if rep is None else _rates(rep["conf"], rep["flagged_n"], rep["n"])
    frames: dict[str, GroupMetricFrame] = {}
    c_index: dict[str, dict[str, Any]] = {}
    overall_c = harrell_c(time, ev, score, ci=None)
    # without the batched bootstrap of C (grid too large), C gets infinitesimal-jackknife Wald
    # intervals: per group, whole sample and every comparison (see GroupMetricFrame)
    c_wald = bool(n_boot) and not c_boot
    overall_infl = harrell_influence(time, ev, score) if c_wald else None
    c_rep = None
    if rep is not None and c_boot:
        c_rep = _div(rep["c_num"], rep["c_den"])
    for name, sl, labels in parts[1:]:
        grouping = design.grouping(name)
        row_group = grouping.member[design.stratum]
        n_g = obs["n"][sl]
        case_counts = np.bincount(row_group, weights=(ev & (time <= horizon)).astype(float), minlength=len(labels))
        control_counts = np.bincount(row_group, weights=(time > horizon).astype(float), minlength=len(labels))
        sup = suppressed.get(name, np.zeros(len(labels), dtype=bool)).copy()
        reasons = []
        for gi in range(len(labels)):
            if sup[gi]:
                reasons.append(f"suppressed: fewer than {min_group_size} people or {min_events} events (or non-events)")
            elif case_counts[gi] < min_events:
                sup[gi] = True
                reasons.append(f"suppressed: fewer than {min_events} events by the horizon")
            elif control_counts[gi] < min_events:
                sup[gi] = True
                reasons.append(f"suppressed: fewer than {min_events} people followed beyond the horizon without an event")
            else:
                reasons.append(None)
        # Harrell's C per group: point estimates from assess.metrics.concordance.harrell_c
        c_est = np.full(len(labels), np.nan)
        reasons_c: list[str | None] = []
        for gi in range(len(labels)):
            sel = row_group == gi
            r = harrell_c(time[sel], ev[sel], score[sel], ci=None)
            c_est[gi] = r.estimate
            reasons_c.append(r.reason)
        reasons_m = np.full((len(labels), len(SURVIVAL_METRICS)), None, dtype=object)
        reasons_m[:, 0] = reasons_c
        reps = None
        reps_o = None
        if rates_rep is not None:
            cr = c_rep[:, sl] if c_rep is not None else np.full((n_boot, len(labels)), np.nan)
            cro = c_rep[:, 0] if c_rep is not None else np.full(n_boot, np.nan)
            reps = np.concatenate([cr[:, :, None], rates_rep[:, sl]], axis=2)
            reps_o = np.column_stack([cro, rates_rep[:, 0]])
        wald = None
        if c_wald:
            wald = {"c_index": _c_covariance(time, ev, score, row_group, len(labels), overall_infl)}
        frames[name] = GroupMetricFrame(
            grouping=f"{name} (survival, horizon {horizon:g})",
            groups=labels,
            metrics=SURVIVAL_METRICS,
            estimates=np.column_stack([c_est, rates[sl]]),
            overall=np.r_[overall_c.estimate, rates[0]],
            n=n_g,
            events=case_counts,
            suppressed=sup,
            suppression_reasons=reasons,
            reasons=reasons_m,
            overall_reasons=[overall_c.reason] + [None] * len(HORIZON_METRICS),
            replicates=reps,
            overall_replicates=reps_o,
            confidence_level=confidence_level,
            wald_covariance=wald,
        )
        c_index[name] = {
            "bootstrap_note": None if c_boot or not n_boot else (
                "too many distinct event times x score levels for the batched bootstrap"),
            "ci_method": "ij-wald" if c_wald else ("percentile" if n_boot else None),
        }
    error_rates = pd.concat([f.to_frame() for f in frames.values()], ignore_index=True) if frames else pd.DataFrame()
    comparisons = pd.concat([f.comparisons_frame() for f in frames.values()], ignore_index=True) if frames else pd.DataFrame()
    identity = _identity(frames)
    return SurvivalFairness(by_band=by_band, error_rates=error_rates, comparisons=comparisons, identity=identity,
                            frames=frames, c_index=c_index)


def _identity(frames: dict[str, GroupMetricFrame]) -> pd.DataFrame:
    from ._batch import chouldechova_fpr

    rows = []
    for frame in frames.values():
        bg = frame.by_group
        implied = chouldechova_fpr(bg["cumulative_incidence"].to_numpy(), bg["ppv"].to_numpy(), bg["fnr"].to_numpy())
        for gi, g in enumerate(frame.groups):
            fpr = bg["fpr"].iloc[gi]
            ok = (not frame.suppressed[gi]) and np.isfinite(fpr) and np.isfinite(implied[gi])
            rows.append({
                "grouping": frame.grouping,
                "group": g,
                "base_rate": bg["cumulative_incidence"].iloc[gi],
                "ppv": bg["ppv"].iloc[gi],
                "fnr": bg["fnr"].iloc[gi],
                "fpr": fpr,
                "implied_fpr": implied[gi],
                "abs_difference": abs(fpr - implied[gi]) if ok else math.nan,
                "status": "suppressed" if frame.suppressed[gi] else ("ok" if ok else "undefined"),
                "reason": frame.suppression_reasons[gi] if frame.suppressed[gi] else (None if ok else "needs 0 < p < 1 and PPV > 0"),
            })
    return pd.DataFrame(rows)
