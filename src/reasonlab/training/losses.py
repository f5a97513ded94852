"""The losses of the RL loop, each a named function of tensors (no policy, no sampling).

:func:`advantages` turns rewards into advantages with one of the five baselines;
:func:`reinforce_loss` is the policy gradient, ``-(advantage * logprob)``; :func:`star_loss` is
cross-entropy on the verified successes (REINFORCE with a 0/1 reward and no baseline);
:func:`clipped_loss` is PPO's clipped surrogate; :func:`kl_per_sample` estimates the KL to the
starting policy. The losses are *sums* over samples: :func:`reasonlab.training.rl.update`
divides them by a fixed count, so they can be accumulated over chunks of a batch.

The token-level pieces of PPO, VinePPO and GRPO (:mod:`reasonlab.training.credit` assembles them):
the KL estimators :func:`kl_k1`, :func:`kl_k2`, :func:`kl_k3` per token; :func:`gae`, generalized
advantage estimation; :func:`clipped_token_loss`, the clipped surrogate with a per-token advantage;
:func:`token_weights`, how per-token losses are aggregated (``LOSS_AGGS``).
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
    """The k3 estimator, ``(r - 1) - log r`` with ``r = ref / policy``, summed over each
    completion's tokens: (B,) from logp, ref_logp, mask (B, T).

    Its *value* is an unbiased, non-negative estimate of KL(policy || reference) on samples of
    the policy. Its *gradient* in the loss (samples held fixed) is, in expectation, that of the
    other direction, KL(reference || policy) (see :func:`kl_k3`): the loop's KL penalty pulls the
    policy to cover the reference, as DeepSeekMath's GRPO does. Same numbers as
    ``kl_k3(logp, ref_logp, mask).sum(1)``.
    """
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


# ----------------------------------------------------------------------------- token level

KL_ESTIMATORS = ("k1", "k2", "k3")
#: How per-token losses become one number (see :func:`token_weights`).
LOSS_AGGS = ("seq-sum", "seq-mean", "token-mean", "dr-grpo")


def kl_k1(logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """k1 = ``-log r`` per token, ``r = ref / policy`` on samples of the policy: (B, T).

    Unbiased for KL(policy || reference) but often negative. In the loss its gradient is
    ``grad log policy``, whose expectation under the policy is zero: k1 in the loss pulls
    nowhere on average (only noise). It belongs in the reward, where PPO-RLHF puts it.
    """
    return (logp - ref_logp) * mask


def kl_k2(logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """k2 = ``(log r)^2 / 2`` per token: (B, T).

    Biased as a value, but in the loss its gradient, ``(log policy - log ref) grad log policy``,
    is in expectation exactly the gradient of KL(policy || reference), the "reverse" KL.
    """
    d = (ref_logp - logp) * mask
    return 0.5 * d * d


def kl_k3(logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """k3 = ``(r - 1) - log r`` per token: (B, T).

    Unbiased and non-negative as a value of KL(policy || reference). In the loss its gradient,
    ``(1 - r) grad log policy``, is in expectation the gradient of KL(reference || policy), the
    "forward" KL: the direction opposite to the one its value estimates.
    """
    d = (ref_logp - logp) * mask
    return (d.exp() - d - 1.0) * mask


def kl_estimate(
    name: str, logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """The estimator ``name`` (one of ``KL_ESTIMATORS``) per token: (B, T)."""
    fns = {"k1": kl_k1, "k2": kl_k2, "k3": kl_k3}
    if name not in fns:
        raise ValueError(f"unknown KL estimator {name!r}; choose one of {KL_ESTIMATORS}")
    return fns[name](logp, ref_logp, mask)


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalized advantage estimation over each row's completion tokens.

    With ``delta_t = r_t + gamma * V_{t+1} - V_t`` (``V`` = 0 after the last token: the episode
    ends there), ``A_t = delta_t + gamma * lam * A_{t+1}``. ``lam = 1`` gives the Monte Carlo
    return minus ``V_t``; ``lam = 0`` the one-step TD error.

    Args:
        rewards: (B, T) reward of each token (the verdict on the last one, any KL penalty).
        values: (B, T) critic's value of the state each token is chosen in.
        mask: (B, T) 1 on completion tokens (one contiguous run per row), else 0.
        gamma: discount per token.
        lam: GAE's lambda.

    Returns:
        (advantages, returns), both (B, T) and zero outside completions; ``returns =
        advantages + values`` is the critic's regression target.
    """
    b, t = rewards.shape
    adv = torch.zeros(b, t, dtype=rewards.dtype)
    nxt_adv = torch.zeros(b, dtype=rewards.dtype)
    nxt_val = torch.zeros(b, dtype=rewards.dtype)
    for i in range(t - 1, -1, -1):
        m = mask[:, i]
        nxt_m = mask[:, i + 1] if i + 1 < t else torch.zeros_like(m)
        delta = rewards[:, i] + gamma * nxt_val * nxt_m - values[:, i]
        adv[:, i] = (delta + gamma * lam * nxt_m * nxt_adv) * m
        nxt_adv, nxt_val = adv[:, i], values[:, i]
    return adv, (adv + values) * mask


