"""Distillation over seeds: every arm of notebook 09, five paired seeds per student.

The teacher is one model: the zoo's ``rlvr`` (the *tutor*) and the log of its verified successes
(artifact ``distill/tutor``, :func:`build_tutor`). What varies from seed to seed is the
*student*. Seed ``s`` (:data:`SEEDS`) is ``DistillConfig(seed=s)`` and sets

* the student base's initial weights and its SFT data (the tutor's base recipe at the student's
  size, :func:`reasonlab.shipped.distill.base_sft_config`);
* the batches of every cross-entropy arm (the draw of SFT-mixture examples, the order in which
  the tutor's traces and the plain data are drawn), and the RLVR arm's prompts and samples;
* the held-out evaluation set (:func:`reasonlab.shipped.distill.eval_problems`).

Within one seed every arm starts from the same base weights, draws its batches from the same
random stream and is measured on the same problems, so the arms are *paired*: a comparison is
the per-seed difference, summarised by :func:`reasonlab.core.stats.paired_difference` (a 95%
t-interval over the 5 differences). The tutor is measured on each seed's evaluation set too, so
"student versus tutor" is paired as well; its own interval holds only evaluation-set noise.

One build part per student size and seed, ``<size>-s<seed>`` (artifacts
``distill/quarter-s1`` ... ``distill/half-s5``), writes ``seeds/<size>-s<seed>.json``
(:func:`build_part`): the rows of the tutor and its base, the student's arms (``base``;
``rlvr``; ``sft`` at the RLVR budget; ``distill`` at each multiple of it), for the quarter
student the mix ratios and the trace filters, and the first losses of the distill arm
(:data:`HEAD_STEPS`, full precision: the slice a test reruns). Other floats are rounded to 4
decimals. Only the seed-``SEEDS[0]`` parts keep a checkpoint: the distilled student at the
largest budget, the one :func:`reasonlab.shipped.distill.load_student` loads.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch

from ..core import stats
from ..world.policy import Policy
from . import distill, zoo
from .distill import DATA_DIR, SIZES, TRACES_FILE, TUTOR, DistillConfig

SEEDS = (1, 2, 3, 4, 5)  #: the students' seeds (seed 0 is no longer built)
SEED_DIR = "seeds"  #: folder of the per-seed parts under ``data/distill/``
HEAD_STEPS = 8  #: distill-arm losses kept at full precision for the slice test
DIGITS = 4  #: decimals every other float is rounded to
#: Per-arm metrics summarised over seeds (greedy, on the seed's held-out set).
METRICS = (
    "pass_rate",
    "pass_rate/d1",
    "pass_rate/d2",
    "pass_rate/d3",
    "pass_rate/d4",
    "think/usage",
    "tokens_per_answer",
    "logic/pass_rate",
)


def part_name(size: str, seed: int) -> str:
    """``"quarter-s1"``: the build part (and file stem) of one student size and seed."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(SIZES)}")
    if seed not in SEEDS:
        raise ValueError(f"seed {seed} is not one of {SEEDS}")
    return f"{size}-s{seed}"


def parts() -> list[str]:
    """Every per-seed part, sizes outer, seeds inner."""
    return [part_name(size, s) for size in SIZES for s in SEEDS]


def part_path(part: str, data_dir: Path = DATA_DIR) -> Path:
    return data_dir / SEED_DIR / f"{part}.json"


def part_files(part: str) -> list[str]:
    """Files (relative to ``data/distill/``) one part writes."""
    size, seed = split_part(part)
    out = [f"{SEED_DIR}/{part}.json"]
    if seed == SEEDS[0]:
        out.append(f"student-{size}.pt")
    return out


def split_part(part: str) -> tuple[str, int]:
    size, _, s = part.partition("-s")
    if size not in SIZES or not s.isdigit() or int(s) not in SEEDS:
        raise ValueError(f"unknown part {part!r}; known: tutor, {', '.join(parts())}")
    return size, int(s)


