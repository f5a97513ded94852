"""Sampling a policy once for a test-time-compute experiment: n samples per problem, judged.

:func:`draw` samples ``num_samples`` completions per problem at one thinking :class:`Budget` and
judges each with the problem's verifier (:func:`judge`), into :class:`Samples`: the (P, n)
tables of answers, verdicts, tokens, log-probs and thinking that every estimate of
:mod:`reasonlab.measurement.sweeps` reads. Answers are *vote keys*: every verified answer gets
the one key :data:`GOLD`, so a majority vote agrees with the verifier.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..world.tokenizer import THINK
from .estimators import _check_int

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
