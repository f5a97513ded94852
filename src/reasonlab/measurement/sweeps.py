"""Inference-time scaling experiments on a policy: k sweeps, thinking budgets, revisions, cost.

The rule that keeps these cheap and honest: sample **once** per (policy, thinking budget), with
``n = max(ks)`` samples per problem, then compute every k from that one batch with the exact
subset estimators of :mod:`reasonlab.measurement.estimators`. Budgets share the seed (common
random numbers), so their differences are not drowned by sampling noise.

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
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..world.tokenizer import THINK
from .estimators import (
    _check_int,
    best_of_n_at_k,
    binomials,
    pass_at_k_curve,
)
from .voting import majority_at_k_per_problem

#: The vote key of every answer the verifier accepted. Using one key for all of them makes the
#: vote agree with the verifier even when two correct answers are written differently.
GOLD = "<gold>"


@dataclass(frozen=True)
class Budget:
    """How much the policy may (or must) think before it answers."""

    max_think_tokens: int | None = None  # cap inside <think>; at the cap the answer is forced
    min_think_tokens: int | None = None  # </think> is refused until this many thinking tokens

    def __post_init__(self) -> None:
        for name in ("max_think_tokens", "min_think_tokens"):
            value = getattr(self, name)
            if value is not None:
                _check_int(name, value, 0)
        lo, hi = self.min_think_tokens, self.max_think_tokens
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_think_tokens ({lo}) must be <= max_think_tokens ({hi})")

    @property
    def label(self) -> str:
        parts = []
        if self.min_think_tokens is not None:
            parts.append(f"think >= {self.min_think_tokens}")
        if self.max_think_tokens is not None:
            parts.append(f"think <= {self.max_think_tokens}")
        return ", ".join(parts) or "no limit"


def as_budget(budget: Budget | int | None) -> Budget:
    """``None`` -> no limit, an int -> a cap on thinking tokens, a Budget -> itself."""
    if budget is None:
        return Budget()
    if isinstance(budget, Budget):
        return budget
    return Budget(max_think_tokens=_check_int("budget", budget, 0))


@dataclass(frozen=True)
class Samples:
    """n samples per problem from one policy at one budget, judged by the verifier.

    Shapes: P problems, n samples each.
    """

    answers: list[list[Hashable | None]]  # (P, n) vote keys: GOLD if verified, else the answer
    correct: np.ndarray  # (P, n) bool, the verifier's verdict
    tokens: np.ndarray  # (P, n) int, generated tokens of each completion
    logprob: np.ndarray  # (P, n) float, sum of the log-probs of the generated tokens
    think: np.ndarray  # (P, n) bool, whether the completion opened <think>
    completions: list[list[str]]  # (P, n) the text, for reading examples
    budget: Budget  # the thinking budget they were drawn with
    seed: int  # the sampling seed
    temperature: float  # the sampling temperature

    @property
    def num_problems(self) -> int:
        return len(self.answers)

    @property
    def num_samples(self) -> int:
        return int(self.correct.shape[1])

    @property
    def confidence(self) -> np.ndarray:
        """(P, n) mean log-prob per generated token: the policy's own confidence."""
        return self.logprob / np.maximum(self.tokens, 1)


# ---------------------------------------------------------------- talking to the policy


def _vote_key(extracted: str | None) -> Hashable | None:
    """Normalise an extracted answer just enough that equal numbers vote together."""
    if extracted is None:
        return None
    text = str(extracted).strip().replace(",", "")
    if not text:
        return None
    try:
        return str(int(text))  # "0936" and "936" are one vote
    except ValueError:
        return text


def judge(
    problems: Sequence[Any], completions: Sequence[str]
) -> tuple[list[Hashable | None], list[bool]]:
    """(vote key, verified?) for each (problem, completion) pair, by the problem's verifier.

    The vote key is the extracted final answer, normalised so equal integers vote together;
    every verified answer gets the one key :data:`GOLD`, so a vote agrees with the verifier
    even when two correct answers are written differently.
    """
    from ..world.tasks import verify_batch

    # A confident policy repeats itself: verify each distinct (problem, completion) once.
    first: dict[tuple[int, str], int] = {}
    for i, (problem, completion) in enumerate(zip(problems, completions, strict=True)):
        first.setdefault((id(problem), completion), i)
    unique = list(first.values())
    checked = verify_batch([problems[i] for i in unique], [completions[i] for i in unique])
    by_pair = dict(zip(first, checked, strict=True))
    results = [by_pair[(id(p), c)] for p, c in zip(problems, completions, strict=True)]

    keys: list[Hashable | None] = []
    verdicts: list[bool] = []
    for problem, result in zip(problems, results, strict=True):
        ok = bool(result)
        key = _vote_key(result.extracted)
        if ok:
            key = GOLD
        elif key is not None and key == _vote_key(str(problem.answer)):
            # Written like the gold answer but rejected (a hedge, a broken format): it must
            # not vote with the verified answers.
            key = ("rejected", key)
        keys.append(key)
        verdicts.append(ok)
    return keys, verdicts