def rounded(obj, digits: int = DIGITS):
    """``obj`` with every float rounded to ``digits`` decimals (ints and strings kept)."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, Mapping):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [rounded(v, digits) for v in obj]
    return obj


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")


# ----------------------------------------------------------------------------- the tutor


def log_tutor_run(path: Path) -> tuple[Policy, list[dict], bool]:
    """Rerun the tutor's RL exactly as the zoo trains it, with the trajectory log on.

    Returns:
        (policy, history, checked): ``checked`` says whether a stored tutor checkpoint existed
        to compare the rerun with.

    Raises:
        RuntimeError: if the rerun's weights differ from the stored tutor (then the log would
            not be the tutor's).
    """
    from ..training.rl import train_rlvr

    if path.exists():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    policy = zoo.load("base")
    policy.name = TUTOR
    hist = train_rlvr(
        policy, distill.rl_problems(), zoo.default_rl_config(), trajectories=path, progress=False
    )
    try:
        tutor = zoo.load(TUTOR, train_if_missing=False)
    except FileNotFoundError:
        return policy, hist, False
    for k, v in tutor.model.state_dict().items():
        if not torch.equal(v, policy.model.state_dict()[k]):
            raise RuntimeError(f"the logged rerun differs from the zoo's {TUTOR!r} at {k}")
    return policy, hist, True


def build_tutor(out_dir: Path = DATA_DIR) -> None:
    """The ``tutor`` part: the gzipped trace log and ``tutor.json`` (tutor and its base on the
    seed-0 evaluation set; the per-seed parts measure the tutor on their own sets)."""
    cfg = DistillConfig()
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = zoo.cache_dir() / "distill" / "tutor_traces.jsonl"
    policy, _, checked = log_tutor_run(raw)
    print(f"tutor rerun {'equals' if checked else 'NOT compared with'} the zoo's {TUTOR!r}")
    with open(raw, "rb") as src, gzip.GzipFile(out_dir / TRACES_FILE, "wb", mtime=0) as dst:
        dst.write(src.read())
    rows = [
        distill.measure(policy, cfg, arm="tutor"),
        distill.measure(zoo.load("base"), cfg, arm="tutor base"),
    ]
    _write(out_dir / "tutor.json", {"rows": rounded(rows), "config": asdict(cfg)})


# ----------------------------------------------------------------------------- one seed


def run_seed(
    size: str,
    seed: int,
    traces: Sequence[dict],
    cfg: DistillConfig | None = None,
    *,
    extras: bool | None = None,
) -> tuple[dict, dict[str, Policy]]:
    """Every arm of one student size at one seed (the content of one part).

    Args:
        size: a key of ``SIZES``.
        seed: the student's seed (any non-negative int; the build uses :data:`SEEDS`).
        traces: the tutor's log records.
        cfg: the recipe; its ``seed`` is replaced by ``seed``.
        extras: run the mix ratios and the trace filters (default: for the quarter student).

    Returns:
        (part, policies): the part's content (``rows``, ``mix``, ``filter``, ``head``,
        ``budget``, ``config``) unrounded, and the trained policies by arm.
    """
    cfg = replace(cfg or DistillConfig(), seed=seed)
    extras = size == "quarter" if extras is None else extras
    head: list[float] = []

    def keep_head(row: dict) -> None:
        if len(head) < HEAD_STEPS:
            head.append(row["loss"])

    rows, policies = distill.compare(size, traces, cfg, distill_callback=keep_head)
    # The teacher and its base on this seed's evaluation set: student-versus-tutor is paired.
    tutor = [
        distill.measure(zoo.load(name), cfg, arm=arm, size=size)
        for name, arm in ((TUTOR, "tutor"), ("base", "tutor base"))
    ]
    budget = next(r["flops"] for r in rows if r["arm"] == "rlvr")
    out = {"rows": [*tutor, *rows], "budget": budget, "head": head, "config": asdict(cfg)}
    out["mix"], out["filter"] = [], []
    if extras:
        # Share 0 draws exactly the distill arm's batches (see distill.mix_sweep): its row is
        # the distill row at the sweep budget, so only the positive shares are trained.
        twin = pick(rows, arm="distill", budget_multiple=cfg.sweep_multiple)
        zero = {**twin, "plain_share": 0.0}
        zero.pop("arm")
        shares = [r for r in cfg.mix_ratios if r > 0]
        mix = distill.mix_sweep(traces, cfg.sweep_multiple * budget, cfg, size, ratios=shares)
        out["mix"] = [zero, *mix] if 0.0 in cfg.mix_ratios else mix
        out["filter"] = distill.filter_case(traces, cfg.filter_multiple * budget, cfg, size)
        # Each sweep ran one budget: label its rows with its multiple of the RLVR budget.
        for group, m in (("mix", cfg.sweep_multiple), ("filter", cfg.filter_multiple)):
            out[group] = [{**r, "budget_multiple": m} for r in out[group]]
    return out, policies


def build_part(part: str, out_dir: Path = DATA_DIR, cfg: DistillConfig | None = None) -> None:
    """Build one per-seed part (see the module docstring) into ``out_dir``."""
    if part == "tutor":
        build_tutor(out_dir)
        return
    size, seed = split_part(part)
    t0 = time.perf_counter()
    content, policies = run_seed(size, seed, distill.tutor_traces(out_dir / TRACES_FILE), cfg)
    head = content.pop("head")
    doc = {"size": size, "seed": seed, **rounded(content), "head": head}
    _write(part_path(part, out_dir), doc)
    if seed == SEEDS[0]:
        torch.save(policies["distill"].state(), out_dir / f"student-{size}.pt")
    print(f"built distill/{part} in {time.perf_counter() - t0:.0f} s")


# ----------------------------------------------------------------------------- loading


def load_tutor(data_dir: Path = DATA_DIR) -> dict:
    """``tutor.json``: the tutor's and its base's rows on the seed-0 evaluation set."""
    return json.loads(_need(data_dir / "tutor.json", "distill/tutor").read_text())


def _need(path: Path, artifact: str) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} missing; run `python -m reasonlab.build {artifact}`")
    return path


def load_parts(sizes: Iterable[str] = SIZES, data_dir: Path = DATA_DIR) -> dict[str, list[dict]]:
    """``{size: [part of seed 1, ..., part of seed 5]}``, in :data:`SEEDS` order."""
    out = {}
    for size in sizes:
        out[size] = []
        for s in SEEDS:
            p = part_name(size, s)
            out[size].append(json.loads(_need(part_path(p, data_dir), f"distill/{p}").read_text()))
    return out


def config(data_dir: Path = DATA_DIR) -> DistillConfig:
    """The recipe the parts ran with (seed field: the first seed's)."""
    raw = load_parts(["quarter"], data_dir)["quarter"][0]["config"]
    return DistillConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def pick(rows: Sequence[Mapping], **match) -> dict:
    """The one row whose keys equal ``match`` (KeyError if none or several)."""
    hits = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    if len(hits) != 1:
        raise KeyError(f"{len(hits)} rows match {match}")
    return dict(hits[0])


def per_seed(seed_parts: Sequence[Mapping], group: str, metric: str, **match) -> list[float]:
    """The value of ``metric`` in the row matching ``match`` of ``group`` (``"rows"``, ``"mix"``
    or ``"filter"``), one per seed, in seed order."""
    return [float(pick(p[group], **match)[metric]) for p in seed_parts]


# ----------------------------------------------------------------------------- summaries


def _summary_row(
    seed_parts: Sequence[Mapping], group: str, labels: Mapping, metrics: Sequence[str], **match
) -> dict:
    first = pick(seed_parts[0][group], **match)
    row = {**labels, "seeds": len(seed_parts)}
    for k in ("params", "steps", "flops", "n_traces", "traces/think"):
        if k in first:
            vals = per_seed(seed_parts, group, k, **match)
            row[k] = sum(vals) / len(vals)
            if k in ("params", "steps", "n_traces"):
                row[k] = round(row[k])
    for m in metrics:
        row[m] = stats.mean_ci(per_seed(seed_parts, group, m, **match)).as_dict()
    return row


def arm_summary(
    by_size: Mapping[str, Sequence[Mapping]], metrics: Sequence[str] = METRICS
) -> list[dict]:
    """One row per size, arm and budget multiple: mean and 95% t-interval over seeds of each
    metric (``{"mean", "ci95", "sd", "n"}``), mean ``steps`` and ``flops``. The rows of the
    tutor and its base (per size: measured on the same evaluation sets) come first."""
    out = []
    for size, seed_parts in by_size.items():
        keys = [(r["arm"], r.get("budget_multiple")) for r in seed_parts[0]["rows"]]
        for arm, m in keys:
            match = {"arm": arm} if m is None else {"arm": arm, "budget_multiple": m}
            labels = {"size": size, "arm": arm, "budget_multiple": m}
            out.append(_summary_row(seed_parts, "rows", labels, metrics, **match))
    return out


def mix_summary(seed_parts: Sequence[Mapping], metrics: Sequence[str] = METRICS) -> list[dict]:
    """One row per share of plain data (the quarter student's parts), over seeds."""
    shares = [r["plain_share"] for r in seed_parts[0]["mix"]]
    return [
        _summary_row(seed_parts, "mix", {"plain_share": s}, metrics, plain_share=s) for s in shares
    ]


def filter_summary(seed_parts: Sequence[Mapping], metrics: Sequence[str] = METRICS) -> list[dict]:
    """The trace filters beside the run on all traces (the distill arm at the filter budget)."""
    cfg = seed_parts[0]["config"]
    labels = {"traces": "all"}
    out = [
        _summary_row(
            seed_parts, "rows", labels, metrics, arm="distill",
            budget_multiple=cfg["filter_multiple"],
        )
    ]  # fmt: skip
    for r in seed_parts[0]["filter"]:
        t = r["traces"]
        out.append(_summary_row(seed_parts, "filter", {"traces": t}, metrics, traces=t))
    return out


def _diff_row(
    group: str, label: str, size: str, metric: str, a: list[float], b: list[float]
) -> dict:
    iv = stats.paired_difference(a, b)
    return {
        "group": group,
        "comparison": label,
        "size": size,
        "metric": metric,
        "difference": iv.as_dict(),
        "distinguishable": iv.excludes_zero,
    }


TOKENS = "tokens_per_answer"
#: The arm comparisons notebook 09 draws, at the RLVR budget: (label, arm a, arm b, metrics).
ARM_COMPARISONS = (
    ("distill - sft", "distill", "sft", ("pass_rate", "pass_rate/d2", "think/usage")),
    ("distill - rlvr", "distill", "rlvr", ("pass_rate",)),
    ("sft - rlvr", "sft", "rlvr", ("pass_rate",)),
    ("rlvr - base", "rlvr", "base", ("pass_rate",)),
    ("sft - base", "sft", "base", ("pass_rate",)),
)


def differences(by_size: Mapping[str, Sequence[Mapping]]) -> list[dict]:
    """Paired differences (95% t-interval over seeds) of every comparison notebook 09 draws:

    * at the RLVR budget, per size: :data:`ARM_COMPARISONS`;
    * at the largest distillation budget: the student minus 90% of the tutor (same evaluation
      sets; group ``tutor``), the student minus itself at the budget before (is the curve still
      rising?) and the half student minus the quarter one (same seeds: same SFT draw and sets;
      group ``budget``);
    * the quarter student's mix ratios minus share 0, and the trace filters minus all traces.

    Each row: ``group`` (``arms``, ``tutor``, ``budget``, ``mix``, ``filter``),
    ``comparison``, ``size``, ``metric``, ``difference`` (``{"mean", "ci95", ...}``) and
    ``distinguishable`` (the interval excludes 0).
    """
    out = []
    cfg = next(iter(by_size.values()))[0]["config"]
    top = max(cfg["distill_multiples"])
    at = {"budget_multiple": 1.0}
    for size, sp in by_size.items():
        for label, a, b, metrics in ARM_COMPARISONS:
            for m in metrics:
                va = per_seed(sp, "rows", m, arm=a, **at)
                vb = per_seed(sp, "rows", m, arm=b, **({} if b == "base" else at))
                out.append(_diff_row("arms", label, size, m, va, vb))
    for size, sp in by_size.items():
        dist = per_seed(sp, "rows", "pass_rate", arm="distill", budget_multiple=top)
        tut = per_seed(sp, "rows", "pass_rate", arm="tutor")
        label = f"distill {top:g}x - 0.9 tutor"
        out.append(_diff_row("tutor", label, size, "pass_rate", dist, [0.9 * t for t in tut]))
    prev = sorted(cfg["distill_multiples"])[-2] if len(cfg["distill_multiples"]) > 1 else None
    for size, sp in by_size.items():
        if prev is None:
            break
        a, b = (
            per_seed(sp, "rows", "pass_rate", arm="distill", budget_multiple=m) for m in (top, prev)
        )
        out.append(_diff_row("budget", f"distill {top:g}x - {prev:g}x", size, "pass_rate", a, b))
    if {"quarter", "half"} <= set(by_size):
        for m in ("pass_rate", "pass_rate/d4"):
            h, q = (
                per_seed(by_size[s], "rows", m, arm="distill", budget_multiple=top)
                for s in ("half", "quarter")
            )
            out.append(_diff_row("budget", f"half - quarter, distill {top:g}x", "both", m, h, q))
    sp = by_size.get("quarter")
    if sp and sp[0]["mix"]:
        for r in sp[0]["mix"][1:]:
            s = r["plain_share"]
            for m in ("pass_rate", "pass_rate/d4", "logic/pass_rate", "think/usage", TOKENS):
                va = per_seed(sp, "mix", m, plain_share=s)
                vb = per_seed(sp, "mix", m, plain_share=0.0)
                out.append(_diff_row("mix", f"plain share {s:g} - 0", "quarter", m, va, vb))
    if sp and sp[0]["filter"]:
        fm = cfg["filter_multiple"]
        for r in sp[0]["filter"]:
            t = r["traces"]
            for m in ("pass_rate", "pass_rate/d2", "think/usage", "steps"):
                va = per_seed(sp, "filter", m, traces=t)
                vb = per_seed(sp, "rows", m, arm="distill", budget_multiple=fm)
                out.append(_diff_row("filter", f"traces {t} - all", "quarter", m, va, vb))
    return out


def results(data_dir: Path = DATA_DIR) -> dict:
    """Everything notebook 09 shows, from the shipped parts: ``config``, ``tutor`` (seed-0
    rows), ``parts`` (per size, per seed), ``arms``, ``mix``, ``filter``, ``differences``."""
    by_size = load_parts(SIZES, data_dir)
    return {
        "config": config(data_dir),
        "tutor": load_tutor(data_dir)["rows"],
        "parts": by_size,
        "arms": arm_summary(by_size),
        "mix": mix_summary(by_size["quarter"]),
        "filter": filter_summary(by_size["quarter"]),
        "differences": differences(by_size),
    }
