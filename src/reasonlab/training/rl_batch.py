"""One RL step's samples and what the loop reads off them: steps 1, 2 and 6 of ``train_rlvr``.

A :class:`Batch` holds the completions of ``prompts_per_step`` prompts, ``num_samples`` each,
prompt-major. :func:`rollout` samples it, :func:`verify` judges it (the reward), and
:func:`log_row` turns it into a history row; :func:`sample_weights` says which samples the loss
counts and :func:`successes` which of them go into the trajectory log. The update that learns
from a batch is :mod:`reasonlab.training.rl_update`; the loop is :mod:`reasonlab.training.rl`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import torch

from ..core import metrics
from ..measurement.evaluation import thinks
from ..world import tasks
from ..world.policy import Policy
from ..world.tokenizer import CHECK, WAIT
from . import rewards as training_rewards
from .config import RLConfig


@dataclass
class Batch:
    """One step's samples, prompt-major: row ``i`` is sample ``i % S`` of prompt ``i // S``.

    Attributes:
        rows: the N*S problems, each repeated S times.
        out: the policy's :class:`~reasonlab.world.policy.SampleOutput`.
        results: the verifier's results, one per row (set by :func:`verify`).
        correct: (N*S,) the verdicts, 0 or 1.
        reward: (N, S) verdict (or ``RLConfig.reward``'s proxy) minus the token cost.
        proxy: True when the reward is not the verifier's verdict.
    """

    rows: list[tasks.Problem]
    out: Any
    results: list = field(default_factory=list)
    correct: torch.Tensor | None = None
    reward: torch.Tensor | None = None
    proxy: bool = False

    @property
    def prompts(self) -> list[str]:
        return [p.prompt for p in self.rows]


def rollout(policy: Policy, problems, rng: random.Random, cfg: RLConfig, step: int) -> Batch:
    """1. Roll out: ``num_samples`` samples for each of ``prompts_per_step`` drawn prompts."""
    batch = [problems[rng.randrange(len(problems))] for _ in range(cfg.prompts_per_step)]
    out = policy.sample(
        [p.prompt for p in batch],
        num_samples=cfg.num_samples,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
        seed=cfg.seed * 1_000_003 + step,
    )
    return Batch([p for p in batch for _ in range(cfg.num_samples)], out)


def verify(batch: Batch, cfg: RLConfig, step: int = 0) -> Batch:
    """2. Verify: the reward is the verdict on the final answer (minus a token cost), nothing
    else; thinking is never rewarded. With ``cfg.reward`` other than ``"verifier"`` a proxy or a
    control replaces the verdict in the reward; ``batch.correct`` is still the verdict."""
    batch.results = tasks.verify_batch(batch.rows, batch.out.completions)
    batch.correct = torch.tensor([float(r.reward) for r in batch.results])
    score = training_rewards.reward(
        cfg.reward, batch.rows, batch.out.completions, batch.correct, cfg.seed * 1_000_003 + step
    )
    batch.proxy = cfg.reward != "verifier"
    n_tok = torch.tensor(batch.out.num_tokens, dtype=torch.float)
    batch.reward = (score - cfg.cost_per_token * n_tok).view(cfg.prompts_per_step, -1)
    return batch


def successes(batch: Batch, step: int, policy_name: str) -> list[dict]:
    """The verified successes of a batch as trajectory-log records."""
    return [
        {
            "prompt": p.prompt,
            "completion": c,
            "reward": float(r.reward),
            "meta": r.meta,
            "domain": p.domain,
            "difficulty": p.difficulty,
            "step": step,
            "policy": policy_name,
        }
        for p, c, r in zip(batch.rows, batch.out.completions, batch.results, strict=True)
        if r.reward > 0
    ]


def sample_weights(batch: Batch, cfg: RLConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Which samples the loss counts, and its fixed denominator.

    Returns:
        (keep, denom): keep (N*S,) is 0 for the groups ``filter_zero_std`` drops (all rewards
        equal: no signal), else 1; denom is the number of kept samples (REINFORCE) or of
        verified successes (STaR), at least 1.
    """
    keep = torch.ones_like(batch.reward)
    if cfg.filter_zero_std:
        keep = (~zero_std_groups(batch.reward)).float()[:, None].expand_as(batch.reward)
    keep = keep.reshape(-1)
    count = (batch.correct > 0).float().sum() if cfg.objective == "star" else keep.sum()
    return keep, count.clamp(min=1.0)


def zero_std_groups(reward: torch.Tensor) -> torch.Tensor:
    """(N,) True where every sample of a prompt got the same reward."""
    return reward.std(1, unbiased=False) == 0


def log_row(step: int, batch: Batch, stats: dict, wall: float) -> dict:
    """6. Log: the batch statistics of one update (metric names of
    :mod:`reasonlab.core.metrics`)."""
    comps, reward, n = batch.out.completions, batch.reward, len(batch.out.completions)
    solved = batch.correct.view(reward.shape[0], -1).max(1).values > 0
    return {
        metrics.STEP: step,
        metrics.REWARD_MEAN: float(reward.mean()),
        metrics.REWARD_STD: float(reward.std(unbiased=False)),
        metrics.FRAC_ZERO_STD: float(zero_std_groups(reward).float().mean()),
        metrics.COVERAGE: float(solved.float().mean()),
        metrics.THINK_USAGE: sum(thinks(c) for c in comps) / n,
        metrics.CHECK_RATE: sum(CHECK in c for c in comps) / n,
        metrics.WAIT_RATE: sum(WAIT in c for c in comps) / n,
        metrics.MEAN_TOKENS: float(torch.tensor(batch.out.num_tokens, dtype=torch.float).mean()),
        metrics.KL: stats["kl"],
        metrics.ENTROPY: stats["entropy"],
        metrics.GRAD_NORM: stats["grad_norm"],
        metrics.LOSS: stats["loss"],
        metrics.WALL_S: wall,
        **{k: stats[k] for k in (metrics.VALUE_LOSS, metrics.EXTRA_TOKENS) if k in stats},
        **({metrics.VERIFIED: float(batch.correct.mean())} if batch.proxy else {}),
    }
