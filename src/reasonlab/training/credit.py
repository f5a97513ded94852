"""Credit assignment with per-token advantages: PPO with a value model and GAE, VinePPO, GRPO.

The REINFORCE-style loop of :mod:`reasonlab.training.rl` gives every token of a completion the same
advantage. The algorithms here give each token its own (``RLConfig.algorithm``):

=============  ==================================================================================
``ppo_gae``    PPO as Tulu 3 runs RLVR: a value model (a copy of the policy's transformer with a
               scalar head) predicts, at every token, the verdict still to come; advantages by
               GAE (``gamma``, ``lam``); the value model regresses on the returns
``vineppo``    VinePPO: no value model; the value of the state at each step boundary (the start,
               after each ``,`` step of the thinking, before the answer) is the mean verdict of
               ``vine_k`` fresh rollouts from that prefix; a step's tokens share the advantage
               ``V(next boundary) - V(this one)``
``grpo``       GRPO: the group's z-scored reward (``dr-grpo`` aggregation: mean-centred only),
               the clipped ratio, the KL to the reference in the loss
=============  ==================================================================================

All three optimise the clipped surrogate (:func:`~reasonlab.training.losses.clipped_token_loss`) for
``ppo_epochs`` passes over the batch; ``loss_agg`` says how token losses are averaged and
``kl_in`` whether the KL penalty is a per-token reward (PPO-RLHF, ``ppo_gae`` only) or a term of
the loss (with ``kl_estimator``); as a reward it is ``-kl_coef * k1`` on every token, the usual
PPO-RLHF shaping. Advantages are not whitened. :func:`update` is the step
:func:`reasonlab.training.rl.update` hands these algorithms to: :func:`prepare` (advantages from the
sampling policy), then the epochs.

The toy makes the true value of any prefix measurable: :func:`vine_values` with many rollouts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from ..world import tasks
from .losses import (
    KL_ESTIMATORS,
    LOSS_AGGS,
    advantages,
    clipped_token_loss,
    gae,
    kl_estimate,
    kl_k1,
    kl_per_sample,
    token_weights,
)

ALGORITHMS = ("reinforce", "ppo_gae", "vineppo", "grpo")
KL_PLACES = ("loss", "reward")
#: The ``RLConfig`` fields this module added; ``RLConfig.recipe`` omits them at their defaults.
CREDIT_FIELDS = (
    "algorithm",
    "loss_agg",
    "kl_in",
    "kl_estimator",
    "gamma",
    "lam",
    "value_lr",
    "vine_k",
)
#: Rows per sampler call when rolling out from prefixes (bounds the KV cache).
ROWS_PER_CALL = 512


def check_config(cfg) -> None:
    """Raise a named ``ValueError`` for credit fields of an ``RLConfig`` that do not fit."""
    for name, allowed in (
        ("algorithm", ALGORITHMS),
        ("loss_agg", LOSS_AGGS),
        ("kl_in", KL_PLACES),
        ("kl_estimator", KL_ESTIMATORS),
    ):
        if getattr(cfg, name) not in allowed:
            raise ValueError(f"unknown {name} {getattr(cfg, name)!r}; choose one of {allowed}")
    if cfg.algorithm == "reinforce" and cfg.loss_agg != "seq-sum":
        raise ValueError("loss_agg applies to ppo_gae, vineppo and grpo; reinforce is seq-sum")
    if cfg.algorithm != "reinforce" and cfg.objective != "reinforce":
        raise ValueError(f"algorithm {cfg.algorithm!r} needs objective='reinforce'")
    if cfg.kl_in == "reward" and cfg.algorithm != "ppo_gae":
        raise ValueError("kl_in='reward' is for ppo_gae (the others put the KL in the loss)")
    if cfg.algorithm == "grpo" and cfg.num_samples < 2:
        raise ValueError("algorithm 'grpo' needs num_samples >= 2")
    if cfg.vine_k < 1:
        raise ValueError(f"vine_k must be >= 1, got {cfg.vine_k}")


class ValueModel(nn.Module):
    """A per-token critic: a trainable copy of the policy's transformer and a scalar head.

    ``V`` at a completion token is the value of the state that token is chosen in (the prompt
    and the tokens before it), read from the hidden state at the position predicting it. The
    head starts at zero, so the first advantages are the returns themselves.
    """

    def __init__(self, policy):
        super().__init__()
        self.trunk = copy.deepcopy(policy.model).float()
        self.head = nn.Linear(policy.config.n_embd, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, policy, prompts, completion_ids) -> torch.Tensor:
        """(B, T-1) values aligned with ``policy.logprobs(...)["token_logprobs"]``, 0 elsewhere."""
        idx, mask = policy.encode_batch(prompts, completion_ids)
        _, h = self.trunk(idx[:, :-1], return_hidden=True)
        return self.head(h).squeeze(-1) * mask


# ----------------------------------------------------------------------------- VinePPO


def step_boundaries(ids: list[int], tokenizer) -> list[int]:
    """Where the states VinePPO values start: token counts ``0 = b_0 < b_1 < ... < len(ids)``.

    Boundaries are the start, the token after each ``,`` inside ``<think>...</think>``, and the
    token after ``</think>`` (the state just before the answer); the end is not one (its value
    is the verdict).
    """
    comma = tokenizer.stoi[","]
    out, inside = [0], False
    for i, t in enumerate(ids):
        if t == tokenizer.think_id:
            inside = True
        elif t == tokenizer.end_think_id:
            inside = False
            out.append(i + 1)
        elif inside and t == comma:
            out.append(i + 1)
    return sorted({b for b in out if b < len(ids)})


def vine_values(
    policy,
    problems,
    token_ids,
    *,
    k: int,
    seed: int,
    temperature: float = 1.0,
    max_new_tokens: int | None = None,
    cost_per_token: float = 0.0,
) -> tuple[list[list[int]], list[torch.Tensor], int]:
    """Monte Carlo values at the step boundaries of completions: the mean of ``k`` rollouts.

    Equal prefixes (every completion's start, shared opening steps) are rolled out once. A
    continuation is cut where the original completion's budget would have ended it, so a value
    is the expected reward of finishing from that prefix under the same sampler.

    Args:
        policy: has ``tokenizer``, ``config.max_new_tokens`` and ``sample`` (a
            :class:`~reasonlab.world.policy.Policy`, or a stub with the same interface).
        problems: B problems, one per completion.
        token_ids: B lists of completion token ids.
        k: rollouts per prefix.
        seed: seeds the rollouts.
        temperature: sampling temperature of the rollouts.
        max_new_tokens: the completions' budget (default the policy's).
        cost_per_token: subtracted per token of prefix plus continuation, as in the reward.

    Returns:
        (boundaries, values, extra_tokens): per completion its boundaries and a (len,) tensor of
        values there; the number of tokens the rollouts generated.
    """
    tok = policy.tokenizer
    budget = policy.config.max_new_tokens if max_new_tokens is None else int(max_new_tokens)
    bounds = [step_boundaries(list(ids), tok) for ids in token_ids]
    keys = sorted({(b, i) for i, bs in enumerate(bounds) for b in bs})
    unique: dict[tuple, int] = {}
    for b, i in keys:
        unique.setdefault((problems[i].prompt, tuple(token_ids[i][:b])), i)
    items = list(unique.items())
    value_of, extra = {}, 0
    for c in range(0, len(items), max(ROWS_PER_CALL // k, 1)):
        part = items[c : c + max(ROWS_PER_CALL // k, 1)]
        texts = [p + tok.decode(prefix) for (p, prefix), _ in part]
        out = policy.sample(
            texts, num_samples=k, temperature=temperature, max_new_tokens=budget, seed=seed + c
        )
        rows, comps, lens = [], [], []
        for j, ((_, prefix), i) in enumerate(part):
            for s in range(k):
                cont = out.token_ids[j * k + s][: budget - len(prefix)]
                rows.append(problems[i])
                comps.append(tok.decode(list(prefix) + cont))
                lens.append(len(prefix) + len(cont))
                extra += len(cont)
        verdicts = torch.tensor([float(r.reward) for r in tasks.verify_batch(rows, comps)])
        gain = (verdicts - cost_per_token * torch.tensor(lens, dtype=torch.float)).view(-1, k)
        for j, (key, _) in enumerate(part):
            value_of[key] = float(gain[j].mean())
    values = [
        torch.tensor([value_of[(problems[i].prompt, tuple(token_ids[i][:b]))] for b in bs])
        for i, bs in enumerate(bounds)
    ]
    return bounds, values, extra


def step_advantages(values: torch.Tensor, reward: float) -> torch.Tensor:
    """(S,) advantage of each step: the next boundary's value (the reward after the last) minus
    this one's."""
    nxt = torch.cat([values[1:], torch.tensor([float(reward)], dtype=values.dtype)])
    return nxt - values


