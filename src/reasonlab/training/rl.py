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

This module is the loop and its held-out evaluation; the pieces live beside it, in
:mod:`reasonlab.training.rl_batch` (the batch: rollout, verify, log row) and
:mod:`reasonlab.training.rl_update` (the update: loss, optimizer, critic), and every one of them
still answers here (``rl.rl.rollout``, ``rl.rl.update``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..core import metrics
from ..core.utils import set_seed
from ..measurement.evaluation import evaluate
from ..world import tasks
from ..world.policy import Policy
from .config import LATER_FIELDS, OBJECTIVES, RLConfig  # noqa: F401 (rl.RLConfig, rl.LATER_FIELDS)
from .losses import (  # noqa: F401 (BASELINES, advantages: the names readers know from rl)
    BASELINES,
    advantages,
    clipped_loss,
    kl_per_sample,
    reinforce_loss,
    star_loss,
)

# The pieces of the loop live in two modules; every name still answers as ``rl.<name>``.
from .rl_batch import (  # noqa: F401
    Batch,
    log_row,
    rollout,
    sample_weights,
    successes,
    verify,
    zero_std_groups,
)
from .rl_update import (  # noqa: F401
    Critic,
    Learner,
    accumulate_gradients,
    update,
    update_chunks,
    update_critic,
)


def _as_log(trajectories):
    if trajectories is None:
        return None
    from .trajectories import TrajectoryLog

    return (
        trajectories
        if isinstance(trajectories, TrajectoryLog)
        else TrajectoryLog(Path(trajectories))
    )


# ----------------------------------------------------------------------------- held-out


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
