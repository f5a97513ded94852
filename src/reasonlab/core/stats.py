"""Intervals over seeds: the chapter's one way of saying how sure a comparison is.

Every comparison between methods runs over several *paired* seeds (same seed = same prompts,
same starting weights, same evaluation set in both arms). A result is then a list of numbers,
one per seed, and the chapter reports:

* :func:`mean_ci`: the mean over seeds and a 95% **t-interval**, ``mean +- t * sd / sqrt(n)``
  with the Student-t quantile of ``n - 1`` degrees of freedom (2.776 for 5 seeds). With few
  seeds this interval is wide on purpose: it is the real size of the uncertainty a reader faces
  when the experiment is rerun with other seeds.
* :func:`paired_difference`: the same interval for the per-seed difference of two arms. Pairing
  removes the part of the seed-to-seed spread both arms share (an easy draw of prompts lifts
  both), so a paired interval is usually much narrower than the two arms' own intervals. A
  difference is stated as a difference only when this interval excludes zero
  (:attr:`Interval.excludes_zero`); otherwise it is "not distinguishable at n seeds".
* :func:`band`: mean and interval per step of several curves (histories), for plots.

The quantile is computed here (:func:`t_quantile`, by bisection on the t distribution's CDF,
itself a regularised incomplete beta function evaluated by its continued fraction) so that the
package needs no SciPy; the test checks it against tabulated values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "Interval",
    "band",
    "mean_ci",
    "paired_difference",
    "summarize_seeds",
    "t_cdf",
    "t_quantile",
]


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
    front = math.exp(ln + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t distribution with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class Interval:
    """A mean over seeds with its two-sided t-interval."""

    mean: float
    lo: float
    hi: float
    sd: float  #: sample standard deviation over seeds (n - 1 in the denominator)
    n: int  #: number of seeds
    level: float = 0.95

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2.0

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0 (a supported difference)."""
        return self.lo > 0.0 or self.hi < 0.0

    def as_dict(self) -> dict:
        """``{"mean", "ci95": [lo, hi], "sd", "n"}``: the form the JSON artifacts store."""
        return {"mean": self.mean, "ci95": [self.lo, self.hi], "sd": self.sd, "n": self.n}

    def text(self, digits: int = 3) -> str:
        """``0.912 [0.874, 0.950]``: mean and interval, for tables."""
        return f"{self.mean:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}]"

    def __str__(self) -> str:
        return self.text()


def _values(values: Sequence[float], what: str) -> list[float]:
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError(f"{what}: no values (one per seed expected)")
    bad = [v for v in xs if not math.isfinite(v)]
    if bad:
        raise ValueError(f"{what}: non-finite values {bad}")
    return xs


def mean(values) -> float:
    """The mean of ``values`` (any iterable of numbers); NaN when there are none."""
    xs = [float(x) for x in values]
    return sum(xs) / len(xs) if xs else float("nan")


def mean_ci(values: Sequence[float], *, level: float = 0.95) -> Interval:
    """Mean of per-seed values and its t-interval (a single seed: the interval is the point)."""
    xs = _values(values, "mean_ci")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1:
        return Interval(mean, mean, mean, 0.0, 1, level)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = t_quantile(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, sd, n, level)


def paired_difference(a: Sequence[float], b: Sequence[float], *, level: float = 0.95) -> Interval:
    """Interval of the per-seed difference ``a - b`` (both lists in the same seed order)."""
    xa, xb = _values(a, "paired_difference a"), _values(b, "paired_difference b")
    if len(xa) != len(xb):
        raise ValueError(
            f"paired_difference: {len(xa)} seeds in a but {len(xb)} in b (pairs expected)"
        )
    return mean_ci([x - y for x, y in zip(xa, xb, strict=True)], level=level)


def band(
    curves: Sequence[Sequence[Mapping]], key: str, *, x: str = "step", level: float = 0.95
) -> dict[str, list[float]]:
    """Mean and interval per ``x`` of several histories (one per seed) for the metric ``key``.

    Only the ``x`` values every history has a ``key`` for are kept (histories evaluated at
    the same steps give the same points). Returns ``{"x", "mean", "lo", "hi"}`` as lists.
    """
    if not curves:
        raise ValueError("band: no curves")
    per = []
    for hist in curves:
        per.append({row[x]: float(row[key]) for row in hist if key in row and x in row})
    common = sorted(set.intersection(*(set(p) for p in per)))
    if not common:
        raise ValueError(f"band: no {x!r} at which every curve has {key!r}")
    out: dict[str, list[float]] = {"x": [], "mean": [], "lo": [], "hi": []}
    for step in common:
        iv = mean_ci([p[step] for p in per], level=level)
        out["x"].append(step)
        out["mean"].append(iv.mean)
        out["lo"].append(iv.lo)
        out["hi"].append(iv.hi)
    return out


def summarize_seeds(per_seed: Mapping[int, float], *, level: float = 0.95) -> dict:
    """``{"seeds": [...], "values": [...], "mean", "ci95", "sd", "n"}`` of a seed -> value map."""
    seeds = sorted(per_seed)
    values = [float(per_seed[s]) for s in seeds]
    return {"seeds": seeds, "values": values, **mean_ci(values, level=level).as_dict()}
