"""What distillation learns from: the tutor's logged traces, and the other data of its arms.

The RL tutor (``zoo/rlvr``) logged every verified success while it trained; the ``distill/tutor``
stage ships that log (:func:`tutor_traces`). :func:`select_traces` filters it by the logged
metadata, and each source becomes training *examples* (prompt, completion ids, token weights):
the traces themselves (:func:`trace_examples`), the original SFT mixture
(:func:`sft_mixture_examples`) and plain instruction data without thinking
(:func:`plain_examples`). The experiments that use them are :mod:`reasonlab.shipped.distill`.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence
from pathlib import Path

from ..core import artifacts
from ..measurement.evaluation import thinks
from ..world import tasks
from ..world.policy import Policy
from . import zoo

DATA_DIR = artifacts.DATA_DIR / "distill"
TRACES_FILE = "tutor_traces.jsonl.gz"

#: A training example: prompt, completion token ids (end of sequence included), token weights.
Example = tuple[str, list[int], list[float]]


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
