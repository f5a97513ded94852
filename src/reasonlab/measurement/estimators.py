"""Inference-time scaling estimators: pass@k, best-of-N and cost (majority vote: ``voting``).

Everything here is pure (no policy, no torch): it turns samples that were already drawn into the
numbers a scaling curve plots. Each estimator is the *expectation over random k-subsets* of the
``n >= k`` samples drawn per problem, computed exactly, so one batch of samples gives a whole
curve k = 1..n with no resampling and no Monte Carlo noise on top of the sampling noise.

The experiments that draw samples from a policy (sweeps, thinking budgets, sequential revisions)
live in :mod:`reasonlab.measurement.sweeps`; :mod:`reasonlab.measurement.scaling` gathers both under
the names the notebooks use.

Tie handling, everywhere: a tie is broken uniformly at random among the tied candidates (the
majority vote and its exact majority@k are :mod:`reasonlab.measurement.voting`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

# Binomial coefficients are exact Python ints below; as float64 they overflow past C(1029, 514).
MAX_SAMPLES = 1000


def _check_int(name: str, value: Any, minimum: int) -> int:
    # bool is an int subclass; pass_at_k(True, ...) is a bug, not a request.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of pass@k from ``n`` samples of which ``c`` are correct.

    pass@k is the probability that at least one of k samples is correct. Drawing k of the n
    samples without replacement, the chance that all k are wrong is C(n-c, k) / C(n, k), so

        pass@k = 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=n-c+1}^{n} (1 - k / i)

    (Chen et al., 2021). The product form never builds a huge binomial and stays accurate to a few
    ulps for any n; it is exact at the ends: 0 when c = 0, 1 when n - c < k.

    Args:
        n: samples drawn for the problem (n >= 1).
        c: how many of them are correct (0 <= c <= n).
        k: the budget being estimated (1 <= k <= n).

    Returns:
        The estimate, in [0, 1].
    """
    n = _check_int("n", n, 1)
    c = _check_int("c", c, 0)
    k = _check_int("k", k, 1)
    if c > n:
        raise ValueError(f"c (correct samples) must be <= n (samples), got c={c}, n={n}")
    if k > n:
        raise ValueError(f"k must be <= n: cannot estimate pass@{k} from {n} samples")
    if n - c < k:  # every k-subset contains a correct sample
        return 1.0
    all_wrong = float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=np.float64)))
    return 1.0 - all_wrong


@functools.lru_cache(maxsize=8)
def binomials(n: int) -> np.ndarray:
    """Table of C(a, b) for 0 <= a, b <= n as float64 (Pascal's rule), shape (n + 1, n + 1).

    Exact while the entries fit in 53 bits (n <= 56); beyond that each entry carries a relative
    rounding error of order n * 1e-16, far below any sampling error. Cached; do not modify.
    """
    n = _check_int("n", n, 0)
    if n > MAX_SAMPLES:
        raise ValueError(f"binomial table limited to n <= {MAX_SAMPLES}, got {n}")
    table = np.zeros((n + 1, n + 1))
    table[:, 0] = 1.0
    for a in range(1, n + 1):
        table[a, 1 : a + 1] = table[a - 1, :a] + table[a - 1, 1 : a + 1]
    table.setflags(write=False)
    return table


def pass_at_k_curve(n: int, c: int, ks: Sequence[int]) -> np.ndarray:
    """:func:`pass_at_k` for several k at once (same product form), shape (len(ks),)."""
    n = _check_int("n", n, 1)
    c = _check_int("c", c, 0)
    if c > n:
        raise ValueError(f"c (correct samples) must be <= n (samples), got c={c}, n={n}")
    k = np.array([_check_int("k", k, 1) for k in ks], dtype=np.float64)
    if (k > n).any():
        raise ValueError(f"every k must be <= n = {n} samples, got ks={list(ks)}")
    i = np.arange(n - c + 1, n + 1, dtype=np.float64)  # (c,)
    all_wrong = np.prod(np.clip(1.0 - k[:, None] / i[None, :], 0.0, None), axis=1)
    return 1.0 - all_wrong


