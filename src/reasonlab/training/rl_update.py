"""Step 5 of ``train_rlvr``: learn from a verified batch (advantages, loss, optimizer, critic).

:class:`Learner` is what an update changes (the policy, its optimizer, the KL reference, the
critic). :func:`accumulate_gradients` computes the advantages and the loss of
:mod:`reasonlab.training.losses` and backpropagates them chunk by chunk (:func:`update_chunks`);
:func:`update` takes ``ppo_epochs`` optimizer steps and then trains the critic
(:func:`update_critic`) and the running mean. With ``algorithm`` other than ``"reinforce"`` it
hands over to :func:`reasonlab.training.credit.update` (per-token advantages).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ..world.policy import Policy
from ..world.prefix import grouped_logprobs
from . import credit
from .buckets import CHUNK_OVERHEAD, CHUNKS, length_chunks
from .config import RLConfig
from .losses import advantages, clipped_loss, kl_per_sample, reinforce_loss, star_loss
from .rl_batch import Batch, sample_weights


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


def completion_chunks(batch: Batch, rows: list[int]) -> list[list[int]]:
    """``rows`` of ``batch`` in length buckets of their completions (the prompts are run once,
    apart: :func:`reasonlab.world.prefix.grouped_logprobs`)."""
    lengths = [batch.out.num_tokens[i] for i in rows]
    return [[rows[j] for j in ch] for ch in length_chunks(lengths, CHUNKS, CHUNK_OVERHEAD)]


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


def row_weights(learner: Learner, batch: Batch, cfg: RLConfig) -> torch.Tensor | None:
    """(N*S,) what each sample's log-probability is multiplied by in the loss, or ``None`` when
    every row needs its gradient pass anyway (a critic, or a KL penalty in the loss)."""
    if learner.critic is not None or cfg.kl_coef > 0:
        return None
    keep, _ = sample_weights(batch, cfg)
    if cfg.objective == "star":
        return (batch.correct > 0).float().reshape(-1)
    return keep * advantages(batch.reward, cfg.baseline, ema=learner.ema).reshape(-1)


def accumulate_gradients(
    learner: Learner, batch: Batch, cfg: RLConfig, *, epoch: int, want_kl: bool, old_lp: dict
) -> dict:
    """3-4. Advantages and the loss, backpropagated into ``.grad``.

    The loss is a sum over samples divided by a fixed count. A sample whose weight in it is
    exactly zero (an advantage of 0: its group's rewards were all equal; a STaR failure; a
    dropped group) adds nothing to the gradient, so it gets no gradient pass. The others are
    scored in chunks of similar completion length, every prompt run once for all its samples
    (:func:`reasonlab.world.prefix.grouped_logprobs`), and backpropagated together. Returns the
    epoch's ``loss``, summed ``kl``, ``entropy`` sums (from the rollout) and the critic's
    ``values`` (epoch 0).
    """
    policy, critic = learner.policy, learner.critic
    keep, denom = sample_weights(batch, cfg)
    adv = None if critic else advantages(batch.reward, cfg.baseline, ema=learner.ema).reshape(-1)
    succ = (batch.correct > 0).float()
    prompts, ids = batch.prompts, batch.out.token_ids
    weight = row_weights(learner, batch, cfg)
    live = list(range(len(ids))) if weight is None else weight.nonzero()[:, 0].tolist()
    stats = {"loss": 0.0, "kl": 0.0, "ent_sum": 0.0, "ent_n": 0.0, "values": []}
    if epoch == 0:  # the policy's entropy at the sampled tokens, as the rollout computed it
        stats["ent_sum"] = float(batch.out.entropy.sum())
        stats["ent_n"] = float(sum(batch.out.num_tokens))
    chunks = completion_chunks(batch, live) if live else []
    scored = grouped_logprobs(policy, prompts, ids, chunks, with_hidden=critic is not None)
    refs = None
    if want_kl and cfg.kl_coef > 0:
        with torch.no_grad():
            refs = grouped_logprobs(learner.reference, prompts, ids, chunks)
    total = None
    for ci, (ch, cur) in enumerate(zip(chunks, scored, strict=True)):
        idx = torch.tensor(ch)
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
        if refs is not None:
            kl = kl_per_sample(tok_lp, refs[ci]["token_logprobs"], mask)  # (b,)
            stats["kl"] += float(kl.detach().sum())
            loss = loss + cfg.kl_coef * kl.sum() * denom / len(batch.rows)
        stats["loss"] += float(loss.detach()) / float(denom)
        total = loss if total is None else total + loss
    if total is not None:
        (total / denom).backward()
    else:  # nothing to learn from: a zero gradient (Adam's momentum still moves, as before)
        for p in policy.model.parameters():
            p.grad = torch.zeros_like(p)
    if want_kl and refs is None:  # the KL is only logged: measure it on every row
        stats["kl"] = logged_kl(learner, batch)
    return stats


def logged_kl(learner: Learner, batch: Batch) -> float:
    """Summed k3 KL of every row of ``batch`` to the reference (no gradient)."""
    rows = list(range(len(batch.rows)))
    chunks = completion_chunks(batch, rows)
    prompts, ids = batch.prompts, batch.out.token_ids
    with torch.no_grad():
        cur = grouped_logprobs(learner.policy, prompts, ids, chunks)
        ref = grouped_logprobs(learner.reference, prompts, ids, chunks)
        # Summed chunk by chunk in Python floats, as the penalised loss does it (same bits).
        total = 0.0
        for c, r in zip(cur, ref, strict=True):
            total += float(kl_per_sample(c["token_logprobs"], r["token_logprobs"], c["mask"]).sum())
        return total


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
