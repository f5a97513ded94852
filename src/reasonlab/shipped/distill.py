"""Distillation: compress the RL tutor into smaller students, and compare it with the alternatives.

The RL policy of the book (``rl.zoo.load("rlvr")``, the *tutor*) logged every verified success
while it trained. Distilling from that log is cross-entropy on the tutor's own sampled
completions: *sequence-level* knowledge distillation (Kim and Rush 2016), which copies the
teacher's outputs, not Hinton et al.'s soft targets (its full next-token distributions)::

    loss = -(token_logprobs * mask).sum() / mask.sum()     # over the tutor's completion tokens

The experiments here answer the chapter's questions with a student of the same architecture at a
fraction of the tutor's parameters (:func:`student_config`):

* :func:`compare`: from the student's own base (pre-trained on the original SFT mixture, as the
  tutor's base was), spend one compute budget three ways: cross-entropy on the tutor's logged
  traces (*distill*), RLVR on the student itself (*rlvr*), or more of the original SFT mixture
  (*sft*). The budget is the training FLOPs of the RLVR run (:func:`rl_flops`); the
  cross-entropy arms stop when they have spent as much (:func:`train_ce`).
* :func:`mix_sweep`: traces mixed with plain, non-thinking instruction data (direct answers in
  math and in a domain the tutor never saw, decimal comparison) at several ratios.
* :func:`filter_case`: traces selected by their logged metadata (the RL step that produced them).

Each function runs one seed (``DistillConfig.seed``); :mod:`reasonlab.shipped.distill_seeds` runs
them over the students' seeds, paired, as the ``distill`` stage of ``python -m reasonlab.build``,
and summarises them with intervals; notebooks and benchmarks only load the shipped results.
The data the arms learn from is :mod:`reasonlab.shipped.distill_data`, the FLOPs budget and the
cross-entropy run that spends it :mod:`reasonlab.shipped.distill_budget`; their names still
answer here (``distill.tutor_traces``, ``distill.train_ce``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from ..measurement.evaluation import evaluate, thinks
from ..training.ce import bucketed_cross_entropy  # noqa: F401 (distill.bucketed_cross_entropy)
from ..training.sft import SFTConfig, train_base
from ..world import tasks
from ..world.policy import ModelConfig, Policy
from . import zoo
from .distill_budget import (  # noqa: F401 (distill.train_ce, distill.rl_flops, ...)
    example_tokens,
    mean_prompt_tokens,
    rl_flops,
    train_ce,
)
from .distill_data import (  # noqa: F401 (distill.tutor_traces, distill.DATA_DIR, ...)
    DATA_DIR,
    TRACES_FILE,
    Example,
    plain_examples,
    select_traces,
    sft_mixture_examples,
    trace_examples,
    tutor_traces,
)

TUTOR = "rlvr"  #: zoo name of the tutor
SIZES = {"quarter": 0.25, "half": 0.5}  #: student sizes, as a share of the tutor's parameters
ARMS = ("base", "distill", "rlvr", "sft")


@dataclass(frozen=True)
class DistillConfig:
    """The recipe of every distillation experiment (shared by all arms, so they compare)."""

    base_steps: int = 1000  #: SFT steps of each student's own base on the original mixture
    rl_steps: int = 60  #: RLVR updates of the direct-RL arm (the tutor's own run length)
    batch_size: int = 64  #: examples per cross-entropy step (the base recipe's batch)
    lr: float = 3e-3  #: constant AdamW learning rate of the cross-entropy arms
    #: budgets (multiples of the RLVR arm's FLOPs) at which the distilled student is measured
    distill_multiples: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    sweep_multiple: float = 8.0  #: budget multiple of the mix runs (the last distill budget)
    #: budget multiple of the filter runs (a distill budget: the "all" run to compare with; 4,
    #: not 8, to keep the 5-seed build within its time: the filters' effect shows by then)
    filter_multiple: float = 4.0
    eval_size: int = 400  #: held-out math problems, balanced over difficulty 1-4
    logic_eval_size: int = 200  #: held-out decimal comparisons (the plain-data domain)
    plain_pool: int = 20000  #: plain instruction examples per domain
    #: share of plain data per batch (0 is the distill arm; 0.25 was dropped for build time)
    mix_ratios: tuple[float, ...] = (0.0, 0.5)
    late_from: int = 31  #: the filter case keeps traces logged at this RL step or later
    seed: int = 0  #: seeds the student base, every arm's batches and the evaluation set


# ----------------------------------------------------------------------------- students


def student_config(fraction: float, tutor: ModelConfig | None = None) -> ModelConfig:
    """The tutor's shape with the width whose parameter count is closest to ``fraction`` of it.

    Depth, heads and context stay the tutor's (two layers are what digit-by-digit addition
    needs); only the residual width ``n_embd`` shrinks, in multiples of ``n_head``.
    """
    tutor = tutor or ModelConfig()
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    target = fraction * Policy(tutor).num_parameters()
    widths = range(tutor.n_head, tutor.n_embd + 1, tutor.n_head)
    best = min(
        widths, key=lambda w: abs(Policy(replace(tutor, n_embd=w)).num_parameters() - target)
    )
    return replace(tutor, n_embd=best)


def base_sft_config(fraction: float, cfg: DistillConfig) -> SFTConfig:
    """The tutor's base recipe (same mixture) at the student's size and step budget."""
    return replace(
        zoo.default_sft_config(),
        model=student_config(fraction),
        steps=cfg.base_steps,
        seed=cfg.seed,
    )


def base_name(size: str) -> str:
    """Zoo name of a student's base, e.g. ``"student-quarter-base"``."""
    return f"student-{size}-base"


