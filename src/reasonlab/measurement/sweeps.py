"""Inference-time scaling experiments on a policy: k sweeps, thinking budgets, revisions, cost.

The rule that keeps these cheap and honest: sample **once** per (policy, thinking budget), with
``n = max(ks)`` samples per problem, then compute every k from that one batch with the exact
subset estimators of :mod:`reasonlab.measurement.estimators`. Budgets share the seed (common
random numbers), so their differences are not drowned by sampling noise. The one batch is drawn
and judged by :mod:`reasonlab.measurement.samples` (``draw``, ``Budget``, ``Samples``; their
names still answer here).

Tables are lists of dicts (one row per budget and k), like a training history. Keys:

=========================  =================================================================
``policy``                 a name the caller gives (``"base"``, ``"rlvr"``)
``budget``                 a readable label of the thinking budget
``max_think_tokens``       cap on tokens inside ``<think>`` (``None``: no cap)
``min_think_tokens``       forced minimum of thinking tokens (``None``: none)
``k``                      samples per problem the row is about
``pass_at_k``              chance that one of k samples is right (an oracle verifier picks)
``majority_at_k``          accuracy of a k-sample majority vote (no verifier)
``best_of_k/confidence``   accuracy of the k-sample with the highest mean log-prob per token
``<metric>/se``            standard error of the metric's mean over problems
``tokens_per_answer``      mean generated tokens of one sample
``tokens/total``           expected tokens for k samples of one problem (what you pay)
``tokens/max``             expected longest of k samples (parallel latency, in tokens)
``tokens/sequential``      expected tokens of revise-until-verified with up to k attempts
``think/usage``            share of samples that opened ``<think>``
``answers/distinct``       mean number of different answers among a problem's n samples
``num_problems``, ``num_samples``, ``seed``, ``temperature``
=========================  =================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .estimators import _check_int, best_of_n_at_k, binomials, pass_at_k_curve
from .samples import (  # noqa: F401 (sweeps.draw, sweeps.Budget, ...: the names callers know)
    GOLD,
    Budget,
    Samples,
    _sample,
    as_budget,
    draw,
    judge,
)
from .voting import majority_at_k_per_problem

# ---------------------------------------------------------------- estimates from one batch


def expected_max_at_k(values: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """Exact E[max of a random k-subset] of one problem's n values, for each k.

    Sorted ascending, the i-th value (1-based) is the maximum of C(i-1, k-1) of the C(n, k)
    subsets.

    Returns:
        Array of shape (len(ks),).
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    comb = binomials(len(x))
    ks = list(ks)
    # weights[j, i] = C(i, k_j - 1) / C(n, k_j): sample i (0-based, ascending) is the maximum
    weights = comb[: len(x), [k - 1 for k in ks]].T / comb[len(x), ks][:, None]
    return weights @ x


