"""Cross-entropy on completions: the loss, and the one training loop every caller shares.

Three callers fit a policy by cross-entropy, and all of them run :func:`train`:

* ``sft.train_base``: demonstrations of the SFT mixture, weighted tokens, length buckets,
  linear warm-up then cosine decay to 10% (:func:`lr_at`), gradients clipped at 1;
* ``sft.fit``: fixed (prompt, completion) pairs, one batch, a constant learning rate, no clip;
* ``distill.train_ce``: examples drawn from several sources until a FLOPs budget is spent,
  weighted tokens, length buckets, a constant learning rate, gradients clipped at 1.

What differs between them is an explicit argument of :func:`train`; the batches (and when to
stop) come from the caller as an iterable, so each keeps its own random draws. The loss is the
mean negative log-likelihood per (weighted) completion token::

    loss = -(token_logprobs * mask).sum() / mask.sum()
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

import torch

from ..world.policy import Policy

#: One step's batch: prompts, completion ids (end of sequence included if it is learned),
#: per-token weights (``None``: every completion token counts 1) and the extra keys of its
#: history row (e.g. tokens spent so far).
CEBatch = tuple[list[str], list[list[int]], list[list[float]] | None, dict]


def cross_entropy(
    policy: Policy,
    prompts: Sequence[str],
    completion_ids: Sequence[Sequence[int]],
    weights: Sequence[Sequence[float]] | None = None,
) -> torch.Tensor:
    """Mean negative log-likelihood per (weighted) completion token.

    Args:
        policy: the model to score with (gradients flow).
        prompts: B prompts.
        completion_ids: B completions as token ids (end of sequence included if it should be
            learned).
        weights: optional B lists of per-token weights (0 = do not learn this token).

    Returns:
        scalar loss.
    """
    total, count = _nll_sum(policy, prompts, completion_ids, weights)
    return total / max(count, 1.0)


def _nll_sum(policy, prompts, completion_ids, weights=None) -> tuple[torch.Tensor, float]:
    """Summed negative log-likelihood of the (weighted) completion tokens, and their count."""
    out = policy.logprobs(prompts, completion_ids)
    mask = out["mask"]
    if weights is not None:  # each row's weights from its first completion target on
        width = mask.shape[1]
        starts = mask.argmax(1).tolist()
        w = torch.tensor(
            [
                [0.0] * s + list(wi) + [0.0] * (width - s - len(wi))
                for s, wi in zip(starts, weights, strict=True)
            ],
            dtype=mask.dtype,
        )
        mask = mask * w
    return -(out["token_logprobs"] * mask).sum(), float(mask.sum())


def bucketed_cross_entropy(policy, prompts, completion_ids, weights=None, buckets: int = 2):
    """:func:`cross_entropy` computed in length buckets, so short rows are not padded to long.

    Same value as one big batch (up to rounding), at a fraction of the cost when lengths differ
    a lot, as they do between answering directly and thinking first.
    """
    order = sorted(range(len(prompts)), key=lambda i: len(completion_ids[i]) + len(prompts[i]))
    chunks = [
        order[k * len(order) // buckets : (k + 1) * len(order) // buckets] for k in range(buckets)
    ]
    total, count = torch.zeros(()), 0.0
    for ch in chunks:
        if not ch:
            continue
        t, c = _nll_sum(
            policy,
            [prompts[i] for i in ch],
            [completion_ids[i] for i in ch],
            None if weights is None else [weights[i] for i in ch],
        )
        total, count = total + t, count + c
    return total / max(count, 1.0)


def lr_at(step: int, steps: int, lr: float, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay from ``lr`` to 10% of it."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + torch.cos(torch.tensor(progress * torch.pi)).item()))


def train(
    policy: Policy,
    batches: Iterable[CEBatch],
    *,
    lr: float,
    weight_decay: float = 0.01,
    schedule: Callable[[int], float] | None = None,
    clip: float | None = None,
    buckets: int | None = None,
    first_step: int = 0,
    timed: bool = True,
    callback: Callable[[dict], None] | None = None,
) -> list[dict]:
    """AdamW on the cross-entropy of each batch, in place: the one loop of every CE caller.

    Args:
        policy: trained in place (left in eval mode).
        batches: one :data:`CEBatch` per step; the loop stops when they run out. Wrap it in a
            progress bar to show one.
        lr, weight_decay: AdamW's learning rate and weight decay.
        schedule: the learning rate of each step (e.g. :func:`lr_at`), logged as ``lr``;
            ``None``: ``lr`` throughout.
        clip: clip the gradient norm at this value (``None``: no clipping).
        buckets: length buckets of :func:`bucketed_cross_entropy` (``None``: one batch).
        first_step: the ``step`` of the first row (and of ``schedule``'s first call).
        timed: log ``wall_s``, the seconds since the loop started.
        callback: called with each history row.

    Returns:
        history rows: ``step``, ``loss``, ``lr`` (with a schedule), the batch's extra keys,
        ``wall_s`` (if timed).
    """
    opt = torch.optim.AdamW(policy.model.parameters(), lr=lr, weight_decay=weight_decay)
    policy.model.train()
    history, t0 = [], time.perf_counter()
    for step, (prompts, ids, weights, extra) in enumerate(batches, start=first_step):
        step_lr = lr if schedule is None else schedule(step)
        for g in opt.param_groups:
            g["lr"] = step_lr
        if buckets is None:
            loss = cross_entropy(policy, prompts, ids, weights)
        else:
            loss = bucketed_cross_entropy(policy, prompts, ids, weights, buckets=buckets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(policy.model.parameters(), clip)
        opt.step()
        row = {"step": step, "loss": loss.item(), **({"lr": step_lr} if schedule else {}), **extra}
        if timed:
            row["wall_s"] = time.perf_counter() - t0
        history.append(row)
        if callback is not None:
            callback(row)
    policy.model.eval()
    return history