def vine_token_advantages(
    bounds: list[int], values: torch.Tensor, reward: float, n: int
) -> torch.Tensor:
    """(n,) per-token advantages: every token of a step gets that step's advantage."""
    step_adv = step_advantages(values, reward)
    ends = [*bounds[1:], n]
    spans = zip(bounds, ends, strict=True)
    return torch.cat([step_adv[j].expand(e - b) for j, (b, e) in enumerate(spans)])


# ----------------------------------------------------------------------------- one update


@dataclass
class Prepared:
    """What the epochs of one update reuse, one entry per length chunk: (b, T-1) tensors of
    the sampling policy's log-probs, the reference's (or None), advantages and value targets."""

    old_lp: list[torch.Tensor] = field(default_factory=list)
    ref_lp: list[Any] = field(default_factory=list)
    adv: list[torch.Tensor] = field(default_factory=list)
    returns: list[Any] = field(default_factory=list)
    kl: float = 0.0
    extra_tokens: int = 0


def group_advantages(reward: torch.Tensor, loss_agg: str) -> torch.Tensor:
    """(N, S) GRPO advantages: z-scored in the group; mean-centred only for Dr. GRPO."""
    if loss_agg == "dr-grpo":
        return reward - reward.mean(1, keepdim=True)
    return advantages(reward, "group_std")