def register_students(cfg: DistillConfig | None = None) -> list[str]:
    """Register each student's base in the zoo (trained once, then cached); returns the names."""
    cfg = cfg or DistillConfig()
    out = []
    for size, frac in SIZES.items():
        sft_cfg = base_sft_config(frac, cfg)

        def build(load_parent, sft_cfg=sft_cfg, size=size):
            return train_base(sft_cfg, name=base_name(size), progress=False)

        zoo.register(base_name(size), zoo.Recipe(build, {"sft": asdict(sft_cfg)}), replace=True)
        out.append(base_name(size))
    return out


# ----------------------------------------------------------------------------- evaluation


def eval_problems(cfg: DistillConfig) -> tuple[list, list]:
    """Held-out math (difficulty 1-4) and logic problems every row is measured on."""
    math_ = tasks.make("math", cfg.eval_size, difficulty=(1, 4), seed=cfg.seed, split="test")
    logic = tasks.make("logic", cfg.logic_eval_size, difficulty=(1, 4), seed=cfg.seed, split="test")
    return math_, logic


def measure(policy: Policy, cfg: DistillConfig, **extra) -> dict:
    """One table row: greedy pass rate (overall, per difficulty), thinking, tokens, parameters."""
    math_, logic = eval_problems(cfg)
    m = evaluate(policy, math_, greedy=True, seed=cfg.seed)
    lg = evaluate(policy, logic, greedy=True, seed=cfg.seed)
    row = {**extra, "params": policy.num_parameters(), "n_embd": policy.config.n_embd}
    row["pass_rate"] = m["pass_rate"]
    for d in range(1, 5):
        row[f"pass_rate/d{d}"] = m[f"pass_rate/d{d}"]
    row["think/usage"] = m["think/usage"]
    row["tokens_per_answer"] = m["tokens_per_answer"]
    row["logic/pass_rate"] = lg["pass_rate"]
    return row


# ----------------------------------------------------------------------------- experiments


def rl_problems() -> list:
    """The tutor's RL training problems (same for the students' RLVR arm)."""
    return zoo.rl_problems()


def rl_arm(base: Policy, cfg: DistillConfig) -> tuple[Policy, dict, float]:
    """RLVR on a clone of the student's base, with the tutor's RL recipe.

    Returns:
        (student, row, budget): the trained student, its :func:`measure` row, and the run's
        training FLOPs, the budget every other arm gets.
    """
    student = base.clone(name=base.name.replace("-base", "-rlvr"))
    rl_cfg = replace(
        zoo.default_rl_config(),
        steps=cfg.rl_steps,
        eval_every=cfg.rl_steps,
        eval_size=50,  # its own held-out check is not used (measure() is), so keep it cheap
        seed=cfg.seed,
    )
    problems = rl_problems()
    from ..training.rl import train_rlvr

    hist = train_rlvr(student, problems, rl_cfg, progress=False)
    tok = base.tokenizer
    budget = rl_flops(hist, rl_cfg, student.num_parameters(), mean_prompt_tokens(tok, problems))
    row = measure(student, cfg, arm="rlvr", flops=budget, steps=cfg.rl_steps)
    return student, row, budget


def ce_arm(
    base: Policy,
    sources: Sequence[Sequence[Example]],
    budget: float,
    cfg: DistillConfig,
    *,
    shares: Sequence[float] | None = None,
    multiples: Sequence[float] = (1.0,),
    callback: Callable[[dict], None] | None = None,
    **labels,
) -> tuple[Policy, list[dict]]:
    """Cross-entropy on a clone of ``base`` up to ``max(multiples) * budget`` FLOPs.

    The student is measured each time it passes ``m * budget`` for ``m`` in ``multiples``;
    with a constant learning rate the row at ``m`` is exactly what a run stopped at ``m * budget``
    would give, so one long run yields the whole curve.

    ``callback`` gets every :func:`train_ce` history row (before any measurement).

    Returns:
        (student, rows): the final student and one :func:`measure` row per multiple (keys
        ``budget_multiple``, ``flops``, ``steps`` plus ``labels``).
    """
    student = base.clone(name=base.name.replace("-base", "-ce"))
    marks, rows = sorted(multiples), []

    def check(row: dict) -> None:
        if callback is not None:
            callback(row)
        while marks and row["flops"] >= marks[0] * budget:
            m = marks.pop(0)
            extra = {"budget_multiple": m, "flops": row["flops"], "steps": row["step"]}
            rows.append(measure(student, cfg, **labels, **extra))

    train_ce(
        student,
        sources,
        flops=max(multiples) * budget,
        shares=shares,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        seed=cfg.seed,
        callback=check,
    )
    return student, rows


