"""RL with verifiable rewards: REINFORCE with a baseline, GRPO, a learned critic, and STaR.

The whole algorithm is one loss, summed over the tokens of each completion and averaged over
completions::

    loss = -(advantage * logprob).mean()

where ``advantage = reward - baseline``. The reward is the verifier's 0/1 verdict on the final
answer (minus an optional cost per generated token); nothing rewards thinking. The baselines
differ in one line each (:func:`advantages`):

=============  ==================================================================
``none``       plain REINFORCE: the reward itself
``ema``        a running mean of all rewards (one number for every prompt)
``group``      the mean of the *other* samples of the same prompt (RLOO)
``group_std``  GRPO: z-score within the group, ``(r - mean) / std``
``critic``     a small value head trained on verifier outcomes predicts each prompt's reward
=============  ==================================================================

Options: a KL penalty to the starting policy (``kl_coef``), PPO-style ratio clipping over
several updates per batch (``clip``, ``ppo_epochs``), a cost per token (``cost_per_token``),
dropping groups whose samples all got the same reward (``filter_zero_std``, "dynamic sampling").
With ``objective="star"`` the same loop does STaR: cross-entropy on the verified successes.
``algorithm`` other than ``"reinforce"`` hands the update to :mod:`reasonlab.training.credit`,
whose advantages differ per token (PPO with a value model and GAE, VinePPO, GRPO).

:func:`train_rlvr` is six named steps, each a function a notebook can show and a test can call:
:func:`rollout` (sample), :func:`verify` (reward), :func:`reasonlab.training.losses.advantages` and
the losses of :mod:`reasonlab.training.losses` (inside :func:`accumulate_gradients`), :func:`update`
(the optimizer steps, the critic, the running mean) and :func:`log_row` (the history row), plus
:func:`held_out` for the evaluation every ``eval_every`` steps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from ..core import metrics
from ..core.utils import set_seed
from ..measurement.evaluation import evaluate, thinks
from ..world import tasks
from ..world.policy import Policy
from ..world.tokenizer import CHECK, WAIT
from . import credit
from . import rewards as training_rewards
from .buckets import CHUNK_OVERHEAD, CHUNKS, length_chunks
from .config import LATER_FIELDS, OBJECTIVES, RLConfig  # noqa: F401 (rl.RLConfig, rl.LATER_FIELDS)
from .losses import (  # noqa: F401 (BASELINES, advantages: the names readers know from rl)
    BASELINES,
    advantages,
    clipped_loss,
    kl_per_sample,
    reinforce_loss,
    star_loss,
)


class Critic(nn.Module):
    """A value head on the policy's (detached) hidden state at the last prompt token.

    It is trained by regression on verifier outcomes, so it learns each prompt's success
    probability: "a critic trained on verifier outcomes".
    """

    def __init__(self, n_embd: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_embd, n_embd), nn.Tanh(), nn.Linear(n_embd, 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(B, C) hidden states -> (B,) predicted reward."""
        return self.net(h).squeeze(-1)


def update_chunks(policy: Policy, batch: Batch) -> list[list[int]]:
    """The rows of ``batch`` in length buckets for the gradient pass: sorted by the length the
    forward pass sees (prompt + completion), cut where the padding saved pays for a pass."""
    tok = policy.tokenizer
    prompt_len = {q: len(tok.encode(q)) for q in set(batch.prompts)}
    lengths = [prompt_len[q] + n for q, n in zip(batch.prompts, batch.out.num_tokens, strict=True)]
    return length_chunks(lengths, CHUNKS, CHUNK_OVERHEAD)


def _as_log(trajectories):
    if trajectories is None:
        return None
    from .trajectories import TrajectoryLog

    return (
        trajectories
        if isinstance(trajectories, TrajectoryLog)
        else TrajectoryLog(Path(trajectories))
    )


# ----------------------------------------------------------------------------- the pieces


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


@dataclass
class Learner:
    """What an update changes: the policy, its optimizer, the KL reference and the critic."""

    policy: Policy
    opt: torch.optim.Optimizer
    reference: Policy
    critic: Critic | None = None
    critic_opt: torch.optim.Optimizer | None = None
    ema: float | None = None
    last_kl: float = 0.0
    value: credit.ValueModel | None = None  #: ppo_gae's per-token value model
    value_opt: torch.optim.Optimizer | None = None

    @classmethod
    def start(cls, policy: Policy, cfg: RLConfig) -> Learner:
        reference = policy.clone(name="reference")  # the KL anchor: the policy before RL
        critic = Critic(policy.config.n_embd) if cfg.baseline == "critic" else None
        opt = torch.optim.Adam(policy.model.parameters(), lr=cfg.lr)
        critic_opt = torch.optim.Adam(critic.parameters(), lr=cfg.critic_lr) if critic else None
        learner = cls(policy, opt, reference, critic, critic_opt)
        if cfg.algorithm == "ppo_gae":
            learner.value = credit.ValueModel(policy)
            learner.value_opt = torch.optim.Adam(learner.value.parameters(), lr=cfg.value_lr)
        return learner