def _grid(rows: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
    """Per-row (n_i,) tensors placed on the completion positions of a (b, T) mask."""
    out = torch.zeros_like(mask)
    out[mask.bool()] = torch.cat(rows).to(mask.dtype)
    return out


def _vine_rows(learner, batch, cfg, step) -> tuple[list[torch.Tensor], int]:
    ids = batch.out.token_ids
    bounds, values, extra = vine_values(
        learner.policy,
        batch.rows,
        ids,
        k=cfg.vine_k,
        seed=(cfg.seed * 1_000_003 + step) * 31 + 7,
        temperature=cfg.temperature,
        max_new_tokens=cfg.max_new_tokens,
        cost_per_token=cfg.cost_per_token,
    )
    reward = batch.reward.reshape(-1).tolist()
    rows = [
        vine_token_advantages(b, v, r, len(t))
        for b, v, r, t in zip(bounds, values, reward, ids, strict=True)
    ]
    return rows, extra


def prepare(learner, batch, cfg, step: int, chunks, *, want_kl: bool) -> Prepared:
    """Advantages (and value targets) of every completion token, from the sampling policy."""
    policy, prep = learner.policy, Prepared()
    reward = batch.reward.reshape(-1)
    need_ref = want_kl or cfg.kl_coef > 0
    if cfg.algorithm == "grpo":
        seq_adv = group_advantages(batch.reward, cfg.loss_agg).reshape(-1)
    if cfg.algorithm == "vineppo":
        vine_rows, prep.extra_tokens = _vine_rows(learner, batch, cfg, step)
    prompts, ids = batch.prompts, batch.out.token_ids
    for ch in chunks:
        cp, cids = [prompts[i] for i in ch], [ids[i] for i in ch]
        with torch.no_grad():
            cur = policy.logprobs(cp, cids)
            old, mask = cur["token_logprobs"], cur["mask"]
            ref = learner.reference.logprobs(cp, cids)["token_logprobs"] if need_ref else None
            ret = None
            if cfg.algorithm == "grpo":
                adv = seq_adv[ch][:, None] * mask
            elif cfg.algorithm == "vineppo":
                adv = _grid([vine_rows[i] for i in ch], mask)
            else:
                values = learner.value(policy, cp, cids)
                last = mask.shape[1] - 1 - mask.flip(1).argmax(1)
                r = torch.zeros_like(mask)
                r[torch.arange(len(ch)), last] = reward[ch]
                if cfg.kl_in == "reward" and cfg.kl_coef > 0:
                    r = r - cfg.kl_coef * kl_k1(old, ref, mask)
                adv, ret = gae(r, values, mask, cfg.gamma, cfg.lam)
        if ref is not None:
            prep.kl += float(kl_per_sample(old, ref, mask).sum())
        prep.old_lp.append(old)
        prep.ref_lp.append(ref)
        prep.adv.append(adv)
        prep.returns.append(ret)
    return prep


def policy_epoch(learner, batch, cfg, prep: Prepared, chunks, keep, *, first: bool) -> dict:
    """One pass of the clipped surrogate (plus a KL term in the loss) into ``.grad``."""
    policy = learner.policy
    n_tok = torch.tensor(batch.out.num_tokens, dtype=torch.float)
    budget = cfg.max_new_tokens or policy.config.max_new_tokens
    sizes = {"n_seqs": float(keep.sum().clamp(min=1.0)), "n_tokens": float((keep * n_tok).sum())}
    stats = {"loss": 0.0, "ent_sum": 0.0, "ent_n": 0.0}
    prompts, ids = batch.prompts, batch.out.token_ids
    for ci, ch in enumerate(chunks):
        cur = policy.logprobs([prompts[i] for i in ch], [ids[i] for i in ch], with_entropy=first)
        tok_lp, mask = cur["token_logprobs"], cur["mask"]
        per_tok = clipped_token_loss(tok_lp, prep.old_lp[ci], prep.adv[ci], cfg.clip)
        if cfg.kl_in == "loss" and cfg.kl_coef > 0:
            kl = kl_estimate(cfg.kl_estimator, tok_lp, prep.ref_lp[ci], mask)
            per_tok = per_tok + cfg.kl_coef * kl
        w = token_weights(mask, cfg.loss_agg, **sizes, max_len=budget) * keep[ch][:, None]
        loss = (w * per_tok * mask).sum()
        loss.backward()
        stats["loss"] += float(loss.detach())
        if first:
            stats["ent_sum"] += float(cur["entropy"].detach().sum())
            stats["ent_n"] += float(mask.sum())
    return stats


def value_epoch(learner, batch, cfg, prep: Prepared, chunks) -> float:
    """One regression step of the value model on the GAE returns (mean squared error/2)."""
    n = float(sum(batch.out.num_tokens))
    learner.value_opt.zero_grad(set_to_none=True)
    total = 0.0
    for ci, ch in enumerate(chunks):
        v = learner.value(
            learner.policy, [batch.prompts[i] for i in ch], [batch.out.token_ids[i] for i in ch]
        )
        loss = 0.5 * ((v - prep.returns[ci]) ** 2).sum() / n
        loss.backward()
        total += float(loss.detach())
    torch.nn.utils.clip_grad_norm_(learner.value.parameters(), cfg.max_grad_norm)
    learner.value_opt.step()
    return total


def update(learner, batch, cfg, step: int, chunks, keep, *, want_kl: bool) -> dict:
    """``ppo_epochs`` clipped steps of the policy (and of the value model, for ``ppo_gae``).

    Returns ``loss`` (last epoch), ``kl`` (per completion, k3, if ``want_kl``), ``entropy``,
    ``grad_norm``, ``value_loss`` (``ppo_gae``) and ``extra_tokens`` (``vineppo``'s rollouts).
    """
    policy = learner.policy
    prep = prepare(learner, batch, cfg, step, chunks, want_kl=want_kl)
    value_loss = 0.0
    for epoch in range(cfg.ppo_epochs):
        learner.opt.zero_grad(set_to_none=True)
        stats = policy_epoch(learner, batch, cfg, prep, chunks, keep, first=epoch == 0)
        if epoch == 0:
            first = stats
        grad_norm = float(
            torch.nn.utils.clip_grad_norm_(policy.model.parameters(), cfg.max_grad_norm)
        )
        learner.opt.step()
        if learner.value is not None:
            value_loss = value_epoch(learner, batch, cfg, prep, chunks)
    return {
        "loss": stats["loss"],
        "kl": prep.kl / len(batch.rows),
        "entropy": first["ent_sum"] / max(first["ent_n"], 1.0),
        "grad_norm": grad_norm,
        "value_loss": value_loss,
        "extra_tokens": prep.extra_tokens,
    }
