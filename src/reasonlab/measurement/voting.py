"""Majority vote (self-consistency) and its exact expected accuracy at every k.

Pure, like :mod:`reasonlab.measurement.estimators` (whose pass@k and binomials it uses): each
estimate is the expectation over random k-subsets of the n samples drawn per problem. A tie is
broken uniformly at random among the tied answers, which for a random k-subset in random order
is the same as "the tied answer that appears first" (what :func:`majority_vote` does by default);
``None`` (no answer) never wins.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence

import numpy as np

from .estimators import MAX_SAMPLES, _check_int, binomials

__all__ = [
    "majority_at_k",
    "majority_at_k_exact",
    "majority_at_k_monte_carlo",
    "majority_at_k_per_problem",
    "majority_vote",
]


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