def accumulate_gradients(
    learner: Learner, batch: Batch, cfg: RLConfig, *, epoch: int, want_kl: bool, old_lp: dict
) -> dict:
    """3-4. Advantages and the loss, backpropagated chunk by chunk into ``.grad``.

    The loss is a sum over samples divided by a fixed count, so it accumulates over chunks of
    similar length (short rows then do not pay for the long ones' padding). Returns the
    epoch's ``loss``, summed ``kl``, ``entropy`` sums and the critic's ``values`` (epoch 0).
    """
    policy, critic = learner.policy, learner.critic
    keep, denom = sample_weights(batch, cfg)
    adv = None if critic else advantages(batch.reward, cfg.baseline, ema=learner.ema).reshape(-1)
    succ = (batch.correct > 0).float()
    prompts, ids = batch.prompts, batch.out.token_ids
    stats = {"loss": 0.0, "kl": 0.0, "ent_sum": 0.0, "ent_n": 0.0, "values": []}
    for ci, ch in enumerate(update_chunks(policy, batch)):
        cp, cids, idx = [prompts[i] for i in ch], [ids[i] for i in ch], torch.tensor(ch)
        cur = policy.logprobs(cp, cids, with_entropy=epoch == 0, with_hidden=critic is not None)
        tok_lp, mask = cur["token_logprobs"], cur["mask"]
        if critic is not None:
            values = critic(cur["hidden"].detach())  # (b,) one per row's prompt
            a = batch.reward.reshape(-1)[idx] - values.detach()
            if epoch == 0:
                stats["values"].append((idx, values))
        else:
            a = adv[idx]
        if cfg.objective == "star":
            loss = star_loss(tok_lp.sum(1), succ.reshape(-1)[idx])
        elif cfg.clip is None:
            loss = reinforce_loss(tok_lp.sum(1), a, keep[idx])
        else:
            if epoch == 0:
                old_lp[ci] = tok_lp.detach()
            loss = clipped_loss(tok_lp, old_lp[ci], mask, a, keep[idx], cfg.clip)
        if want_kl:
            with torch.no_grad():
                ref_lp = learner.reference.logprobs(cp, cids)["token_logprobs"]
            kl = kl_per_sample(tok_lp, ref_lp, mask)  # (b,)
            stats["kl"] += float(kl.detach().sum())
            if cfg.kl_coef > 0:
                loss = loss + cfg.kl_coef * kl.sum() * denom / len(batch.rows)
        (loss / denom).backward()
        stats["loss"] += float(loss.detach()) / float(denom)
        if epoch == 0:
            stats["ent_sum"] += float(cur["entropy"].detach().sum())
            stats["ent_n"] += float(mask.sum())
    return stats


def update(learner: Learner, batch: Batch, cfg: RLConfig, step: int) -> dict:
    """5. Update: ``ppo_epochs`` clipped gradient steps on the batch, then the critic and the
    running mean. Returns ``loss``, ``kl``, ``entropy`` and ``grad_norm`` for the log."""
    policy = learner.policy
    policy.model.train()
    want_kl = cfg.kl_coef > 0 or step % cfg.eval_every == 0 or step == cfg.steps
    if cfg.algorithm != "reinforce":  # per-token advantages: reasonlab.training.credit
        chunks = update_chunks(policy, batch)
        keep, _ = sample_weights(batch, cfg)
        stats = credit.update(learner, batch, cfg, step, chunks, keep, want_kl=want_kl)
        stats["kl"] = stats["kl"] if want_kl else learner.last_kl
        learner.last_kl = stats["kl"]
        policy.model.eval()
        return stats
    old_lp: dict[int, torch.Tensor] = {}
    for epoch in range(cfg.ppo_epochs):
        learner.opt.zero_grad(set_to_none=True)
        stats = accumulate_gradients(
            learner, batch, cfg, epoch=epoch, want_kl=want_kl, old_lp=old_lp
        )
        if epoch == 0:
            first = stats
        grad_norm = float(
            torch.nn.utils.clip_grad_norm_(policy.model.parameters(), cfg.max_grad_norm)
        )
        learner.opt.step()
    kl = first["kl"] / len(batch.rows) if want_kl else learner.last_kl
    learner.last_kl = kl
    if learner.critic is not None:
        update_critic(learner, batch, first["values"])
    batch_mean = float(batch.reward.mean())
    d = cfg.ema_decay
    learner.ema = batch_mean if learner.ema is None else d * learner.ema + (1 - d) * batch_mean
    policy.model.eval()
    entropy = first["ent_sum"] / max(first["ent_n"], 1.0)
    return {"loss": stats["loss"], "kl": kl, "entropy": entropy, "grad_norm": grad_norm}