def clipped_token_loss(
    tok_lp: torch.Tensor, old_lp: torch.Tensor, adv: torch.Tensor, clip: float | None
) -> torch.Tensor:
    """PPO's clipped surrogate with a per-token advantage, negated: (B, T) per-token losses.

    ``-min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A)`` with ``ratio = exp(tok_lp -
    old_lp)``. Inside the trust region the gradient is the unclipped one; outside it on the side
    the advantage pushes towards, it is zero. ``clip=None`` is the plain ratio objective.

    Args:
        tok_lp: (B, T) log-probabilities of the sampled tokens (with gradient).
        old_lp: (B, T) the same under the policy that sampled them.
        adv: (B, T) advantages.
        clip: epsilon, or None.
    """
    ratio = torch.exp(tok_lp - old_lp)
    if clip is None:
        return -ratio * adv
    return -torch.minimum(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv)


def token_weights(
    mask: torch.Tensor, how: str, *, n_seqs: int, n_tokens: float, max_len: int
) -> torch.Tensor:
    """Weights that turn per-token losses into the batch loss, ``(weights * loss).sum()``.

    =============  ========================================================================
    ``seq-sum``    sum over each completion's tokens, mean over completions (the loop's
                   REINFORCE loss): ``1 / G``
    ``seq-mean``   GRPO as DeepSeekMath writes it: mean over each completion's tokens, then
                   over completions, ``1 / (G |o_i|)`` (a long completion's tokens weigh less)
    ``token-mean`` mean over every token of the batch (DAPO): ``1 / sum |o_i|``
    ``dr-grpo``    Dr. GRPO: the sum divided by a constant, ``1 / (G L_max)``
    =============  ========================================================================

    Args:
        mask: (B, T) completion tokens of some rows of the batch.
        how: one of ``LOSS_AGGS``.
        n_seqs: completions in the whole batch (G).
        n_tokens: completion tokens in the whole batch.
        max_len: the generation budget (L_max).

    Returns:
        (B, T) weights, zero outside completions; over the whole batch those of ``seq-mean``
        and ``token-mean`` sum to 1.
    """
    if how == "seq-sum":
        return mask / n_seqs
    if how == "seq-mean":
        return mask / (n_seqs * mask.sum(1, keepdim=True).clamp(min=1.0))
    if how == "token-mean":
        return mask / max(n_tokens, 1.0)
    if how == "dr-grpo":
        return mask / (n_seqs * max_len)
    raise ValueError(f"unknown loss aggregation {how!r}; choose one of {LOSS_AGGS}")


#: Below this, a gradient norm or gap of :func:`kl_gradient_check` is float64 rounding: 0.
FLOAT64_ROUNDING = 1e-12


def _exact(x: float) -> float:
    return 0.0 if abs(x) < FLOAT64_ROUNDING else x


def kl_gradient_check(num_classes: int = 6, seed: int = 0) -> list[dict]:
    """Which KL each estimator's gradient is, on a small categorical, exactly.

    A policy ``softmax(theta)`` and a reference over ``num_classes`` outcomes (float64, drawn
    from ``seed``). For each estimator ``k``, the loss is ``E_pi[k]`` with the sampling weights
    held fixed (what a loss averaged over the policy's own samples differentiates); its gradient
    is compared with the gradients of KL(pi || ref) and KL(ref || pi).

    Returns:
        one row per estimator: ``estimator``, ``value`` (``E_pi[k]``), ``kl_pi_ref`` (the true
        KL(pi || ref)), ``grad_norm``, and the largest gap between its gradient and each KL's
        (``gap_to_grad_kl_pi_ref``, ``gap_to_grad_kl_ref_pi``). A norm or gap below
        :data:`FLOAT64_ROUNDING` is float64 rounding (its last bits differ from one CPU to
        another) and is reported as exactly 0.
    """
    g = torch.Generator().manual_seed(seed)
    theta = torch.randn(num_classes, generator=g, dtype=torch.float64).requires_grad_()
    ref_logp = torch.log_softmax(torch.randn(num_classes, generator=g, dtype=torch.float64), 0)
    one = torch.ones(1, num_classes, dtype=torch.float64)

    def grad(f) -> torch.Tensor:
        (out,) = torch.autograd.grad(f(theta), theta)
        return out

    def kl_pi_ref(t):
        logp = torch.log_softmax(t, 0)
        return (logp.exp() * (logp - ref_logp)).sum()

    def kl_ref_pi(t):
        return (ref_logp.exp() * (ref_logp - torch.log_softmax(t, 0))).sum()

    g_rev, g_fwd = grad(kl_pi_ref), grad(kl_ref_pi)
    rows = []
    for name in KL_ESTIMATORS:

        def loss(t, name=name):
            logp = torch.log_softmax(t, 0)
            return (
                logp.exp().detach() * kl_estimate(name, logp[None], ref_logp[None], one)[0]
            ).sum()

        gk = grad(loss)
        with torch.no_grad():
            value = float(loss(theta))
        rows.append(
            {
                "estimator": name,
                "value": value,
                "kl_pi_ref": float(kl_pi_ref(theta.detach())),
                "grad_norm": _exact(float(gk.norm())),
                "gap_to_grad_kl_pi_ref": _exact(float((gk - g_rev).abs().max())),
                "gap_to_grad_kl_ref_pi": _exact(float((gk - g_fwd).abs().max())),
            }
        )
    return rows
