"""A toy policy for the RLVR objective: a softmax over a few candidate answers per prompt.

This is the smallest world in which the chapter's objective can be written down, computed
*exactly*, and compared with what REINFORCE estimates from samples:

* a prompt ``x`` is a sum such as ``"38+47="``; it comes with a handful of candidate answers,
  one or a few of them correct (the same value written differently, ``"85"`` or ``"#### 85"``),
  the rest typical slips (a dropped carry, an off-by-one);
* the verifier ``V(x, y)`` checks the value and returns 1 or 0 (:func:`verify`);
* the policy is ``pi_theta(y | x) = softmax(theta[x])`` with one row of logits per prompt;
* the objective is ``J(theta) = E_{x ~ D, y ~ pi_theta(.|x)} [V(x, y)]`` with D uniform over
  the prompts; because everything is finite, ``J`` and its gradient are exact sums
  (:func:`expected_reward`, :func:`exact_gradient`);
* :func:`reinforce_gradient` is the sample estimate, with ``baseline=`` ``"none"``, ``"mean"``
  (``b(x) = E_{y ~ pi_theta}[V(x, y)]``, the value a perfect critic would predict) or ``"loo"``
  (leave-one-out: the mean reward of the *other* answers sampled for the same prompt).

The bandit itself (prompts, verifier, policy, exact ``J`` and gradient) is
:mod:`reasonlab.measurement.bandit_world`; this module estimates and climbs it.

Shapes used throughout: ``P`` prompts, ``K`` candidates per prompt, ``B`` prompts per batch,
``G`` answers sampled per prompt (the group). ``theta`` and gradients are ``(P, K)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The world (prompts, verifier, policy, exact J and gradient); its names still answer here.
from .bandit_world import (  # noqa: F401 (bandit.make_bandit, bandit.verify, ...)
    Bandit,
    _check_positive,
    _check_theta,
    exact_gradient,
    expected_reward,
    init_logits,
    make_bandit,
    softmax,
    verify,
)

BASELINES = ("none", "mean", "loo")


def sample(
    theta: np.ndarray, batch_size: int, group_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``batch_size`` prompts uniformly and ``group_size`` answers from the policy for each.

    Returns:
        ``prompts`` ``(B,)`` and ``answers`` ``(B, G)``, both int indices.
    """
    batch_size = _check_positive("batch_size", batch_size)
    group_size = _check_positive("group_size", group_size)
    theta = np.asarray(theta, dtype=float)
    prompts = rng.integers(0, theta.shape[0], size=batch_size)  # (B,)
    cdf = np.cumsum(softmax(theta[prompts]), axis=-1)  # (B, K)
    u = rng.random((batch_size, group_size))  # (B, G)
    # Inverse-CDF sampling: count how many cumulative probabilities lie below u.
    answers = (u[:, :, None] >= cdf[:, None, :]).sum(axis=-1)  # (B, G)
    return prompts, np.minimum(answers, theta.shape[1] - 1)


def baseline_values(
    theta: np.ndarray, bandit: Bandit, prompts: np.ndarray, rewards: np.ndarray, baseline: str
) -> np.ndarray:
    """``b`` for every sampled answer, shape ``(B, G)``, never depending on that answer itself.

    ``"none"``: 0. ``"mean"``: the policy's expected reward on the prompt. ``"loo"``: the mean
    reward of the other ``G - 1`` answers in the same group.
    """
    if baseline not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    if baseline == "none":
        return np.zeros_like(rewards)
    if baseline == "mean":
        value = (softmax(theta) * bandit.rewards).sum(axis=1)  # (P,)
        return np.broadcast_to(value[prompts][:, None], rewards.shape)
    group_size = rewards.shape[1]
    if group_size < 2:
        raise ValueError("baseline='loo' needs group_size >= 2 (it averages the other answers)")
    return (rewards.sum(axis=1, keepdims=True) - rewards) / (group_size - 1)


