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
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch

from ..world.policy import Policy
from . import distill, zoo
from .distill import DATA_DIR, TRACES_FILE, TUTOR, DistillConfig
from .distill_results import (
    SEEDS,
    part_path,
    pick,
    results,  # noqa: F401 (ds.results: notebook 09 reads it here)
    rounded,
    split_part,
)

HEAD_STEPS = 8  #: distill-arm losses kept at full precision for the slice test


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
