"""Two measurements of the policy gradient itself, on the base policy (notebooks 03 and 04).

* :func:`star_reinforce_gradients`: STaR's loss and REINFORCE's 0/1-reward loss on one batch,
  and their gradients (equal up to one positive factor);
* :func:`gradient_variance`: how noisy each baseline's gradient estimate is, on the same samples
  (the artifact ``experiments/gradvar``);
* :func:`advantage_by_difficulty`: where each baseline pushes, per difficulty (why a single
  running mean hurts hard problems).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from ..core.stats import mean
from ..core.utils import set_seed
from ..measurement.evaluation import sample_and_verify, thinks
from ..training.rl import BASELINES, advantages
from ..world import tasks
from ..world.policy import Policy


def flat_grad(policy: Policy, loss: torch.Tensor) -> torch.Tensor:
    """The gradient of ``loss`` with respect to every policy parameter, flattened: (P,).

    The graph is kept, so several losses built on the same forward pass can be differentiated
    one after the other.
    """
    params = [p for p in policy.model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    return torch.cat(
        [
            (g if g is not None else torch.zeros_like(p)).reshape(-1)
            for g, p in zip(grads, params, strict=True)
        ]
    )


def star_reinforce_gradients(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    num_samples: int = 8,
    seed: int = 0,
) -> dict:
    """STaR's loss and REINFORCE's (0/1 reward, no baseline) on one sampled batch.

    * STaR: cross-entropy on the verified successes, ``-sum_{r=1} logprob / n_success``;
    * REINFORCE: ``-sum_i r_i * logprob_i / n``, every sample, reward 0 or 1.

    The failed samples have weight 0 in both, so the two gradients differ only by the positive
    factor ``n / n_success``.

    Returns:
        dict with ``rewards`` (n,), ``grad_star`` and ``grad_reinforce`` (P,), ``n``,
        ``n_success`` and ``scale = n / n_success``.
    """
    rows, out, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
    r = torch.tensor(rewards)  # (n,)
    n_success = int(r.sum())
    if n_success == 0:
        raise ValueError("no verified success in this batch: STaR has nothing to train on")
    prompts = [p.prompt for p in rows]
    lp = policy.logprobs(prompts, out.token_ids)["logprobs"]  # (n,) summed over tokens
    ok = r > 0
    star_loss = -lp[ok].sum() / n_success
    reinforce_loss = -(r * lp).sum() / len(r)
    return {
        "rewards": r,
        "grad_star": flat_grad(policy, star_loss),
        "grad_reinforce": flat_grad(policy, reinforce_loss),
        "n": len(r),
        "n_success": n_success,
        "scale": len(r) / n_success,
    }


def _batch(policy, problems, rng, prompts_per_step, num_samples, seed):
    batch = [problems[rng.randrange(len(problems))] for _ in range(prompts_per_step)]
    rows, out, rewards = sample_and_verify(policy, batch, num_samples=num_samples, seed=seed)
    return batch, rows, out, torch.tensor(rewards).view(prompts_per_step, num_samples)


def _values(policy, batch, num_samples, seed) -> torch.Tensor:
    """Monte Carlo value of each prompt: its pass rate over independent samples (N,)."""
    _, _, rewards = sample_and_verify(policy, batch, num_samples=num_samples, seed=seed)
    return torch.tensor(rewards).view(len(batch), -1).mean(1)


def gradient_variance(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    baselines: Sequence[str] = BASELINES,
    num_batches: int = 16,
    prompts_per_step: int = 32,
    num_samples: int = 8,
    value_samples: int = 16,
    seed: int = 0,
) -> list[dict]:
    """How noisy is each baseline's gradient estimate? Measured on the *same* samples.

    For each of ``num_batches`` batches (``prompts_per_step`` prompts times ``num_samples``
    samples) the loss ``-(advantage * logprob).sum() / n`` is differentiated once per baseline.
    The policy does not change, so the batches are independent draws of the same estimator.
    Stand-ins for the baselines that learn over a run: ``ema`` uses the policy's mean reward
    measured on one extra batch (what a running mean settles to), ``critic`` uses a Monte Carlo
    value per prompt from ``value_samples`` fresh samples (what a well-trained critic predicts,
    VinePPO-style).

    Returns:
        one row per baseline: ``baseline``, ``var/total`` (sum over parameters of the variance
        across batches, i.e. the mean squared distance of an estimate from their average),
        ``mean_norm`` (norm of the average gradient), ``snr`` (``mean_norm**2 / var/total``,
        scale-free, so GRPO's rescaled gradient compares fairly), ``cos_to_mean`` (average
        cosine between one batch's gradient and the average of the others), ``frac_zero_adv``
        (share of samples whose advantage is exactly 0).
    """
    if num_batches < 2:
        raise ValueError(f"num_batches must be >= 2 to measure a variance, got {num_batches}")
    for b in baselines:
        if b not in BASELINES:
            raise ValueError(f"unknown baseline {b!r}; choose one of {BASELINES}")
    set_seed(seed)
    rng = random.Random(f"gradvar/{seed}")
    _, _, _, r0 = _batch(policy, problems, rng, prompts_per_step, num_samples, seed + 999_983)
    ema = float(r0.mean())
    grads: dict[str, list[torch.Tensor]] = {b: [] for b in baselines}
    zero: dict[str, list[float]] = {b: [] for b in baselines}
    for k in range(num_batches):
        batch, rows, out, r = _batch(policy, problems, rng, prompts_per_step, num_samples, seed + k)
        values = _values(policy, batch, value_samples, seed + 500_009 + k)
        lp = policy.logprobs([p.prompt for p in rows], out.token_ids)["logprobs"]  # (n,)
        for b in baselines:
            adv = advantages(r, b, ema=ema, values=values).reshape(-1)  # (n,)
            grads[b].append(flat_grad(policy, -(adv * lp).sum() / len(lp)))
            zero[b].append(float((adv == 0).float().mean()))
    table = []
    for b in baselines:
        g = torch.stack(grads[b]).double()  # (K, P)
        g_mean = g.mean(0)
        var_total = float(g.var(0, unbiased=True).sum())
        # Leave-one-out mean so that a batch is not compared with itself.
        others = (g.sum(0, keepdim=True) - g) / (len(g) - 1)
        cos = torch.nn.functional.cosine_similarity(g, others, dim=1)
        table.append(
            {
                "baseline": b,
                "var/total": var_total,
                "mean_norm": float(g_mean.norm()),
                "snr": float(g_mean.norm() ** 2) / var_total if var_total > 0 else float("inf"),
                "cos_to_mean": float(cos.mean()),
                "frac_zero_adv": mean(zero[b]),
            }
        )
    return table


def advantage_by_difficulty(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    baselines: Sequence[str] = ("ema", "group"),
    num_samples: int = 8,
    seed: int = 0,
) -> list[dict]:
    """Where each baseline pushes, per difficulty, on one batch of ``problems``.

    The running mean (``ema``) is one number for every prompt: set to the batch's mean reward,
    which is what it tracks. A hard prompt's samples then mostly get a negative advantage, so
    the update mostly pushes *down* whatever the policy did on hard prompts, thinking included.
    A group baseline centres each prompt on its own mean.

    Returns:
        one row per (baseline, difficulty): ``pass_rate``, ``adv/mean`` (net push per sample),
        ``adv/think`` and ``adv/direct`` (mean advantage of thinking and of direct samples),
        ``frac_negative`` (share of samples pushed down).
    """
    rows, out, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
    r = torch.tensor(rewards).view(len(problems), num_samples)
    thinking = [thinks(c) for c in out.completions]
    table = []
    for b in baselines:
        if b == "critic":
            raise ValueError("advantage_by_difficulty compares baselines without a learned part")
        adv = advantages(r, b, ema=float(r.mean())).reshape(-1)
        flat_r = r.reshape(-1)
        for d in sorted({p.difficulty for p in problems}):
            idx = [i for i, p in enumerate(rows) if p.difficulty == d]
            table.append(
                {
                    "baseline": b,
                    "difficulty": d,
                    "pass_rate": mean(flat_r[i] for i in idx),
                    "adv/mean": mean(adv[i] for i in idx),
                    "adv/think": mean(adv[i] for i in idx if thinking[i]),
                    "adv/direct": mean(adv[i] for i in idx if not thinking[i]),
                    "frac_negative": mean(adv[i] < 0 for i in idx),
                }
            )
    return table