def reinforce_gradient(
    theta: np.ndarray,
    bandit: Bandit,
    prompts: np.ndarray,
    answers: np.ndarray,
    baseline: str = "none",
) -> np.ndarray:
    """The REINFORCE estimate of ``dJ/dtheta`` from sampled answers.

    ``g = mean_{i, j} (V(x_i, y_ij) - b_ij) * grad log pi_theta(y_ij | x_i)``, where for a
    softmax ``grad_{theta[x]} log pi(y | x) = onehot(y) - pi(. | x)`` and other rows get zero.

    Args:
        theta: ``(P, K)`` logits.
        bandit: the prompts and reward table.
        prompts: ``(B,)`` prompt indices (from :func:`sample`).
        answers: ``(B, G)`` candidate indices sampled for each of those prompts.
        baseline: ``"none"``, ``"mean"`` or ``"loo"`` (see :func:`baseline_values`).

    Returns:
        ``(P, K)`` gradient estimate; unbiased for every baseline.
    """
    theta = _check_theta(theta, bandit)
    owner = np.zeros(len(prompts), dtype=int)  # every group belongs to the one estimate
    return _estimates(theta, bandit, prompts, answers, baseline, owner, 1)[0] / answers.size


def _estimates(
    theta: np.ndarray,
    bandit: Bandit,
    prompts: np.ndarray,
    answers: np.ndarray,
    baseline: str,
    owner: np.ndarray,
    num: int,
) -> np.ndarray:
    """Sums of ``advantage * grad log pi`` over the groups of each of ``num`` estimates.

    ``owner`` ``(B,)`` says which estimate each group belongs to; returns ``(num, P, K)``. One
    vectorised pass serves a single estimate and thousands of independent ones alike.
    """
    rewards = bandit.rewards[prompts[:, None], answers]  # (B, G)
    advantage = rewards - baseline_values(theta, bandit, prompts, rewards, baseline)  # (B, G)
    onehot = np.eye(theta.shape[1])[answers]  # (B, G, K)
    grad_logp = onehot - softmax(theta[prompts])[:, None, :]  # (B, G, K)
    per_group = (advantage[:, :, None] * grad_logp).sum(axis=1)  # (B, K)
    sums = np.zeros((num, *theta.shape))
    np.add.at(sums, (owner, prompts), per_group)  # a prompt drawn twice adds twice
    return sums


def gradient_stats(
    theta: np.ndarray,
    bandit: Bandit,
    baseline: str,
    batch_size: int = 8,
    group_size: int = 4,
    num_estimates: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Draw many independent estimates at ``theta``; compare their mean with the exact gradient.

    Returns:
        ``mean``, ``stderr`` and ``exact`` (each ``(P, K)``); ``total_var``: the summed variance of
        the estimate over all coordinates (the trace of its covariance); ``z``: ``(mean - exact)
        / stderr`` where ``stderr > 0`` (NaN elsewhere), which is about N(0, 1) if unbiased.
    """
    num_estimates = _check_positive("num_estimates", num_estimates)
    if num_estimates < 2:
        raise ValueError("num_estimates must be >= 2 to estimate a variance")
    theta = _check_theta(theta, bandit)
    rng = np.random.default_rng(seed)
    # All N batches in one draw: N * B independent groups, then split back into N estimates.
    prompts, answers = sample(theta, num_estimates * batch_size, group_size, rng)
    owner = np.repeat(np.arange(num_estimates), batch_size)
    grads = _estimates(theta, bandit, prompts, answers, baseline, owner, num_estimates)
    grads /= batch_size * group_size  # (N, P, K), each what reinforce_gradient returns
    mean, var = grads.mean(axis=0), grads.var(axis=0, ddof=1)
    stderr = np.sqrt(var / num_estimates)
    exact = exact_gradient(theta, bandit)
    # A coordinate the estimator cannot move (e.g. loo on a prompt never sampled) has a variance
    # of rounding noise only; comparing against it would divide by ~1e-20.
    testable = stderr > 1e-9 * max(float(np.abs(exact).max()), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(testable, (mean - exact) / stderr, np.nan)
    return {"mean": mean, "stderr": stderr, "exact": exact, "total_var": float(var.sum()), "z": z}


def variance_sweep(
    bandit: Bandit,
    skills: Sequence[float],
    batch_size: int = 8,
    group_size: int = 4,
    num_estimates: int = 400,
    init_scale: float = 1.0,
    seed: int = 0,
) -> list[dict[str, float]]:
    """Gradient variance of every baseline at base models of growing skill (one row per skill).

    Returns:
        Rows with ``skill``, ``pass_rate`` (exact ``J`` there) and ``var/<baseline>`` (the summed
        variance from :func:`gradient_stats`, same seed for every baseline and skill).
    """
    rows = []
    for skill in skills:
        theta = init_logits(bandit, init_scale, skill, seed=seed)
        row = {"skill": float(skill), "pass_rate": expected_reward(theta, bandit)}
        for baseline in BASELINES:
            stats = gradient_stats(
                theta, bandit, baseline, batch_size, group_size, num_estimates, seed=seed
            )
            row[f"var/{baseline}"] = stats["total_var"]
        rows.append(row)
    return rows


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of :func:`train`."""

    baseline: str = "none"  # "none", "mean" or "loo"
    steps: int = 60  # gradient steps
    lr: float = 30.0  # step size; large because dJ/dtheta carries a 1/P factor
    batch_size: int = 2  # prompts per step (small: a noisy estimate, as with big models)
    group_size: int = 4  # answers sampled per prompt
    init_scale: float = 1.0  # spread of the base model's random logits
    init_skill: float = 0.0  # extra logit of every correct answer in the base model
    seed: int = 0  # seeds the base logits and every sample

    def __post_init__(self) -> None:
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}, got {self.baseline!r}")
        for name in ("steps", "batch_size", "group_size"):
            _check_positive(name, getattr(self, name))
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if self.baseline == "loo" and self.group_size < 2:
            raise ValueError("baseline='loo' needs group_size >= 2 (it averages the other answers)")