def update_critic(learner: Learner, batch: Batch, values: list) -> None:
    """Regress each prompt's value on its group's mean outcome (a Monte Carlo estimate)."""
    reward = batch.reward
    target = reward.mean(1, keepdim=True).expand_as(reward).reshape(-1)
    closs = sum(((v - target[i]) ** 2).sum() for i, v in values) / len(batch.rows)
    learner.critic_opt.zero_grad(set_to_none=True)
    closs.backward()
    learner.critic_opt.step()


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


def held_out(policy: Policy, problems, cfg: RLConfig, step: int) -> dict:
    """Held-out pass rates (greedy and sampled), thinking and length, for a history row."""
    kw = {"max_new_tokens": cfg.max_new_tokens}
    greedy = evaluate(policy, problems, greedy=True, seed=cfg.seed, **kw)
    sampled = evaluate(policy, problems, greedy=False, seed=cfg.seed + step, **kw)
    row = {metrics.EVAL_STEP: step}
    row.update(
        {metrics.decoded(k, metrics.GREEDY): v for k, v in greedy.items() if metrics.is_held_out(k)}
    )
    for key, val in sampled.items():
        if metrics.is_held_out(key):
            row[metrics.decoded(key, metrics.SAMPLED)] = val
        elif metrics.logged_during_training(key):
            row[metrics.during_training(key)] = val
    return row


def default_eval_problems(problems, cfg: RLConfig) -> list[tasks.Problem]:
    """``eval_size`` problems of the test split, same domain and difficulty range."""
    lo, hi = min(p.difficulty for p in problems), max(p.difficulty for p in problems)
    p0 = problems[0]
    return tasks.make(
        p0.domain, cfg.eval_size, difficulty=(lo, hi), seed=cfg.seed, split="test", kind=p0.kind
    )


# ----------------------------------------------------------------------------- the loop


def train_rlvr(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    config: RLConfig | None = None,
    callback: Callable[[dict], None] | None = None,
    *,
    eval_problems: Sequence[tasks.Problem] | None = None,
    trajectories=None,
    progress: bool = True,
) -> list[dict]:
    """Train ``policy`` in place with verifiable rewards.

    Args:
        policy: the policy to improve (its starting weights are the KL reference).
        problems: training problems; each step draws ``prompts_per_step`` of them.
        config: hyperparameters (default :class:`RLConfig`).
        callback: called with each history row as it is logged.
        eval_problems: held-out problems for ``pass_rate`` (default: ``eval_size`` fresh
            problems of the test split, same domain and difficulty range as ``problems``).
        trajectories: a path or ``TrajectoryLog``; every verified success is appended to it.
        progress: show a tqdm progress bar.

    Returns:
        the history: a row ``step`` 0, then one per update with the keys of :func:`log_row` and
        of :func:`held_out` (measured every ``eval_every`` updates, carried forward between).
    """
    from tqdm.auto import tqdm

    cfg = config or RLConfig()
    if not problems:
        raise ValueError("train_rlvr needs at least one training problem")
    set_seed(cfg.seed)
    evals = eval_problems if eval_problems is not None else default_eval_problems(problems, cfg)
    log = _as_log(trajectories)
    learner = Learner.start(policy, cfg)
    rng = random.Random(f"rl/{cfg.seed}")
    last_eval = held_out(policy, evals, cfg, 0)
    history = [{metrics.STEP: 0, metrics.WALL_S: 0.0, **last_eval}]
    if callback is not None:
        callback(history[0])
    wall = 0.0
    bar = tqdm(
        range(1, cfg.steps + 1), desc=f"RL {policy.name} ({cfg.baseline})", disable=not progress
    )
    for step in bar:
        t0 = time.perf_counter()
        batch = verify(rollout(policy, problems, rng, cfg, step), cfg, step)
        if log is not None:
            log.append(successes(batch, step, policy.name))
        stats = update(learner, batch, cfg, step)
        wall += time.perf_counter() - t0
        row = log_row(step, batch, stats, wall)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            last_eval = held_out(policy, evals, cfg, step)
        row.update(last_eval)
        history.append(row)
        if callback is not None:
            callback(row)
        bar.set_postfix(_postfix(row))
    policy.model.eval()
    return history


def _postfix(row: dict) -> dict:
    """The progress bar's read-out of a history row."""
    return {
        "reward": f"{row[metrics.REWARD_MEAN]:.2f}",
        "think": f"{row[metrics.THINK_USAGE]:.2f}",
        "greedy": f"{row[metrics.decoded(metrics.PASS_RATE, metrics.GREEDY)]:.2f}",
    }
