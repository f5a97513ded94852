"""reasonlab.core.stats: t quantiles against tabulated values, intervals, pairing, bands."""

import math

import pytest

from reasonlab.core import stats

# Student-t 0.975 quantiles (any printed t table; e.g. NIST/SEMATECH e-Handbook, table 1.4.2.7)
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 19: 2.093, 29: 2.045}


@pytest.mark.parametrize("df,q", sorted(T975.items()))
def test_t_quantile_matches_table(df, q):
    assert stats.t_quantile(0.975, df) == pytest.approx(q, abs=1e-3)


def test_t_cdf_is_symmetric_and_tends_to_normal():
    assert stats.t_cdf(0.0, 3) == pytest.approx(0.5)
    assert stats.t_cdf(1.3, 7) + stats.t_cdf(-1.3, 7) == pytest.approx(1.0)
    assert stats.t_quantile(0.975, 10_000) == pytest.approx(1.95996, abs=1e-3)
    assert stats.t_quantile(0.025, 4) == pytest.approx(-2.776, abs=1e-3)


def test_mean_ci_by_hand():
    xs = [0.90, 0.92, 0.95, 0.88, 0.97]
    iv = stats.mean_ci(xs)
    mean = sum(xs) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / 4)
    assert iv.mean == pytest.approx(mean)
    assert iv.sd == pytest.approx(sd)
    assert iv.half_width == pytest.approx(2.776445 * sd / math.sqrt(5), rel=1e-5)
    assert iv.n == 5 and iv.lo < mean < iv.hi
    d = iv.as_dict()
    assert d["ci95"] == [iv.lo, iv.hi] and d["n"] == 5
    assert iv.text(2) == f"{mean:.2f} [{iv.lo:.2f}, {iv.hi:.2f}]"


def test_single_seed_interval_is_the_point():
    iv = stats.mean_ci([0.5])
    assert (iv.lo, iv.mean, iv.hi, iv.n) == (0.5, 0.5, 0.5, 1)


def test_pairing_removes_shared_spread():
    # arm b = arm a + 0.02 on every seed, seeds spread widely: unpaired intervals overlap,
    # the paired difference is exactly supported
    a = [0.5, 0.7, 0.6, 0.9, 0.4]
    b = [x + 0.02 for x in a]
    ia, ib = stats.mean_ci(a), stats.mean_ci(b)
    assert ia.hi > ib.lo  # unpaired: overlapping
    d = stats.paired_difference(b, a)
    assert d.mean == pytest.approx(0.02) and d.excludes_zero
    noisy = stats.paired_difference([0.5, 0.6, 0.4, 0.55, 0.45], [0.52, 0.58, 0.43, 0.5, 0.46])
    assert not noisy.excludes_zero


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="no values"):
        stats.mean_ci([])
    with pytest.raises(ValueError, match="non-finite"):
        stats.mean_ci([0.1, float("nan")])
    with pytest.raises(ValueError, match="pairs expected"):
        stats.paired_difference([1, 2], [1])
    with pytest.raises(ValueError, match="p must be"):
        stats.t_quantile(1.0, 3)


def test_band_keeps_common_steps():
    h1 = [{"step": 0, "acc": 0.1}, {"step": 5, "acc": 0.3}, {"step": 10, "acc": 0.5}]
    h2 = [{"step": 0, "acc": 0.2}, {"step": 5, "acc": 0.5}]
    b = stats.band([h1, h2], "acc")
    assert b["x"] == [0, 5]
    assert b["mean"] == pytest.approx([0.15, 0.4])
    assert all(lo <= m <= hi for lo, m, hi in zip(b["lo"], b["mean"], b["hi"], strict=True))
    with pytest.raises(ValueError, match="every curve"):
        stats.band([h1, [{"step": 99, "acc": 1.0}]], "acc")


def test_summarize_seeds_orders_by_seed():
    s = stats.summarize_seeds({3: 0.3, 1: 0.1, 2: 0.2})
    assert s["seeds"] == [1, 2, 3] and s["values"] == [0.1, 0.2, 0.3]
    assert s["mean"] == pytest.approx(0.2)