def train(bandit: Bandit, config: TrainConfig | None = None) -> list[dict[str, float]]:
    """Gradient ascent on ``J`` with the REINFORCE estimate; returns a history, never plots.

    Each entry is measured *before* that step's update (entry 0 is the base model): ``step``,
    ``reward/mean`` (mean reward of the sampled answers), ``pass_rate`` (exact ``J``: expected
    sampled pass rate), ``pass_rate/greedy`` (fraction of prompts whose most likely answer is
    correct), ``grad_norm`` (of the estimate), ``grad_var`` (``||g - dJ/dtheta||^2``: one
    sample of the estimator's total variance, exact because ``g`` is unbiased),
    ``frac_reward_zero_std`` (groups whose answers all got the same reward), ``frac_all_wrong``
    (groups whose answers all failed: no signal without a baseline or with ``"loo"``) and
    ``entropy``.
    A last entry at ``step = steps`` holds the final ``pass_rate`` and ``pass_rate/greedy``.
    """
    config = TrainConfig() if config is None else config
    theta = init_logits(bandit, config.init_scale, config.init_skill, seed=config.seed)
    rng = np.random.default_rng([config.seed, 1])  # independent of the logits' stream
    history: list[dict[str, float]] = []
    for step in range(config.steps):
        prompts, answers = sample(theta, config.batch_size, config.group_size, rng)
        grad = reinforce_gradient(theta, bandit, prompts, answers, config.baseline)
        rewards = bandit.rewards[prompts[:, None], answers]  # (B, G)
        pi = softmax(theta)
        history.append(
            {
                "step": step,
                "reward/mean": float(rewards.mean()),
                **_pass_rates(theta, bandit),
                "grad_norm": float(np.linalg.norm(grad)),
                "grad_var": float(((grad - exact_gradient(theta, bandit)) ** 2).sum()),
                "frac_reward_zero_std": float((rewards.std(axis=1) == 0).mean()),
                "frac_all_wrong": float((rewards.max(axis=1) == 0).mean()),
                "entropy": _entropy(pi),
            }
        )
        theta = theta + config.lr * grad  # ascent: we maximise J
    history.append({"step": config.steps, **_pass_rates(theta, bandit)})
    return history


def _entropy(pi: np.ndarray) -> float:
    # 0 * log 0 = 0: a saturated softmax has exact zeros, and log(0) would turn the sum into NaN.
    logs = np.log(np.where(pi > 0, pi, 1.0))
    return float(-(pi * logs).sum(axis=1).mean())


def _pass_rates(theta: np.ndarray, bandit: Bandit) -> dict[str, float]:
    greedy = bandit.rewards[np.arange(len(bandit.prompts)), theta.argmax(axis=1)]
    return {"pass_rate": expected_reward(theta, bandit), "pass_rate/greedy": float(greedy.mean())}


def steps_to_reach(
    history: Sequence[dict[str, float]], target: float, key: str = "pass_rate"
) -> int:
    """First ``step`` at which ``history[key] >= target``; ``-1`` if never reached."""
    for entry in history:
        if key in entry and entry[key] >= target:
            return int(entry["step"])
    return -1
