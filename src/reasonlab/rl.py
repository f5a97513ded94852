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
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from . import tasks
from .evaluation import evaluate
from .policy import Policy
from .tokenizer import CHECK, THINK, WAIT
from .utils import set_seed

#: Length buckets for the gradient pass (rows sorted by length, then split evenly).
CHUNKS = 4
BASELINES = ("none", "ema", "group", "group_std", "critic")
OBJECTIVES = ("reinforce", "star")


@dataclass(frozen=True)
class RLConfig:
    """Hyperparameters of :func:`train_rlvr` (defaults: the book's RLVR run)."""

    steps: int = 60  #: policy updates (about a minute on a laptop CPU)
    prompts_per_step: int = 32  #: distinct prompts per batch
    num_samples: int = 8  #: samples per prompt (the "group")
    lr: float = 3e-4  #: Adam learning rate of the policy
    baseline: str = "group"  #: none | ema | group | group_std | critic
    ema_decay: float = 0.9  #: running-mean baseline: weight of the old value
    critic_lr: float = 3e-3  #: learning rate of the critic's value head
    kl_coef: float = 0.0  #: weight of the KL penalty to the starting policy (0 = off)
    clip: float | None = None  #: PPO ratio clip epsilon (None = plain policy gradient)
    ppo_epochs: int = 1  #: gradient steps per batch (more than 1 needs ``clip``)
    cost_per_token: float = 0.0  #: reward penalty per generated token
    filter_zero_std: bool = False  #: drop groups whose rewards are all equal (no signal)
    temperature: float = 1.0  #: sampling temperature of the rollouts
    max_new_tokens: int | None = None  #: completion budget (None = the policy's default)
    max_grad_norm: float = 1.0  #: gradient clipping
    objective: str = "reinforce"  #: reinforce | star (cross-entropy on verified successes)
    eval_every: int = 10  #: held-out evaluation every this many updates (and at both ends)
    eval_size: int = 200  #: held-out problems (greedy and one sample each)
    seed: int = 0  #: seeds prompt order, sampling and the critic

    def __post_init__(self) -> None:
        if self.baseline not in BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r}; choose one of {BASELINES}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; choose one of {OBJECTIVES}")
        if self.ppo_epochs > 1 and self.clip is None:
            raise ValueError("ppo_epochs > 1 needs clip (unclipped reuse of a batch is off-policy)")
        if self.baseline in ("group", "group_std") and self.num_samples < 2:
            raise ValueError(f"baseline {self.baseline!r} needs num_samples >= 2")
        for name in ("steps", "prompts_per_step", "num_samples", "eval_every", "ppo_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


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


def advantages(
    rewards: torch.Tensor,
    baseline: str,
    *,
    ema: float | None = None,
    values: torch.Tensor | None = None,
    eps: float = 1e-4,
) -> torch.Tensor:
    """Advantages for rewards laid out as (N prompts, S samples).

    Args:
        rewards: (N, S).
        baseline: one of ``BASELINES``.
        ema: the running mean (for ``"ema"``).
        values: (N,) critic predictions (for ``"critic"``).
        eps: keeps GRPO's division finite when a group's rewards are all equal.

    Returns:
        (N, S) advantages.
    """
    n, s = rewards.shape
    if baseline == "none":
        return rewards.clone()
    if baseline == "ema":
        return rewards - (0.0 if ema is None else ema)
    if baseline == "group":  # leave-one-out mean: the baseline never sees its own sample
        return rewards - (rewards.sum(1, keepdim=True) - rewards) / (s - 1)
    if baseline == "group_std":
        mean, std = rewards.mean(1, keepdim=True), rewards.std(1, unbiased=False, keepdim=True)
        return (rewards - mean) / (std + eps)
    if baseline == "critic":
        if values is None:
            raise ValueError("baseline 'critic' needs values")
        return rewards - values[:, None]
    raise ValueError(f"unknown baseline {baseline!r}; choose one of {BASELINES}")


def _kl_per_sample(logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """k3 estimate of KL(policy || reference), summed over each completion's tokens: (B,)."""
    d = (ref_logp - logp) * mask
    return ((d.exp() - d - 1.0) * mask).sum(1)


def _length_chunks(lengths: Sequence[int], n: int) -> list[list[int]]:
    """Row indices sorted by length and cut into ``n`` nearly equal chunks."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    cuts = [k * len(order) // n for k in range(n + 1)]
    return [order[cuts[k] : cuts[k + 1]] for k in range(n) if cuts[k + 1] > cuts[k]]


def _as_log(trajectories):
    if trajectories is None:
        return None
    from .trajectories import TrajectoryLog

    return (
        trajectories
        if isinstance(trajectories, TrajectoryLog)
        else TrajectoryLog(Path(trajectories))
    )


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
        the history: one dict per update (``step`` 1..steps) plus a row ``step`` 0 before
        training. Keys: ``reward/mean``, ``reward/std``, ``frac_reward_zero_std``, ``coverage``,
        ``think/usage``, ``think/check_rate``, ``think/wait_rate``, ``completion/mean_tokens``,
        ``kl``, ``entropy``, ``grad_norm``, ``loss``, ``wall_s`` (training time, evaluation
        excluded), and the held-out ``pass_rate/greedy``, ``pass_rate/sampled`` (overall and
        ``/d1``..``/d4``), ``eval/think/usage``, ``eval/completion/mean_tokens``, measured every
        ``eval_every`` updates and carried forward (``eval_step`` says when).
    """
    from tqdm.auto import tqdm

    cfg = config or RLConfig()
    if not problems:
        raise ValueError("train_rlvr needs at least one training problem")
    set_seed(cfg.seed)
    if eval_problems is None:
        lo = min(p.difficulty for p in problems)
        hi = max(p.difficulty for p in problems)
        p0 = problems[0]
        eval_problems = tasks.make(
            p0.domain, cfg.eval_size, difficulty=(lo, hi), seed=cfg.seed, split="test", kind=p0.kind
        )
    log = _as_log(trajectories)
    reference = policy.clone(name="reference")  # the KL anchor: the policy before RL
    last_kl = 0.0
    critic = Critic(policy.config.n_embd) if cfg.baseline == "critic" else None
    opt = torch.optim.Adam(policy.model.parameters(), lr=cfg.lr)
    critic_opt = torch.optim.Adam(critic.parameters(), lr=cfg.critic_lr) if critic else None
    rng = random.Random(f"rl/{cfg.seed}")
    ema: float | None = None

    def held_out(step: int) -> dict:
        greedy = evaluate(
            policy, eval_problems, greedy=True, seed=cfg.seed, max_new_tokens=cfg.max_new_tokens
        )
        sampled = evaluate(
            policy,
            eval_problems,
            greedy=False,
            seed=cfg.seed + step,
            max_new_tokens=cfg.max_new_tokens,
        )
        row = {"eval_step": step}
        for key, val in greedy.items():
            if key.startswith("pass_rate"):
                row[key.replace("pass_rate", "pass_rate/greedy", 1)] = val
        for key, val in sampled.items():
            if key.startswith("pass_rate"):
                row[key.replace("pass_rate", "pass_rate/sampled", 1)] = val
            elif key.startswith(("think/", "completion/")):
                row[f"eval/{key}"] = val
        return row

    last_eval = held_out(0)
    history = [{"step": 0, "wall_s": 0.0, **last_eval}]
    if callback is not None:
        callback(history[0])
    wall = 0.0
    bar = tqdm(
        range(1, cfg.steps + 1), desc=f"RL {policy.name} ({cfg.baseline})", disable=not progress
    )
    for step in bar:
        t0 = time.perf_counter()
        # 1. Roll out: S samples for each of N prompts drawn from the training problems.
        batch = [problems[rng.randrange(len(problems))] for _ in range(cfg.prompts_per_step)]
        out = policy.sample(
            [p.prompt for p in batch],
            num_samples=cfg.num_samples,
            temperature=cfg.temperature,
            max_new_tokens=cfg.max_new_tokens,
            seed=cfg.seed * 1_000_003 + step,
        )
        policy.model.train()
        rows = [p for p in batch for _ in range(cfg.num_samples)]
        # 2. Verify: the reward is the verdict on the final answer, nothing else.
        results = tasks.verify_batch(rows, out.completions)
        correct = torch.tensor([float(r.reward) for r in results])
        n_tok = torch.tensor(out.num_tokens, dtype=torch.float)
        reward = (correct - cfg.cost_per_token * n_tok).view(cfg.prompts_per_step, -1)  # (N, S)
        if log is not None:
            log.append(
                [
                    {
                        "prompt": rows[i].prompt,
                        "completion": out.completions[i],
                        "reward": float(results[i].reward),
                        "meta": results[i].meta,
                        "domain": rows[i].domain,
                        "difficulty": rows[i].difficulty,
                        "step": step,
                        "policy": policy.name,
                    }
                    for i in range(len(rows))
                    if results[i].reward > 0
                ]
            )
        # 3. Advantages from the chosen baseline (the critic's need the hidden states: step 4).
        zero_std = reward.std(1, unbiased=False) == 0  # (N,) groups with no signal
        keep = torch.ones_like(reward)
        if cfg.filter_zero_std:
            keep = (~zero_std).float()[:, None].expand_as(reward)
        keep = keep.reshape(-1)
        adv = None if critic else advantages(reward, cfg.baseline, ema=ema).reshape(-1)
        succ = (correct > 0).float()
        # The loss is a sum over samples divided by a fixed count, so it can be accumulated
        # over chunks of similar length (short rows then do not pay for the long ones' padding).
        denom = succ.sum().clamp(min=1.0) if cfg.objective == "star" else keep.sum().clamp(min=1.0)
        prompts = [p.prompt for p in rows]
        want_kl = reference is not None and (
            cfg.kl_coef > 0 or step % cfg.eval_every == 0 or step == cfg.steps
        )
        chunks = _length_chunks(out.num_tokens, CHUNKS)
        old_lp: dict[int, torch.Tensor] = {}
        # 4. The loss -(advantage * logprob), then one or more (clipped) gradient steps.
        for epoch in range(cfg.ppo_epochs):
            opt.zero_grad(set_to_none=True)
            loss_val, kl_sum, ent_sum, ent_n, values_all = 0.0, 0.0, 0.0, 0.0, []
            for ci, ch in enumerate(chunks):
                cp = [prompts[i] for i in ch]
                cids = [out.token_ids[i] for i in ch]
                cur = policy.logprobs(
                    cp, cids, with_entropy=epoch == 0, with_hidden=critic is not None
                )
                tok_lp, mask = cur["token_logprobs"], cur["mask"]
                idx = torch.tensor(ch)
                if critic is not None:
                    values = critic(cur["hidden"].detach())  # (b,) one per row's prompt
                    a = reward.reshape(-1)[idx] - values.detach()
                    if epoch == 0:
                        values_all.append((idx, values))
                else:
                    a = adv[idx]
                k = keep[idx]
                if cfg.objective == "star":
                    loss = -(succ.reshape(-1)[idx] * tok_lp.sum(1)).sum()
                elif cfg.clip is None:
                    loss = -(k * a * tok_lp.sum(1)).sum()
                else:
                    if epoch == 0:
                        old_lp[ci] = tok_lp.detach()
                    ratio = torch.exp(tok_lp - old_lp[ci])  # (b, T) per token
                    aa = a[:, None]
                    surr = torch.minimum(ratio * aa, ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * aa)
                    loss = -(k * (surr * mask).sum(1)).sum()
                if want_kl:
                    with torch.no_grad():
                        ref_lp = reference.logprobs(cp, cids)["token_logprobs"]
                    kl = _kl_per_sample(tok_lp, ref_lp, mask)  # (b,)
                    kl_sum += float(kl.detach().sum())
                    if cfg.kl_coef > 0:
                        loss = loss + cfg.kl_coef * kl.sum() * denom / len(rows)
                (loss / denom).backward()
                loss_val += float(loss.detach()) / float(denom)
                if epoch == 0:
                    ent_sum += float(cur["entropy"].detach().sum())
                    ent_n += float(mask.sum())
            if epoch == 0:
                entropy = ent_sum / max(ent_n, 1.0)
                kl_mean = kl_sum / len(rows) if want_kl else last_kl
            grad_norm = float(
                torch.nn.utils.clip_grad_norm_(policy.model.parameters(), cfg.max_grad_norm)
            )
            opt.step()
        last_kl = kl_mean
        if critic is not None:
            # Regress each prompt's value on its group's mean outcome (a Monte Carlo estimate).
            target = reward.mean(1, keepdim=True).expand_as(reward).reshape(-1)
            closs = sum(((v - target[i]) ** 2).sum() for i, v in values_all) / len(rows)
            critic_opt.zero_grad(set_to_none=True)
            closs.backward()
            critic_opt.step()
        batch_mean = float(reward.mean())
        ema = batch_mean if ema is None else cfg.ema_decay * ema + (1 - cfg.ema_decay) * batch_mean
        policy.model.eval()
        wall += time.perf_counter() - t0

        # 6. Log: batch statistics every step, held-out pass rates every eval_every steps.
        comps = out.completions
        row = {
            "step": step,
            "reward/mean": float(reward.mean()),
            "reward/std": float(reward.std(unbiased=False)),
            "frac_reward_zero_std": float(zero_std.float().mean()),
            "coverage": float(
                (correct.view(cfg.prompts_per_step, -1).max(1).values > 0).float().mean()
            ),
            "think/usage": sum(c.startswith(THINK) for c in comps) / len(comps),
            "think/check_rate": sum(CHECK in c for c in comps) / len(comps),
            "think/wait_rate": sum(WAIT in c for c in comps) / len(comps),
            "completion/mean_tokens": float(n_tok.mean()),
            "kl": kl_mean,
            "entropy": entropy,
            "grad_norm": grad_norm,
            "loss": loss_val,
            "wall_s": wall,
        }
        if step % cfg.eval_every == 0 or step == cfg.steps:
            last_eval = held_out(step)
        row.update(last_eval)
        history.append(row)
        if callback is not None:
            callback(row)
        bar.set_postfix(
            reward=f"{row['reward/mean']:.2f}",
            think=f"{row['think/usage']:.2f}",
            greedy=f"{row['pass_rate/greedy']:.2f}",
        )
    policy.model.eval()
    return history