def best_of_n(samples: Sequence[T], scorer: Callable[[T], float], n: int) -> T:
    """The highest-scoring of the first ``n`` samples (the earliest wins a tie).

    Args:
        samples: candidates, at least ``n`` of them.
        scorer: a verifier's reward (an oracle, or a learned reward model in real systems) or
            the policy's own confidence, e.g. its mean log-prob per token (no verifier needed).
        n: how many candidates to consider.
    """
    n = _check_int("n", n, 1)
    if n > len(samples):
        raise ValueError(f"best_of_n needs n <= len(samples), got n={n}, {len(samples)} samples")
    scores = [float(scorer(s)) for s in samples[:n]]
    return samples[int(np.argmax(scores))]  # argmax returns the first maximum


def best_of_n_at_k(
    scores: Sequence[float], correct: Sequence[bool], ks: Sequence[int]
) -> np.ndarray:
    """Exact expected accuracy of best-of-k over random k-subsets of one problem's n samples.

    The pick is the subset's highest score, ties broken uniformly at random. Group samples by
    score: the pick comes from group g when the subset meets g and nothing scored higher, which
    has probability [C(L_g + m_g, k) - C(L_g, k)] / C(n, k), with L_g samples scored below g
    and m_g in it; given that, the pick is uniform within g, so it is right with probability
    (correct in g) / m_g. With a 0/1 verifier as the score this is exactly pass@k.

    Args:
        scores: shape (n,), the scorer's value per sample.
        correct: shape (n,), whether each sample is right.
        ks: budgets, each in 1..n.

    Returns:
        Array of shape (len(ks),).
    """
    s = np.asarray(scores, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    n = len(s)
    if s.shape != ok.shape or s.ndim != 1 or n == 0:
        raise ValueError(
            f"scores and correct must be equal-length non-empty 1-D, got {s.shape}, {ok.shape}"
        )
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    ks = [_check_int("k", k, 1) for k in ks]
    if any(k > n for k in ks):
        raise ValueError(f"every k must be <= n = {n} samples, got ks={ks}")
    levels, inverse = np.unique(s, return_inverse=True)  # ascending
    size = np.bincount(inverse, minlength=len(levels))
    right = np.bincount(inverse, weights=ok, minlength=len(levels))
    below = np.concatenate([[0], np.cumsum(size)[:-1]])
    comb = binomials(n)[:, ks]  # (n + 1, len(ks))
    ways = comb[below + size] - comb[below]  # (levels, len(ks)) subsets whose best is in g
    out = (right / size) @ ways / comb[n]
    return out


def cost(
    tokens: int | Sequence[int],
    *,
    price_per_million: float,
    tokens_per_s: float,
    parallel: bool,
) -> tuple[float, float]:
    """Dollars and seconds to generate some samples for one prompt.

    A simple decode-bound model: every generated token costs the same, and one sequence decodes
    at ``tokens_per_s``. Parallel samples (self-consistency, best-of-N) run as one batch, so the
    prompt waits for the *longest* one; sequential samples (revisions) wait for each other, so
    their times add up. Prompt tokens and batching slow-downs are ignored.

    Args:
        tokens: generated tokens of each sample (or one total, for a single sample).
        price_per_million: dollars per million generated tokens.
        tokens_per_s: decoding speed of one sequence, measured (see ``benchmarks/scaling.py``).
        parallel: True if the samples are drawn at once, False if one after another.

    Returns:
        (dollars, seconds).
    """
    counts = [tokens] if isinstance(tokens, (int, np.integer)) else list(tokens)
    if not counts:
        raise ValueError("tokens is empty: give the token count of at least one sample")
    for t in counts:
        _check_int("tokens", t, 0)
    if not price_per_million >= 0:
        raise ValueError(f"price_per_million must be >= 0, got {price_per_million}")
    if not tokens_per_s > 0:
        raise ValueError(f"tokens_per_s must be > 0, got {tokens_per_s}")
    dollars = sum(counts) * price_per_million / 1e6
    seconds = (max(counts) if parallel else sum(counts)) / tokens_per_s
    return float(dollars), float(seconds)


__all__ = [
    "MAX_SAMPLES",
    "best_of_n",
    "binomials",
    "pass_at_k_curve",
    "best_of_n_at_k",
    "cost",
    "pass_at_k",
]