def compare(
    size: str,
    traces: Sequence[dict],
    cfg: DistillConfig | None = None,
    *,
    distill_callback: Callable[[dict], None] | None = None,
) -> tuple[list[dict], dict[str, Policy]]:
    """The three ways to spend one budget on a student of ``size`` (see the module docstring).

    The distill arm runs on to ``max(cfg.distill_multiples)`` times the budget, measured at
    each multiple: how much distillation the student needs to come close to the tutor.

    Args:
        size: a key of ``SIZES``.
        traces: the tutor's log records.
        cfg: the recipe (its ``seed`` seeds the base, every arm's data and the evaluation).
        distill_callback: gets every training row of the distill arm (its losses).

    Returns:
        (rows, policies): :func:`measure` rows for ``base``, ``rlvr``, ``sft`` and ``distill``
        (one per budget multiple) with ``flops`` and ``steps``; the trained policies by arm.
    """
    cfg = cfg or DistillConfig()
    register_students(cfg)
    base = zoo.load(base_name(size))
    tok = base.tokenizer
    rows = [measure(base, cfg, arm="base", flops=0.0, steps=0, budget_multiple=0.0)]
    policies = {"base": base}
    policies["rlvr"], row, budget = rl_arm(base, cfg)
    rows.append({**row, "budget_multiple": 1.0})
    sft_examples = sft_mixture_examples(base, 20000, seed=cfg.seed)
    policies["sft"], sft_rows = ce_arm(base, [sft_examples], budget, cfg, arm="sft")
    policies["distill"], dist_rows = ce_arm(
        base,
        [trace_examples(tok, traces)],
        budget,
        cfg,
        multiples=cfg.distill_multiples,
        callback=distill_callback,
        arm="distill",
    )
    rows += sft_rows + dist_rows
    return [{"size": size, **r} for r in rows], policies


def mix_sweep(
    traces: Sequence[dict],
    budget: float,
    cfg: DistillConfig | None = None,
    size: str = "quarter",
    ratios: Sequence[float] | None = None,
) -> list[dict]:
    """Distil with a share ``r`` of every batch taken from plain instruction data instead.

    Share 0 draws exactly the batches of the plain distillation run (a zero-share source never
    wins a draw, and each draw consumes the same random numbers), so its row must equal the
    distill arm's row at the same budget.

    Args:
        traces, budget: the tutor's records and the FLOPs each run may spend.
        cfg, size: the recipe and the student.
        ratios: the shares to run (default ``cfg.mix_ratios``).

    Returns:
        one :func:`measure` row per ratio (key ``plain_share``).
    """
    cfg = cfg or DistillConfig()
    register_students(cfg)
    base = zoo.load(base_name(size))
    tok = base.tokenizer
    sources = [trace_examples(tok, traces), plain_examples(tok, cfg.plain_pool, seed=cfg.seed)]
    rows = []
    for r in cfg.mix_ratios if ratios is None else ratios:
        _, got = ce_arm(base, sources, budget, cfg, shares=[1.0 - r, r], size=size, plain_share=r)
        rows += got
    return rows


def filter_case(
    traces: Sequence[dict],
    budget: float,
    cfg: DistillConfig | None = None,
    size: str = "quarter",
) -> list[dict]:
    """Distil on only the early or only the late traces (by the logged RL step).

    Returns:
        one :func:`measure` row per selection (key ``traces``), with ``n_traces`` and the
        share of them that think (``traces/think``).
    """
    cfg = cfg or DistillConfig()
    register_students(cfg)
    base = zoo.load(base_name(size))
    # "all" is the distill arm itself (see :func:`compare`); only the selections run here.
    selections = {
        f"step < {cfg.late_from}": select_traces(traces, max_step=cfg.late_from - 1),
        f"step >= {cfg.late_from}": select_traces(traces, min_step=cfg.late_from),
    }
    rows = []
    for label, recs in selections.items():
        think = sum(thinks(r["completion"]) for r in recs) / max(len(recs), 1)
        info = {"size": size, "traces": label, "n_traces": len(recs), "traces/think": think}
        _, got = ce_arm(base, [trace_examples(base.tokenizer, recs)], budget, cfg, **info)
        rows += got
    return rows


# ----------------------------------------------------------------------------- shipped


def load_student(size: str, data_dir: Path = DATA_DIR) -> Policy:
    """The shipped distilled student of ``size`` (``"quarter"`` or ``"half"``): the distill arm
    at the largest budget, seed ``distill_seeds.SEEDS[0]``."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    path = data_dir / f"student-{size}.pt"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing; run `python -m reasonlab.build distill`")
    policy = Policy.from_state(torch.load(path, map_location="cpu", weights_only=True))
    policy.model.eval()
    return policy


if __name__ == "__main__":  # the old command: one stage of the one build command
    import sys

    from reasonlab.build import stage_main

    sys.exit(stage_main("distill", sys.argv[1:]))