def _grid(values: Any, num_prompts: int, num_samples: int, name: str) -> np.ndarray:
    """Reshape a policy output field to (P, n), whether it came flat or nested."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    arr = np.asarray(values, dtype=np.float64)
    if arr.size != num_prompts * num_samples:
        raise ValueError(
            f"policy.sample returned {arr.size} {name} for {num_prompts} prompts x "
            f"{num_samples} samples"
        )
    return arr.reshape(num_prompts, num_samples)  # prompt-major: all samples of prompt 0 first


def _sample(
    policy: Any, prompts: list[str], num_samples: int, seed: int, budget: Budget, temperature: float
) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    """(completions (P, n), tokens (P, n), log-probs (P, n)) from ``policy.sample``.

    A reasonlab :class:`~reasonlab.world.policy.Policy` samples in float64 here, so that a sweep's
    tables are the same on any CPU (see ``Policy.in_float64``); other policies are used as given.
    """
    if hasattr(policy, "in_float64"):
        policy = policy.in_float64()
    kwargs: dict[str, Any] = {}
    if budget.max_think_tokens is not None:
        kwargs["max_think_tokens"] = budget.max_think_tokens
    if budget.min_think_tokens is not None:
        kwargs["min_think_tokens"] = budget.min_think_tokens
    out = policy.sample(
        prompts, num_samples=num_samples, temperature=temperature, seed=seed, **kwargs
    )
    flat = list(out.completions)
    if flat and isinstance(flat[0], (list, tuple)):
        flat = [c for row in flat for c in row]
    p = len(prompts)
    if len(flat) != p * num_samples:
        raise ValueError(
            f"policy.sample returned {len(flat)} completions, expected {p * num_samples}"
        )
    completions = [flat[i * num_samples : (i + 1) * num_samples] for i in range(p)]
    tokens = _grid(out.num_tokens, p, num_samples, "token counts").astype(np.int64)
    logprob = _grid(out.logprobs, p, num_samples, "log-probs")
    return completions, tokens, logprob


def draw(
    policy: Any,
    problems: Sequence[Any],
    *,
    num_samples: int,
    seed: int,
    budget: Budget | int | None = None,
    temperature: float = 1.0,
) -> Samples:
    """Sample ``num_samples`` completions per problem once, and judge each with the verifier.

    Args:
        policy: anything with the ``policy.sample`` interface of :mod:`reasonlab.world.policy`.
        problems: from ``rl.tasks.make``; each has ``prompt``, ``answer`` and ``domain``.
        num_samples: n, the largest k any estimate will use.
        seed: sampling seed; the same seed gives the same samples.
        budget: thinking budget (see :func:`as_budget`).
        temperature: sampling temperature (> 0: voting over greedy copies is pointless).
    """
    num_samples = _check_int("num_samples", num_samples, 1)
    if not problems:
        raise ValueError("need at least one problem")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0 for repeated sampling, got {temperature}")
    budget = as_budget(budget)
    prompts = [p.prompt for p in problems]
    completions, tokens, logprob = _sample(policy, prompts, num_samples, seed, budget, temperature)
    n = num_samples
    keys, verdicts = judge(
        [p for p in problems for _ in range(n)], [c for row in completions for c in row]
    )
    answers = [keys[i * n : (i + 1) * n] for i in range(len(problems))]
    correct = np.array(verdicts, dtype=bool).reshape(len(problems), n)
    think = np.array([[THINK in c for c in row] for row in completions], dtype=bool)
    return Samples(answers, correct, tokens, logprob, think, completions, budget, seed, temperature)


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
    budget: Budget | int | None = None,
    temperature: float = 1.0,
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
