"""Bootstrap engine: reproducibility, n_jobs invariance, BCa against scipy, count-table draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from assess.metrics.bootstrap import (
    BootstrapResult,
    bca_levels,
    bootstrap,
    bootstrap_counts,
    bootstrap_weights,
    jackknife_acceleration,
)
from assess.metrics.tables import ScoreOutcomeTable


def test_same_seed_same_result_and_n_jobs_invariance(rng):
    x = rng.normal(size=300)
    a = bootstrap(np.mean, x, n_boot=260, seed=42)
    b = bootstrap(np.mean, x, n_boot=260, seed=42, n_jobs=2)
    c = bootstrap(np.mean, x, n_boot=260, seed=42, n_jobs=-1)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    np.testing.assert_array_equal(a.replicates, c.replicates)
    assert (a.lower, a.upper) == (b.lower, b.upper)
    d = bootstrap(np.mean, x, n_boot=260, seed=43)
    assert not np.array_equal(a.replicates, d.replicates)
    assert a.seed == 42 and isinstance(a, BootstrapResult)
    # seed=None draws fresh entropy but records it, so the run can be repeated
    e = bootstrap(np.mean, x, n_boot=60, seed=None)
    f = bootstrap(np.mean, x, n_boot=60, seed=np.random.SeedSequence(e.seed))
    np.testing.assert_array_equal(e.replicates, f.replicates)


def test_counts_reproducible_and_n_jobs_invariant(rng):
    counts = rng.integers(0, 30, 40)
    stat = lambda c: c[:, :20].sum(axis=1) / c.sum(axis=1)  # noqa: E731
    a = bootstrap_counts(stat, counts, n_boot=230, seed=9)
    b = bootstrap_counts(stat, counts, n_boot=230, seed=9, n_jobs=2)
    np.testing.assert_array_equal(a.replicates, b.replicates)


def test_percentile_interval_is_numpy_quantile(rng):
    x = rng.exponential(size=80)
    res = bootstrap(np.median, x, n_boot=500, seed=1, confidence_level=0.9)
    lo, hi = np.quantile(res.replicates, [0.05, 0.95])
    assert (res.lower, res.upper) == (lo, hi)
    assert res.se == pytest.approx(np.std(res.replicates, ddof=1))


def _bca_from_distribution(theta_hat, dist, jack, groups, level):
    a = jackknife_acceleration(jack, groups)
    a1, a2, _ = bca_levels(theta_hat, dist, a, level)
    return np.quantile(dist, [a1, a2])


def test_bca_matches_scipy_one_sample(rng):
    x = rng.lognormal(size=60)
    ref = stats.bootstrap(
        (x,), np.std, method="BCa", n_resamples=2000, rng=np.random.default_rng(0)
    )
    jack = np.array([np.std(np.delete(x, i)) for i in range(x.size)])
    lo, hi = _bca_from_distribution(np.std(x), ref.bootstrap_distribution, jack, None, 0.95)
    assert lo == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert hi == pytest.approx(ref.confidence_interval.high, rel=1e-12)


def test_bca_matches_scipy_two_samples_as_strata(rng):
    """A two-sample statistic bootstrapped per sample = our bootstrap stratified by outcome."""
    pos = rng.normal(1.0, 1.0, 25)
    neg = rng.normal(0.0, 1.5, 40)

    def auc_stat(p, q, axis=-1):
        return np.mean(
            (p[..., :, None] > q[..., None, :]) + 0.5 * (p[..., :, None] == q[..., None, :]),
            axis=(-2, -1),
        )

    ref = stats.bootstrap(
        (pos, neg), auc_stat, method="BCa", n_resamples=1500, rng=np.random.default_rng(1)
    )
    y = np.r_[np.ones(25, bool), np.zeros(40, bool)]
    s = np.r_[pos, neg]
    jack = np.array([roc_auc_score(np.delete(y, i), np.delete(s, i)) for i in range(y.size)])
    lo, hi = _bca_from_distribution(auc_stat(pos, neg), ref.bootstrap_distribution, jack, y, 0.95)
    assert lo == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert hi == pytest.approx(ref.confidence_interval.high, rel=1e-12)


def test_bca_end_to_end_close_to_scipy(rng):
    x = rng.gamma(2.0, size=100)
    ours = bootstrap(np.mean, x, n_boot=4000, seed=3, ci="bca")
    ref = stats.bootstrap(
        (x,), np.mean, method="BCa", n_resamples=4000, rng=np.random.default_rng(3)
    )
    assert ours.lower == pytest.approx(ref.confidence_interval.low, abs=0.03)
    assert ours.upper == pytest.approx(ref.confidence_interval.high, abs=0.03)
    assert ours.acceleration == pytest.approx(
        jackknife_acceleration(np.array([np.mean(np.delete(x, i)) for i in range(x.size)])),
        rel=1e-12,
    )


def test_count_jackknife_with_multiplicities_equals_row_jackknife(rng):
    y = rng.random(120) < 0.4
    s = rng.integers(0, 5, 120).astype(float)
    table = ScoreOutcomeTable.from_arrays(y, s)
    counts = table.cell_counts()
    row_jack = np.array([roc_auc_score(np.delete(y, i), np.delete(s, i)) for i in range(y.size)])
    a_rows = jackknife_acceleration(row_jack, y)
    a_cells = jackknife_acceleration(
        table.auc_jackknife()[counts > 0], table.cell_outcome()[counts > 0], counts[counts > 0]
    )
    assert a_cells == pytest.approx(a_rows, rel=1e-10)
    # the generic count jackknife (statistic on one-row-removed tables) gives the same
    res = bootstrap_counts(
        ScoreOutcomeTable.auc_batch,
        counts,
        strata=table.cell_outcome(),
        n_boot=50,
        seed=0,
        ci="bca",
    )
    res2 = bootstrap_counts(
        ScoreOutcomeTable.auc_batch,
        counts,
        strata=table.cell_outcome(),
        n_boot=50,
        seed=0,
        ci="bca",
        jackknife=table.auc_jackknife(),
    )
    assert res.acceleration == pytest.approx(a_rows, rel=1e-10)
    assert res2.acceleration == pytest.approx(a_rows, rel=1e-10)


def test_multinomial_cells_equal_row_resampling_in_distribution(rng):
    """Cell counts of resampled rows ~ Multinomial(n, p): compare first two moments."""
    counts = np.array([5, 0, 12, 3, 30])
    n = counts.sum()
    p = counts / n
    stat = lambda c: c.astype(float)  # noqa: E731 - identity: replicates are the draws
    res = bootstrap_counts(stat, counts, n_boot=4000, seed=4, estimate=counts.astype(float))
    draws = res.replicates
    assert draws.sum(axis=1).tolist() == [n] * 4000
    np.testing.assert_allclose(draws.mean(axis=0), n * p, atol=0.35)
    np.testing.assert_allclose(draws.var(axis=0, ddof=1), n * p * (1 - p), rtol=0.1, atol=0.05)
    rows = np.repeat(np.arange(counts.size), counts)
    big = bootstrap_counts(stat, np.repeat(1, n), n_boot=2, seed=1, estimate=np.ones(n))  # row path
    assert big.replicates.shape == (2, n)
    assert rows.size == n


def test_stratified_draws_keep_stratum_sizes(rng):
    y = np.r_[np.ones(30, bool), np.zeros(70, bool)]
    x = rng.normal(size=100)
    res = bootstrap(lambda yy, xx: yy.sum(), y, x, n_boot=100, seed=0, strata=y)
    assert np.all(res.replicates == 30)
    counts = np.array([3, 4, 5, 6, 7, 8])
    res = bootstrap_counts(
        lambda c: c[:, :3].sum(axis=1), counts, strata=[0, 0, 0, 1, 1, 1], n_boot=50, seed=0
    )
    assert np.all(res.replicates == 12)


def test_vector_statistic_and_failures(rng):
    x = rng.normal(size=40)

    def stat(v):
        return np.array([v.mean(), np.nan if v.max() > 1.5 else v.max()])

    res = bootstrap(stat, x, n_boot=200, seed=0)
    assert res.replicates.shape == (200, 2)
    frame = res.to_frame()
    assert list(frame["component"]) == [0, 1]
    assert res.n_failed[0] == 0 and res.n_failed[1] > 0
    assert any("dropped" in note for note in res.notes)
    assert "bootstrap (percentile" in str(res)


def test_degenerate_distributions_are_flagged():
    res = bootstrap(np.mean, np.ones(30), n_boot=50, seed=0, ci="bca")
    assert res.lower == res.upper == 1.0 and "degenerate" in res.notes[0]
    res = bootstrap(lambda v: np.nan, np.ones(30), n_boot=50, seed=0, estimate=1.0)
    assert math.isnan(res.lower) and res.n_failed == 50


def test_input_validation():
    with pytest.raises(ValueError, match="same length"):
        bootstrap(np.mean, np.ones(5), np.ones(4))
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(np.mean, np.ones(5), n_boot=1)
    with pytest.raises(ValueError, match="ci must be"):
        bootstrap(np.mean, np.ones(5), ci="basic")
    with pytest.raises(ValueError, match="seed"):
        bootstrap(np.mean, np.ones(5), seed=-1)
    with pytest.raises(ValueError, match="at least 2"):
        bootstrap(np.mean, np.ones(1))
    with pytest.raises(ValueError, match="non-negative integers"):
        bootstrap_counts(lambda c: c.sum(axis=1), np.array([1.5, 2]))
    with pytest.raises(ValueError, match="jackknife"):
        bootstrap(np.mean, np.ones(30_000), n_boot=2, ci="bca")


@pytest.mark.parametrize("stratified", [False, True])
@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_weights_draw_exactly_the_row_bootstrap_replicates(rng, stratified, ci):
    """Same seed => the case-weight bootstrap sees the very resamples of the row bootstrap."""
    n = 240
    x = rng.normal(size=n)
    strata = (rng.random(n) < 0.3).astype(int) if stratified else None
    order = rng.permutation(n)  # columns of the weights in a different order than the rows
    xo = x[order]

    def weighted_mean(w):
        return w @ xo / w.sum(axis=1)

    rows = bootstrap(np.mean, x, n_boot=130, seed=11, strata=strata, ci=ci)
    for jobs in (1, 2):
        wts = bootstrap_weights(
            weighted_mean,
            n,
            n_boot=130,
            seed=11,
            strata=strata,
            ci=ci,
            n_jobs=jobs,
            order=order,
            max_batch_cells=7 * n,
        )
        np.testing.assert_allclose(wts.replicates, rows.replicates, rtol=0, atol=1e-13)
        assert wts.lower == pytest.approx(rows.lower, abs=1e-13)
        assert wts.upper == pytest.approx(rows.upper, abs=1e-13)
        assert wts.resampling == rows.resampling
        if ci == "bca":  # brute-force jackknife through zero weights == np.delete jackknife
            assert wts.acceleration == pytest.approx(rows.acceleration, abs=1e-12)


def test_weights_input_validation():
    with pytest.raises(ValueError, match="permutation"):
        bootstrap_weights(lambda w: w.sum(axis=1), 5, order=[0, 1, 2, 3, 3])
    with pytest.raises(ValueError, match="at least 2 rows"):
        bootstrap_weights(lambda w: w.sum(axis=1), 1)
    with pytest.raises(ValueError, match="jackknife"):
        bootstrap_weights(lambda w: w.sum(axis=1), 20_001, n_boot=2, ci="bca")
