"""The bandit of notebook 01 itself: sums, candidate answers, the verifier, a softmax policy,
and the exact objective ``J(theta)`` with its exact gradient.

Everything here is finite, so ``J`` and ``dJ/dtheta`` are exact sums: the reference that the
sampled estimates of :mod:`reasonlab.measurement.bandit` (REINFORCE with a baseline, its
variance, training) are checked against. Shapes: ``P`` prompts, ``K`` candidates per prompt;
``theta`` and gradients are ``(P, K)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

# The ways one correct value may be written; all of them pass the verifier.
_CORRECT_FORMS = ("{v}", "#### {v}", "{v}.0", "+{v}")
_PROMPT = re.compile(r"^(\d+)\+(\d+)=$")


@dataclass(frozen=True, eq=False)  # eq=False: identity equality, as arrays have no single truth
class Bandit:
    """Prompts, their candidate answers and the verifier's verdict on each (read-only).

    Attributes:
        prompts: the P prompts, e.g. ``"38+47="``.
        candidates: for each prompt its K candidate answers, as text.
        rewards: ``(P, K)`` float array, ``V(x, y)`` for every prompt and candidate (0.0 or 1.0).
    """

    prompts: tuple[str, ...]
    candidates: tuple[tuple[str, ...], ...]
    rewards: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(P, K)``: the shape of ``theta``."""
        return self.rewards.shape


def _check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def verify(prompt: str, answer: str) -> int:
    """The verifier ``V(x, y)``: 1 if ``answer`` states the value of the sum, else 0.

    Accepts an optional GSM8K-style ``####`` marker, a leading ``+`` and a trailing ``.0``.
    Never raises on the answer (it is model output); raises on a prompt that is not ``"a+b="``.
    """
    match = _PROMPT.match(prompt)
    if match is None:
        raise ValueError(f"prompt must look like '12+34=', got {prompt!r}")
    target = int(match[1]) + int(match[2])
    if not isinstance(answer, str):
        return 0
    text = answer.strip().removeprefix("####").strip()
    try:
        value = float(text)
    except ValueError:  # garbage is simply wrong
        return 0
    return int(math.isfinite(value) and value == target)


def make_bandit(
    num_prompts: int = 8, num_candidates: int = 6, num_correct: int = 2, seed: int = 0
) -> Bandit:
    """Generate sums with candidate answers; the verifier fills the reward table.

    Args:
        num_prompts: P, how many distinct prompts.
        num_candidates: K, candidates per prompt.
        num_correct: how many of the K candidates are correct (1 to 4, fewer than K).
        seed: the same seed gives the same prompts, candidates and order.
    """
    num_prompts = _check_positive("num_prompts", num_prompts)
    num_candidates = _check_positive("num_candidates", num_candidates)
    num_correct = _check_positive("num_correct", num_correct)
    if num_correct > len(_CORRECT_FORMS) or num_correct >= num_candidates:
        raise ValueError(
            f"num_correct must be at most {len(_CORRECT_FORMS)} and below num_candidates="
            f"{num_candidates}, got {num_correct}"
        )
    rng = np.random.default_rng(seed)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < num_prompts:
        a, b = (int(v) for v in rng.integers(10, 100, size=2))
        if (a, b) not in pairs:
            pairs.append((a, b))
    prompts, candidates = [], []
    for a, b in pairs:
        v = a + b
        # Plausible slips: a dropped or doubled carry, off by one, a difference or a product.
        slips = {v - 10, v + 10, v - 1, v + 1, v - 11, v + 11, abs(a - b), a * b, v + 100}
        wrong = sorted(s for s in slips if s != v)
        picked = rng.choice(len(wrong), size=num_candidates - num_correct, replace=False)
        answers = [f.format(v=v) for f in _CORRECT_FORMS[:num_correct]]
        answers += [str(wrong[i]) for i in picked]
        order = rng.permutation(num_candidates)
        prompts.append(f"{a}+{b}=")
        candidates.append(tuple(answers[i] for i in order))
    rewards = np.array(
        [[verify(p, y) for y in ys] for p, ys in zip(prompts, candidates, strict=True)], dtype=float
    )
    rewards.flags.writeable = False  # the verifier's table is data, not a parameter
    return Bandit(tuple(prompts), tuple(candidates), rewards)


def init_logits(
    bandit: Bandit, scale: float = 1.0, skill: float = 0.0, seed: int = 0
) -> np.ndarray:
    """A 'base model': random logits ``scale * N(0, 1)`` plus ``skill`` on every correct answer.

    The noise makes prompts start at different levels; ``skill`` sets how often the base model
    is already right (0: only by luck).

    Returns:
        ``(P, K)`` array of logits.
    """
    if not scale >= 0:
        raise ValueError(f"scale must be >= 0, got {scale!r}")
    noise = np.random.default_rng(seed).standard_normal(bandit.shape)
    return scale * noise + skill * bandit.rewards


def _check_theta(theta: np.ndarray, bandit: Bandit) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.shape != bandit.shape:
        raise ValueError(f"theta must have shape {bandit.shape} (P, K), got {theta.shape}")
    return theta


def softmax(theta: np.ndarray) -> np.ndarray:
    """``pi_theta(y | x)`` for every row of logits; ``(..., K) -> (..., K)``."""
    z = np.exp(theta - theta.max(axis=-1, keepdims=True))  # shift: no overflow, same result
    return z / z.sum(axis=-1, keepdims=True)


def expected_reward(theta: np.ndarray, bandit: Bandit) -> float:
    """Exact ``J(theta) = mean_x sum_y pi_theta(y|x) V(x, y)``: the sampled pass rate."""
    theta = _check_theta(theta, bandit)
    return float((softmax(theta) * bandit.rewards).sum(axis=1).mean())


def exact_gradient(theta: np.ndarray, bandit: Bandit) -> np.ndarray:
    """Exact ``dJ/dtheta``, shape ``(P, K)``.

    For a softmax row, ``dJ_x/dtheta[x, k] = pi_k (V(x, k) - sum_y pi_y V(x, y))``, and the
    uniform prompt distribution contributes the factor ``1/P``.
    """
    theta = _check_theta(theta, bandit)
    pi = softmax(theta)
    value = (pi * bandit.rewards).sum(axis=1, keepdims=True)  # (P, 1): b(x) of "mean"
    return pi * (bandit.rewards - value) / len(bandit.prompts)
