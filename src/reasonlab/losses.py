"""The losses of the RL loop, each a named function of tensors (no policy, no sampling).

:func:`advantages` turns rewards into advantages with one of the five baselines;
:func:`reinforce_loss` is the policy gradient, ``-(advantage * logprob)``; :func:`star_loss` is
cross-entropy on the verified successes (REINFORCE with a 0/1 reward and no baseline);
:func:`clipped_loss` is PPO's clipped surrogate; :func:`kl_per_sample` estimates the KL to the
starting policy. The losses are *sums* over samples: :func:`reasonlab.rl.update` divides them by
a fixed count, so they can be accumulated over chunks of a batch.
"""

from __future__ import annotations

import torch

BASELINES = ("none", "ema", "group", "group_std", "critic")


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


def kl_per_sample(logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """k3 estimate of KL(policy || reference), summed over each completion's tokens: (B,)."""
    d = (ref_logp - logp) * mask
    return ((d.exp() - d - 1.0) * mask).sum(1)


def reinforce_loss(logp: torch.Tensor, adv: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Summed policy-gradient loss ``-(advantage * logprob)`` of (b,) completions."""
    return -(keep * adv * logp).sum()


def star_loss(logp: torch.Tensor, success: torch.Tensor) -> torch.Tensor:
    """Summed cross-entropy of the verified successes: REINFORCE with a 0/1 reward."""
    return -(success * logp).sum()


def clipped_loss(
    tok_lp: torch.Tensor,
    old_lp: torch.Tensor,
    mask: torch.Tensor,
    adv: torch.Tensor,
    keep: torch.Tensor,
    clip: float,
) -> torch.Tensor:
    """PPO's clipped surrogate, per token, summed: tok_lp, old_lp, mask (b, T); adv, keep (b,)."""
    ratio = torch.exp(tok_lp - old_lp)  # (b, T) per token
    aa = adv[:, None]
    surr = torch.minimum(ratio * aa, ratio.clamp(1 - clip, 1 + clip) * aa)
    return -(keep * (surr * mask).sum(1)).sum()
