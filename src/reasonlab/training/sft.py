"""Supervised fine-tuning: the base policy, STaR, and cross-entropy on any list of completions.

* :func:`train_base` pre-trains a fresh tiny GPT on demonstrations in which only a minority
  think first (``SFTConfig.think_frac``): the base policy can think, and thinking is more
  accurate on hard problems, but it rarely chooses to. That gap is what RL discovers.
* :func:`star` is STaR / rejection-sampling fine-tuning: sample, keep the verified successes,
  take a cross-entropy step on them. It is REINFORCE with a 0/1 reward and no baseline, up to
  the normalisation (it divides by the number of successes, not of samples); it runs through
  the same loop as :func:`reasonlab.training.rl.train_rlvr`, so the two compare at equal budget.
* :func:`fit` is plain cross-entropy on given (prompt, completion) pairs: the distillation
  step, e.g. on a trajectory log.

Both fitting functions run the one cross-entropy loop, :func:`reasonlab.training.ce.train`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace

from ..core.utils import set_seed
from ..world import tasks
from ..world.policy import ModelConfig, Policy
from . import ce
from .ce import bucketed_cross_entropy, cross_entropy  # noqa: F401 (sft.cross_entropy, ...)


@dataclass(frozen=True)
class SFTConfig:
    """How the base policy is pre-trained."""

    model: ModelConfig = field(default_factory=ModelConfig)  #: shape of the tiny GPT
    domains: tuple[str, ...] = ("math",)  #: task domains in the mixture (equal shares)
    difficulty: tuple[int, int] = (1, 4)  #: difficulty range of the training problems
    #: relative share of each difficulty level in the batches (longer numbers have more to learn;
    #: with direct answers muted above 1 digit, the 3-4 digit share is thinking practice)
    difficulty_weights: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
    think_frac: float = 0.3  #: share of demonstrations that think first (a minority on purpose)
    check_rate: float = 0.08  #: chance a thinking step is followed by a self-check
    error_rate: float = 0.4  #: chance a checked step is first written wrong, then revised
    #: math only: a direct answer (no thinking) trains its digits only up to this many digits.
    #: Above it only the "#### " marker and the end of sequence carry loss: the base still
    #: *chooses* to answer directly most of the time, but is never taught multi-digit sums "in
    #: its head". Why: greedy decoding never thinks, so a base's greedy pass is its direct-answer
    #: skill, and direct k-digit addition is learned in a sudden jump whose step depends on the
    #: seed and on the CPU's float kernels (AVX2 vs AVX-512 round differently). Every retrained
    #: base was a lottery over which lengths had jumped when training stopped (greedy pass 0.44
    #: to 0.74 before; with 2 digits still taught, 0.25 to 0.50). With 1 the lottery is gone by
    #: construction: greedy pass is about 0.25 (the 1-digit sums) on every seed and kernel, and
    #: 2-4 digits are solvable only by thinking, which is what RL has to discover.
    #: ``None``: every direct answer is trained (the recipe before issue 13).
    direct_max_difficulty: int | None = 1
    steps: int = 2000  #: optimizer steps
    batch_size: int = 64  #: demonstrations per step
    lr: float = 1e-2  #: peak AdamW learning rate (cosine decay to 10%)
    warmup: int = 50  #: linear warm-up steps
    weight_decay: float = 0.01  #: AdamW weight decay
    pool: int = 20000  #: distinct training problems per domain, drawn once
    seed: int = 0  #: seeds the weights, the problems and the mixture
    #: how a self-check is written (``tasks.CHECK_STYLES``); a later field, see :func:`recipe`
    check_style: str = "subtract"


#: ``SFTConfig`` fields added after the first shipped bases; :func:`recipe` omits them at their
#: defaults, so every recipe of before keeps its hash (and its shipped checkpoint).
LATER_FIELDS = ("check_style",)


def recipe(cfg: SFTConfig) -> dict:
    """The fields of ``cfg`` for recipe hashes, without :data:`LATER_FIELDS` at their defaults."""
    out = asdict(cfg)
    for f in fields(cfg):
        if f.name in LATER_FIELDS and out[f.name] == f.default:
            del out[f.name]
    return out


def encode_demonstrations(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    think: Sequence[bool],
    rng: random.Random,
    cfg: SFTConfig,
) -> tuple[list[str], list[list[int]], list[list[float]]]:
    """Prompts, completion ids (ending with end of sequence) and per-token loss weights."""
    tok = policy.tokenizer
    prompts, ids, weights = [], [], []
    for p, th in zip(problems, think, strict=True):
        segs = tasks.demonstration(
            p,
            think=th,
            rng=rng,
            check_rate=cfg.check_rate,
            error_rate=cfg.error_rate,
            check_style=cfg.check_style,
        )
        c, w = [], []
        mute = (  # a direct math answer longer than direct_max_difficulty digits
            not th
            and p.domain == "math"
            and cfg.direct_max_difficulty is not None
            and p.difficulty > cfg.direct_max_difficulty
        )
        n_marker = len(tok.encode(tasks.ANSWER))
        for text, train in segs:
            e = tok.encode(text)
            c += e
            if mute and text.startswith(tasks.ANSWER):  # learn the marker, not the digits
                w += [1.0] * n_marker + [0.0] * (len(e) - n_marker)
                continue
            w += [1.0 if train else 0.0] * len(e)
        prompts.append(p.prompt)
        ids.append(c + [tok.eos_id])
        weights.append(w + [1.0])
    return prompts, ids, weights


def weighted_pool(cfg: SFTConfig) -> tuple[list[tasks.Problem], list[float]]:
    """The training problems of ``cfg`` and their cumulative draw weights (by difficulty)."""
    pool = [
        p
        for d in cfg.domains
        for p in tasks.make(d, cfg.pool, difficulty=cfg.difficulty, seed=cfg.seed)
    ]
    lo = cfg.difficulty[0]
    if len(cfg.difficulty_weights) < cfg.difficulty[1] - lo + 1:
        raise ValueError(
            f"difficulty_weights {cfg.difficulty_weights} must give a weight to "
            f"every level of {cfg.difficulty}"
        )
    cum, acc = [], 0.0
    for p in pool:
        acc += cfg.difficulty_weights[p.difficulty - lo]
        cum.append(acc)
    return pool, cum


def train_base(
    config: SFTConfig | None = None,
    *,
    name: str = "base",
    callback: Callable[[dict], None] | None = None,
    progress: bool = True,
) -> tuple[Policy, list[dict]]:
    """Pre-train a fresh policy on the thinking-minority mixture.

    Args:
        config: the recipe; same config, bit-identical weights.
        name: the returned policy's name.
        callback: called with each history row.
        progress: show a tqdm progress bar.

    Returns:
        (policy, history) where each history row has ``step``, ``loss``, ``lr``, ``wall_s``.
    """
    from tqdm.auto import tqdm

    cfg = config or SFTConfig()
    if not 0.0 <= cfg.think_frac <= 1.0:
        raise ValueError(f"think_frac must lie in [0, 1], got {cfg.think_frac}")
    set_seed(cfg.seed)
    policy = Policy(cfg.model, name=name)
    pool, cum = weighted_pool(cfg)
    rng = random.Random(f"sft/{cfg.seed}")

    def batches():
        for _ in range(cfg.steps):
            batch = rng.choices(pool, cum_weights=cum, k=cfg.batch_size)
            think = [rng.random() < cfg.think_frac for _ in batch]
            prompts, ids, weights = encode_demonstrations(policy, batch, think, rng, cfg)
            yield prompts, ids, weights, {}

    history = ce.train(
        policy,
        tqdm(batches(), total=cfg.steps, desc=f"SFT {name}", disable=not progress),
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        schedule=lambda step: ce.lr_at(step, cfg.steps, cfg.lr, cfg.warmup),
        clip=1.0,
        buckets=4,
        callback=callback,
    )
    return policy, history


def fit(
    policy: Policy,
    prompts: Sequence[str],
    completions: Sequence[str],
    *,
    steps: int = 200,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    callback: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Cross-entropy on fixed (prompt, completion) pairs, in place (e.g. distillation).

    Args:
        policy: trained in place.
        prompts, completions: the pairs (completions as text, without end of sequence).
        steps, batch_size, lr: AdamW schedule (constant learning rate).
        seed: seeds the minibatch order.
        callback: called with each history row.

    Returns:
        history rows with ``step``, ``loss``, ``wall_s``.
    """
    if len(prompts) != len(completions) or not prompts:
        raise ValueError(
            f"need equally many prompts and completions (got {len(prompts)} and "
            f"{len(completions)}), at least one"
        )
    tok = policy.tokenizer
    ids = [tok.encode(c) + [tok.eos_id] for c in completions]
    rng = random.Random(f"fit/{seed}")

    def batches():
        for _ in range(steps):
            idx = [rng.randrange(len(prompts)) for _ in range(min(batch_size, len(prompts)))]
            yield [prompts[i] for i in idx], [ids[i] for i in idx], None, {}

    return ce.train(policy, batches(), lr=lr, callback=callback)


def star(policy: Policy, problems: Sequence[tasks.Problem], config=None, **kwargs) -> list[dict]:
    """STaR: sample, keep verified successes, cross-entropy on them; same loop as RLVR.

    Takes the same arguments as :func:`reasonlab.training.rl.train_rlvr`, so a comparison at equal
    budget changes one line. Of the config, ``baseline`` and ``clip`` do not enter STaR's loss
    (a critic is still trained if asked for); ``kl_coef`` does: a positive value adds the same
    KL penalty to the starting policy as in RLVR (0, the default, is plain STaR).
    """
    from .rl import RLConfig, train_rlvr

    return train_rlvr(policy, problems, replace(config or RLConfig(), objective="star"), **kwargs)
