"""Inference-time scaling estimators: pass@k, majority vote, majority@k, best-of-N and cost.

Everything here is pure (no policy, no torch): it turns samples that were already drawn into the
numbers a scaling curve plots. Each estimator is the *expectation over random k-subsets* of the
``n >= k`` samples drawn per problem, computed exactly, so one batch of samples gives a whole
curve k = 1..n with no resampling and no Monte Carlo noise on top of the sampling noise.

The experiments that draw samples from a policy (sweeps, thinking budgets, sequential revisions)
live in :mod:`reasonlab.measurement.sweeps`; :mod:`reasonlab.measurement.scaling` gathers both under
the names the notebooks use.

Tie handling, everywhere in this module: a tie is broken uniformly at random among the tied
candidates. For a random k-subset in random order this is the same as "the tied answer that
appears first", which is what :func:`majority_vote` does by default.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Hashable, Sequence
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


def majority_vote(
    answers: Sequence[Hashable | None],
    *,
    tie_break: str | Sequence[float] = "first",
    seed: int | None = None,
) -> Hashable | None:
    """The most common answer; ``None`` (no answer extracted) never wins.

    Args:
        answers: one extracted answer per sample; answers must be hashable and already
            normalised (``"936"`` and ``"0936"`` are different votes here).
        tie_break: how to choose among answers with the same (largest) count:
            ``"first"``: the one whose first vote comes earliest in ``answers``;
            ``"random"``: uniformly at random, using ``seed``;
            a sequence of scores, one per sample (e.g. the policy's log-probs): the tied answer
            with the highest single score, then the earliest.
        seed: required with ``tie_break="random"``.

    Returns:
        The winning answer, or ``None`` if every answer is ``None`` (or ``answers`` is empty).
    """
    scores = None
    if isinstance(tie_break, str):
        if tie_break not in ("first", "random"):
            raise ValueError(
                f"tie_break must be 'first', 'random' or a list of scores, got {tie_break!r}"
            )
        if tie_break == "random" and seed is None:
            raise ValueError("tie_break='random' needs a seed so the vote is reproducible")
    else:
        scores = [float(s) for s in tie_break]
        if len(scores) != len(answers):
            raise ValueError(
                f"tie_break scores must have one score per answer: {len(scores)} scores "
                f"for {len(answers)} answers"
            )
    counts: dict[Hashable, int] = {}
    best_score: dict[Hashable, float] = {}
    for i, answer in enumerate(answers):
        if answer is None:
            continue
        counts[answer] = counts.get(answer, 0) + 1  # dicts keep first-vote order
        if scores is not None:
            best_score[answer] = max(best_score.get(answer, -math.inf), scores[i])
    if not counts:
        return None
    top = max(counts.values())
    tied = [a for a, m in counts.items() if m == top]
    if len(tied) == 1 or tie_break == "first":
        return tied[0]
    if scores is not None:
        return max(tied, key=lambda a: best_score[a])  # max() keeps the earliest on equal scores
    return random.Random(seed).choice(tied)


def _gold_index(answers: Sequence[Hashable | None], gold: Hashable) -> tuple[list[int], int, int]:
    """Vote counts of the non-None answers, which of them is gold (-1: absent), and #None."""
    counts: dict[Hashable, int] = {}
    num_none = 0
    for a in answers:
        if a is None:
            num_none += 1
        else:
            counts[a] = counts.get(a, 0) + 1
    keys = list(counts)
    g = keys.index(gold) if gold in counts else -1
    return [counts[a] for a in keys], g, num_none


def majority_at_k_exact(
    answers: Sequence[Hashable | None], gold: Hashable, ks: Sequence[int]
) -> np.ndarray:
    """Exact expected accuracy of a k-sample majority vote, for one problem and several k.

    The k voters are a uniformly random k-subset of the n samples; ties are broken uniformly at
    random (equivalently: the tied answer voted first, in a random order); ``None`` never wins.

    How: condition on the gold answer getting t votes. The vote is right with probability
    1 / (1 + ties) if no other answer gets more than t votes, where ``ties`` counts answers
    that also get exactly t. Answers with fewer than t samples can never reach t, so they pool
    with the ``None`` samples into a free term C(free, s); each answer with at least t samples
    contributes a polynomial in (votes, ties). The number of these is at most n / t, so the work
    is O(n * k) small matrix products per problem.

    Args:
        answers: the n extracted answers (``None`` for no answer).
        gold: the correct answer (compared with ``==``).
        ks: budgets, each in 1..n.

    Returns:
        Array of shape (len(ks),): expected accuracy for each k.
    """
    n = len(answers)
    if n == 0:
        raise ValueError("majority@k needs at least one sample per problem, got none")
    if n > MAX_SAMPLES:
        raise ValueError(f"majority@k is exact up to {MAX_SAMPLES} samples per problem, got {n}")
    ks = [_check_int("k", k, 1) for k in ks]
    if any(k > n for k in ks):
        raise ValueError(f"every k must be <= n = {n} samples, got ks={ks}")
    counts, g, num_none = _gold_index(answers, gold)
    out = np.zeros(len(ks))
    if g < 0 or not ks:
        return out
    m_gold = counts[g]
    others = [m for i, m in enumerate(counts) if i != g]
    k_max = max(ks)
    size = k_max + 1
    comb = binomials(n)
    totals = comb[n, ks]
    ks_arr = np.array(ks)
    for t in range(1, min(m_gold, k_max) + 1):
        rivals = [m for m in others if m >= t]
        free = n - m_gold - sum(rivals)  # None samples and answers that cannot reach t votes
        poly = _rival_ways(rivals, t, size, comb)
        # Each tie configuration with j rivals at t wins with probability 1 / (j + 1).
        by_votes = poly @ (1.0 / np.arange(1, len(rivals) + 2))  # (size,)
        # with_free[r]: ways to give r samples to the rivals and the free pool together
        with_free = np.convolve(by_votes, comb[free, :size])[:size]
        rest = ks_arr - t  # samples not given to gold
        use = rest >= 0
        out[use] += comb[m_gold, t] * with_free[rest[use]]
    return out / totals


def _rival_ways(rivals: Sequence[int], t: int, size: int, comb: np.ndarray) -> np.ndarray:
    """poly[s, j]: the ways to take s samples from the rivals (answers with ``rivals[i]``
    samples each), none of them more than t votes, with exactly j of them at t (tied with gold).
    Shape (size, len(rivals) + 1)."""
    poly = np.zeros((size, len(rivals) + 1))
    poly[0, 0] = 1.0
    for m in rivals:
        below = comb[m, :t]
        new = np.zeros_like(poly)
        for x, w in enumerate(below):  # rival takes x < t votes: no tie
            new[x:] += w * poly[: size - x]
        if t < size:  # rival takes exactly t votes: one more tie
            new[t:, 1:] += comb[m, t] * poly[: size - t, :-1]
        poly = new
    return poly


def _check_problems(answers_per_problem: Sequence[Sequence], gold: Sequence) -> None:
    if len(answers_per_problem) != len(gold):
        raise ValueError(
            f"need one gold answer per problem: {len(answers_per_problem)} problems, "
            f"{len(gold)} gold answers"
        )
    if len(gold) == 0:
        raise ValueError("need at least one problem")


def majority_at_k_per_problem(
    answers_per_problem: Sequence[Sequence[Hashable | None]],
    gold: Sequence[Hashable],
    ks: Sequence[int],
) -> np.ndarray:
    """Exact expected majority-vote accuracy per problem; see :func:`majority_at_k_exact`.

    Returns:
        Array of shape (num_problems, len(ks)).
    """
    _check_problems(answers_per_problem, gold)
    return np.stack(
        [majority_at_k_exact(a, g, ks) for a, g in zip(answers_per_problem, gold, strict=True)]
    )


def majority_at_k(
    answers_per_problem: Sequence[Sequence[Hashable | None]],
    gold: Sequence[Hashable],
    k: int,
    *,
    seed: int | None = None,
) -> float:
    """Expected accuracy of a k-sample majority vote, averaged over problems.

    Estimated from n >= k samples per problem as the exact average over *all* k-subsets of
    them (not one arbitrary subset), with ties broken uniformly at random and ``None`` answers
    never winning. This is unbiased for the accuracy of voting over k fresh samples.

    Args:
        answers_per_problem: per problem, the n extracted answers (n may differ per problem).
        gold: per problem, the correct answer.
        k: voters per problem.
        seed: unused by the exact computation (it draws nothing); accepted so the call looks
            like :func:`majority_at_k_monte_carlo`, which does draw.

    Returns:
        Mean expected accuracy over problems.
    """
    del seed  # exact: no randomness
    return float(majority_at_k_per_problem(answers_per_problem, gold, [k])[:, 0].mean())


def majority_at_k_monte_carlo(
    answers_per_problem: Sequence[Sequence[Hashable | None]],
    gold: Sequence[Hashable],
    k: int,
    *,
    num_draws: int = 1000,
    seed: int,
) -> tuple[float, float]:
    """Monte Carlo version of :func:`majority_at_k`, kept to cross-check the exact one.

    Each draw takes a random k-subset of each problem's samples in random order and votes with
    ``tie_break="first"`` (which, in random order, is a uniform tie-break).

    Returns:
        (mean accuracy, standard error of that mean over the ``num_draws`` draws).
    """
    _check_problems(answers_per_problem, gold)
    num_draws = _check_int("num_draws", num_draws, 2)
    rng = random.Random(seed)
    per_draw = np.zeros(num_draws)
    for answers, g in zip(answers_per_problem, gold, strict=True):
        if k > len(answers):
            raise ValueError(f"k = {k} > {len(answers)} samples for one problem")
        for d in range(num_draws):
            per_draw[d] += majority_vote(rng.sample(list(answers), k)) == g
    per_draw /= len(gold)
    return float(per_draw.mean()), float(per_draw.std(ddof=1) / math.sqrt(num_draws))


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
    "majority_at_k",
    "majority_at_k_exact",
    "majority_at_k_monte_carlo",
    "majority_at_k_per_problem",
    "majority_vote",
    "pass_at_k",
]
