"""The shipped parts of notebook 09's distillation over seeds: their names and files, reading
them, and what they say over the paired seeds.

:mod:`reasonlab.shipped.distill_seeds` builds one part per student size and seed
(``<size>-s<seed>``, a JSON file under ``data/distill/seeds/``); this module names them, reads
them back (:func:`load_parts`, :func:`load_tutor`) and summarises them: per arm, mix ratio and
trace filter, the mean and 95% t-interval over seeds (:func:`arm_summary`, :func:`mix_summary`,
:func:`filter_summary`), and the paired differences notebook 09 draws (:func:`differences`);
:func:`results` gathers everything the notebook shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ..core import stats
from .distill import DATA_DIR, SIZES, DistillConfig

SEEDS = (1, 2, 3, 4, 5)  #: the students' seeds (seed 0 is no longer built)
SEED_DIR = "seeds"  #: folder of the per-seed parts under ``data/distill/``
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
