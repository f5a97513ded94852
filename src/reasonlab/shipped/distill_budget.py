"""The compute budget of distillation: FLOPs of an RLVR run, and cross-entropy until it is spent.

Every arm of :func:`reasonlab.shipped.distill.compare` gets the training FLOPs of the RLVR arm
(:func:`rl_flops`); the cross-entropy arms draw examples from their sources and stop when they
have spent as much (:func:`train_ce`, on the one cross-entropy loop
:func:`reasonlab.training.ce.train`). FLOPs are the usual estimate, 2 per parameter per token
forward and 4 more backward (attention ignored, as it is small at these lengths).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from ..training import ce
from ..world.policy import Policy
from .distill_data import Example


def example_tokens(tok, ex: Example) -> int:
    """Tokens one forward pass over an example touches (prompt + completion)."""
    return len(tok.encode(ex[0])) + len(ex[1])


def rl_flops(history: Sequence[dict], rl_cfg, n_params: int, prompt_tokens: float) -> float:
    """Estimated training FLOPs of an RLVR run from its history (held-out evaluation excluded).

    Each update samples ``prompts_per_step * num_samples`` completions (2 FLOPs per parameter
    per token) and then scores them with gradients (6 per parameter per token).
    """
    total = 0.0
    for row in history:
        if row["step"] == 0:
            continue
        tokens = rl_cfg.prompts_per_step * rl_cfg.num_samples
        tokens *= prompt_tokens + row["completion/mean_tokens"]
        total += (2 + 6) * n_params * tokens
    return total


def _checked_shares(sources, shares, flops: float) -> list[float]:
    """``shares`` as a list (default: all from the first source), once it and ``flops`` pass."""
    shares = list(shares) if shares is not None else [1.0] + [0.0] * (len(sources) - 1)
    if len(shares) != len(sources) or abs(sum(shares) - 1.0) > 1e-9 or min(shares) < 0:
        raise ValueError(
            f"shares {shares} must be {len(sources)} non-negative numbers summing to 1"
        )
    for s, src in zip(shares, sources, strict=True):
        if s > 0 and not src:
            raise ValueError("a source with a positive share has no examples")
    if flops <= 0:
        raise ValueError(f"flops must be positive, got {flops}")
    return shares


def train_ce(
    policy: Policy,
    sources: Sequence[Sequence[Example]],
    *,
    flops: float,
    shares: Sequence[float] | None = None,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 1e-3,
    callback: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Cross-entropy on examples drawn from one or more sources until ``flops`` are spent.

    Args:
        policy: the student, trained in place.
        sources: lists of examples; each batch slot picks a source by ``shares``, then an
            example of it uniformly.
        flops: training budget (6 FLOPs per parameter per token of every batch).
        shares: probability of each source (default: all from the first).
        seed: seeds the batches.
        batch_size, lr: AdamW at a constant learning rate, gradients clipped at 1.
        callback: called with each history row.

    Returns:
        history rows with ``step``, ``loss``, ``tokens`` and ``flops`` (cumulative).
    """
    shares = _checked_shares(sources, shares, flops)
    tok, n_params = policy.tokenizer, policy.num_parameters()
    rng = random.Random(f"distill/ce/{seed}")

    def batches():
        spent, tokens = 0.0, 0
        while spent < flops:
            batch = []
            for _ in range(batch_size):
                src = sources[rng.choices(range(len(sources)), weights=shares)[0]]
                batch.append(src[rng.randrange(len(src))])
            prompts, ids, weights = (list(x) for x in zip(*batch, strict=True))
            n = sum(example_tokens(tok, ex) for ex in batch)
            tokens += n
            spent += 6 * n_params * n
            yield prompts, ids, weights, {"tokens": tokens, "flops": spent}

    return ce.train(
        policy,
        batches(),
        lr=lr,
        clip=1.0,
        buckets=4,
        first_step=1,
        timed=False,
        callback=callback,
    )


def mean_prompt_tokens(tok, problems: Sequence) -> float:
    return sum(len(tok.encode(p.prompt)) for p in problems) / len(problems)
