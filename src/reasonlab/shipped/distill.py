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
and summarises them with intervals; notebooks and benchmarks only load the shipped results. FLOPs
are the usual estimate, 2 per parameter per token forward and 4 more backward (attention ignored, as
it is small at these lengths).
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from ..core import artifacts
from ..measurement.evaluation import evaluate, thinks
from ..training import ce
from ..training.ce import bucketed_cross_entropy  # noqa: F401 (distill.bucketed_cross_entropy)
from ..training.sft import SFTConfig, train_base
from ..world import tasks
from ..world.policy import ModelConfig, Policy
from . import zoo

DATA_DIR = artifacts.DATA_DIR / "distill"
TRACES_FILE = "tutor_traces.jsonl.gz"
TUTOR = "rlvr"  #: zoo name of the tutor
SIZES = {"quarter": 0.25, "half": 0.5}  #: student sizes, as a share of the tutor's parameters
ARMS = ("base", "distill", "rlvr", "sft")

#: A training example: prompt, completion token ids (end of sequence included), token weights.
Example = tuple[str, list[int], list[float]]


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


# ----------------------------------------------------------------------------- data


def tutor_traces(path: str | Path | None = None) -> list[dict]:
    """The tutor's logged successes (shipped, gzipped JSONL): prompt, completion, step, meta..."""
    path = Path(path) if path is not None else DATA_DIR / TRACES_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"no trace log at {path}; run `python -m reasonlab.build distill/tutor`"
        )
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def select_traces(
    records: Sequence[dict],
    *,
    min_step: int | None = None,
    max_step: int | None = None,
    think: bool | None = None,
    how: str | None = None,
) -> list[dict]:
    """Records whose logged metadata pass every given test.

    Args:
        records: trajectory-log records.
        min_step, max_step: inclusive range of the RL step that produced the trace.
        think: keep only traces that think first (True) or answer directly (False).
        how: keep only traces whose answer the verifier extracted by this rule
            (``meta["how"]``, e.g. ``"####"``).
    """
    out = []
    for r in records:
        if min_step is not None and r["step"] < min_step:
            continue
        if max_step is not None and r["step"] > max_step:
            continue
        if think is not None and thinks(r["completion"]) != think:
            continue
        if how is not None and r.get("meta", {}).get("how") != how:
            continue
        out.append(r)
    return out


def trace_examples(tok, records: Sequence[dict]) -> list[Example]:
    """Examples from log records: every completion token is learned, end of sequence included."""
    out = []
    for r in records:
        ids = tok.encode(r["completion"]) + [tok.eos_id]
        out.append((r["prompt"], ids, [1.0] * len(ids)))
    return out


def sft_mixture_examples(policy: Policy, n: int, *, seed: int = 0) -> list[Example]:
    """``n`` demonstrations drawn as the tutor's base recipe draws them (same mixture)."""
    from ..training.sft import encode_demonstrations

    sc = zoo.default_sft_config()
    lo, hi = sc.difficulty
    pool = [
        p for d in sc.domains for p in tasks.make(d, sc.pool, difficulty=sc.difficulty, seed=seed)
    ]
    rng = random.Random(f"distill/sft/{seed}")
    weights = [sc.difficulty_weights[p.difficulty - lo] for p in pool]
    batch = rng.choices(pool, weights=weights, k=n)
    think = [rng.random() < sc.think_frac for _ in batch]
    prompts, ids, w = encode_demonstrations(policy, batch, think, rng, sc)
    return list(zip(prompts, ids, w, strict=True))


def plain_examples(tok, n: int, *, domains: Sequence[str] = ("math", "logic"), seed: int = 0):
    """Plain instruction data: direct answers, no thinking, ``n`` per domain."""
    out = []
    for d in domains:
        for p in tasks.make(d, n, difficulty=(1, 4), seed=seed):
            ids = tok.encode(tasks.demonstration_text(p, think=False)) + [tok.eos_id]
            out.append((p.prompt, ids, [1.0] * len(ids)))
    return out


# ----------------------------------------------------------------------------- compute


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


def mean_prompt_tokens(tok, problems: Sequence) -> float:
    return sum(len(tok.encode(p.prompt)) for p in problems) / len(problems)


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