def sequential_at_k(
    correct: Sequence[bool], tokens: Sequence[int], ks: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Revise until verified, estimated exactly from one problem's n independent samples.

    Attempts are the n samples in a random order; attempt j is paid for only if attempts
    1..j-1 were all rejected. For sample i, P(it is attempt j and the j-1 before it are wrong)
    = (1/n) * C(w_i, j-1) / C(n-1, j-1), with w_i the wrong samples other than i.

    Returns:
        (accuracy (len(ks),) = pass@k, expected tokens spent (len(ks),)).
    """
    ok = np.asarray(correct, dtype=bool)
    tok = np.asarray(tokens, dtype=np.float64)
    n, c = len(ok), int(ok.sum())
    wrong = n - c
    ks = list(ks)
    comb = binomials(n)
    j = np.arange(max(ks))  # attempt j + 1 is paid for if the j attempts before it failed
    # w_i is `wrong` for a correct sample i and `wrong - 1` for a wrong one.
    reach_right = comb[wrong, j] if wrong >= 0 else np.zeros(len(j))
    reach_wrong = comb[wrong - 1, j] if wrong >= 1 else np.zeros(len(j))
    paid = (reach_right * tok[ok].sum() + reach_wrong * tok[~ok].sum()) / (n * comb[n - 1, j])
    spent = np.cumsum(paid)
    accuracy = pass_at_k_curve(n, c, ks)
    return accuracy, spent[[k - 1 for k in ks]]


def _mean_se(per_problem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over problems (axis 0) and its standard error."""
    p = per_problem.shape[0]
    se = per_problem.std(axis=0, ddof=1) / math.sqrt(p) if p > 1 else np.zeros(per_problem.shape[1])
    return per_problem.mean(axis=0), se


def curves(samples: Samples, ks: Sequence[int], *, name: str = "") -> list[dict[str, Any]]:
    """One table row per k, every metric computed from the same samples (see module doc)."""
    ks = [_check_int("k", k, 1) for k in ks]
    n = samples.num_samples
    if any(k > n for k in ks):
        raise ValueError(f"every k must be <= num_samples = {n}, got ks={ks}")
    gold = [GOLD] * samples.num_problems
    per: dict[str, np.ndarray] = {
        "pass_at_k": np.stack(
            [pass_at_k_curve(n, int(c), ks) for c in samples.correct.sum(axis=1)]
        ),
        "majority_at_k": majority_at_k_per_problem(samples.answers, gold, ks),
        "best_of_k/confidence": np.stack(
            [
                best_of_n_at_k(s, c, ks)
                for s, c in zip(samples.confidence, samples.correct, strict=True)
            ]
        ),
    }
    longest = np.stack([expected_max_at_k(t, ks) for t in samples.tokens])
    sequential = np.stack(
        [sequential_at_k(c, t, ks)[1] for c, t in zip(samples.correct, samples.tokens, strict=True)]
    )
    mean_tokens = float(samples.tokens.mean())
    # How spread out the policy's answers are: a narrow policy repeats the same few answers.
    distinct = float(np.mean([len(set(a) - {None}) for a in samples.answers]))
    rows = []
    stats = {key: _mean_se(value) for key, value in per.items()}
    for j, k in enumerate(ks):
        row: dict[str, Any] = {
            "policy": name,
            "budget": samples.budget.label,
            "max_think_tokens": samples.budget.max_think_tokens,
            "min_think_tokens": samples.budget.min_think_tokens,
            "k": k,
        }
        for key, (mean, se) in stats.items():
            row[key] = float(mean[j])
            row[f"{key}/se"] = float(se[j])
        row |= {
            "tokens_per_answer": mean_tokens,
            "tokens/total": k * mean_tokens,
            "tokens/max": float(longest[:, j].mean()),
            "tokens/sequential": float(sequential[:, j].mean()),
            "think/usage": float(samples.think.mean()),
            "answers/distinct": distinct,
            "num_problems": samples.num_problems,
            "num_samples": n,
            "seed": samples.seed,
            "temperature": samples.temperature,
        }
        rows.append(row)
    return rows


def sweep(
    policy: Any,
    problems: Sequence[Any],
    *,
    ks: Sequence[int],
    budgets: Sequence[Budget | int | None] = (None,),
    num_samples: int | None = None,
    seed: int,
    temperature: float = 1.0,
    name: str = "",
) -> list[dict[str, Any]]:
    """Accuracy, tokens and think usage for every (budget, k), sampling once per budget.

    Args:
        policy: anything with the ``policy.sample`` interface.
        problems: the problems to evaluate on.
        ks: the k values of the curves, each <= ``num_samples``.
        budgets: thinking budgets (ints cap the thinking, ``None`` is no limit, a
            :class:`Budget` can also force a minimum).
        num_samples: samples per problem per budget; defaults to ``max(ks)``.
        seed: one seed for every budget, so budgets differ only by the budget.
        temperature: sampling temperature.
        name: stored in each row's ``policy`` column.

    Returns:
        Rows ordered by budget then k (see the module doc for the keys).
    """
    if not ks:
        raise ValueError("ks is empty: give at least one k")
    n = max(ks) if num_samples is None else num_samples
    rows: list[dict[str, Any]] = []
    for budget in budgets:
        samples = draw(
            policy, problems, num_samples=n, seed=seed, budget=budget, temperature=temperature
        )
        rows += curves(samples, ks, name=name)
    return rows


# ---------------------------------------------------------------- sequential revisions


def revise(
    policy: Any,
    problems: Sequence[Any],
    *,
    max_attempts: int,
    seed: int,
    temperature: float = 1.0,
    budget: Budget | int | None = None,
) -> dict[str, np.ndarray]:
    """Sample, verify, and try again until the verifier accepts or the attempts run out.

    The toy policy sees no feedback: a retry is a fresh sample of the same prompt (attempt a
    uses seed ``seed + a``), so this is the sequential twin of drawing ``max_attempts``
    samples in parallel. Only still-rejected problems are resampled.

    Returns:
        ``accepted`` (P,) bool, ``attempts`` (P,) int used, ``tokens`` (P,) int spent, and per
        attempt budget a = 1..max_attempts: ``accuracy`` (A,) and ``mean_tokens`` (A,), the
        accuracy and mean tokens per problem had we stopped after a attempts.
    """
    max_attempts = _check_int("max_attempts", max_attempts, 1)
    budget = as_budget(budget)
    p = len(problems)
    accepted = np.zeros(p, dtype=bool)
    attempts = np.zeros(p, dtype=np.int64)
    tokens = np.zeros(p, dtype=np.int64)
    accuracy, mean_tokens = np.zeros(max_attempts), np.zeros(max_attempts)
    for a in range(max_attempts):
        todo = np.flatnonzero(~accepted)
        if len(todo):
            prompts = [problems[i].prompt for i in todo]
            completions, spent, _ = _sample(policy, prompts, 1, seed + a, budget, temperature)
            _, verdicts = judge([problems[i] for i in todo], [c[0] for c in completions])
            attempts[todo] += 1
            tokens[todo] += spent[:, 0]
            accepted[todo] = verdicts
        accuracy[a] = accepted.mean()
        mean_tokens[a] = tokens.mean()
    return {
        "accepted": accepted,
        "attempts": attempts,
        "tokens": tokens,
        "accuracy": accuracy,
        "mean_tokens": mean_tokens,
    }


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, digits: int = 3) -> str:
    """A plain-text table of some columns, floats rounded: :func:`reasonlab.core.tables.text`."""
    from ..core.tables import text

    return text(rows, columns, digits=digits)
