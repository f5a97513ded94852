"""The metric names of every history and table, in one place, with what each one means.

A *history* is a list of dicts, one per training step, with ``step`` and the keys below. The
training-batch metrics describe the samples the update learned from; the held-out ones come
from :func:`reasonlab.measurement.evaluation.evaluate` on problems of the test split, measured every
``eval_every`` steps and carried forward in between (``eval_step`` says when they were measured).
Namespaces follow CleanRL's habit: ``think/...`` for thinking, ``completion/...`` for lengths,
``pass_rate/<decoding>`` and ``eval/...`` for held-out measurements. ARCHITECTURE.md at the
repository root has the same table for readers of the code.
"""

from __future__ import annotations

STEP = "step"
EVAL_STEP = "eval_step"  #: the step whose held-out measurement a row carries

# Training batch (every step of train_rlvr) ----------------------------------------------------
REWARD_MEAN = "reward/mean"
REWARD_STD = "reward/std"
FRAC_ZERO_STD = "frac_reward_zero_std"
COVERAGE = "coverage"
THINK_USAGE = "think/usage"
CHECK_RATE = "think/check_rate"
WAIT_RATE = "think/wait_rate"
MEAN_TOKENS = "completion/mean_tokens"
KL = "kl"
ENTROPY = "entropy"
GRAD_NORM = "grad_norm"
LOSS = "loss"
WALL_S = "wall_s"
VALUE_LOSS = "value_loss"  #: ppo_gae, vineppo, grpo rows (0 without a value model)
EXTRA_TOKENS = "extra_tokens"  #: ppo_gae, vineppo, grpo rows (0 but for vineppo)
VERIFIED = "reward/verified"  #: rows of runs whose reward is not the verifier (RLConfig.reward)

# Held-out (evaluate, and the rows of train_rlvr that carry it) --------------------------------
PASS_RATE = "pass_rate"
TOKENS_PER_ANSWER = "tokens_per_answer"
GREEDY = "greedy"
SAMPLED = "sampled"
EVAL = "eval"  #: namespace of held-out thinking and length measured during training

DESCRIPTIONS = {
    REWARD_MEAN: "mean reward of the training batch (verdict minus any token cost)",
    REWARD_STD: "standard deviation of those rewards",
    FRAC_ZERO_STD: "share of prompts whose samples all got the same reward (no signal)",
    COVERAGE: "share of prompts with at least one correct sample",
    THINK_USAGE: "share of completions that open with <think>",
    CHECK_RATE: "share of completions with a self-check",
    WAIT_RATE: "share of completions that revise a step",
    MEAN_TOKENS: "mean completion length in tokens",
    KL: "KL(policy || starting policy) per completion, k3 estimate, nats",
    ENTROPY: "mean entropy per completion token, nats",
    GRAD_NORM: "gradient norm before clipping",
    LOSS: "the loss of the update",
    WALL_S: "training time so far in seconds (held-out evaluation excluded)",
    VALUE_LOSS: "the per-token value model's regression loss (ppo_gae)",
    EXTRA_TOKENS: "tokens VinePPO's value rollouts generated in this update",
    VERIFIED: "share of the training batch the verifier accepts, when the reward is a proxy",
    PASS_RATE: "share of held-out samples the verifier accepts",
    TOKENS_PER_ANSWER: "generated tokens per problem (all samples of it)",
}


def per_difficulty(key: str, difficulty: int) -> str:
    """The key of ``key`` restricted to one difficulty, e.g. ``pass_rate/d3``."""
    return f"{key}/d{difficulty}"


def decoded(key: str, decoding: str) -> str:
    """A pass-rate key under one decoding: ``pass_rate/d2`` -> ``pass_rate/greedy/d2``."""
    if not (key == PASS_RATE or key.startswith(PASS_RATE + "/")):
        raise ValueError(f"{key!r} is not a pass-rate key")
    return key.replace(PASS_RATE, f"{PASS_RATE}/{decoding}", 1)


def during_training(key: str) -> str:
    """A held-out thinking or length key as a training row logs it: ``eval/think/usage``."""
    return f"{EVAL}/{key}"


def is_held_out(key: str) -> bool:
    """Whether ``key`` is measured on held-out problems (and carried between evaluations)."""
    return key.split("/", 1)[0] in (PASS_RATE, EVAL)


def held_out_part(row: dict) -> dict:
    """The held-out measurements of a history row."""
    return {k: v for k, v in row.items() if is_held_out(k)}


def logged_during_training(key: str) -> bool:
    """Whether a held-out key of :func:`~reasonlab.measurement.evaluation.evaluate` other than a
    pass rate is kept in training histories (thinking and length are; coverage, rewards are
    not)."""
    return key.split("/", 1)[0] in ("think", "completion")
