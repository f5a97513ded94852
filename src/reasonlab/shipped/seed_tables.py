"""Tables over paired seeds: an arm's value per seed, its mean with a 95% t-interval, and the
paired difference of two arms.

An *arm* is ``{seed: history}`` (one training history per seed, rows as
:func:`reasonlab.training.rl.train_rlvr` logs them); the tables take ``{arm name: arm}``. Two arms
of one seed are a pair, so a difference is always the per-seed difference
(:func:`reasonlab.core.stats.paired_difference`): what a seed's base adds to both sides cancels.
:mod:`reasonlab.shipped.experiments_seeds` (notebooks 03 and 04) summarises its comparisons with
these tables; :func:`difference_row` is the row every paired-difference table of the shipped
summaries writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..core import metrics, stats
from ..core.stats import Interval

#: A table column: a key (its final value) or ``(key, at)`` with ``at`` ``"best"`` or a step.
Column = str | tuple[str, str | int]


def value(history: Sequence[Mapping], key: str, at: str | int = "final") -> float:
    """One run's ``key``: at the last step (``"final"``), its best evaluation (``"best"``,
    the maximum over evaluated steps) or at step ``at``."""
    if at == "final":
        row = history[-1]
    elif at == "best":
        vals = [
            r[key]
            for r in history
            if key in r and r.get(metrics.EVAL_STEP, r[metrics.STEP]) == r[metrics.STEP]
        ]
        if not vals:
            raise KeyError(f"no evaluation of {key!r}")
        return max(vals)
    else:
        rows = [r for r in history if r[metrics.STEP] == at]
        if not rows:
            raise KeyError(f"no step {at} in the history")
        row = rows[0]
    if key not in row or row[key] is None:
        raise KeyError(f"{key!r} not logged at step {row[metrics.STEP]}")
    return float(row[key])


def per_seed(runs: Mapping[int, Sequence[Mapping]], key: str, at: str | int = "final") -> dict:
    """``{seed: value}`` of one arm."""
    return {s: value(h, key, at) for s, h in sorted(runs.items())}


def column(spec: Column) -> tuple[str, str | int, str]:
    """``(key, at, header)`` of a table column: a key (its final value) or ``(key, at)`` with
    ``at`` ``"best"`` or a step; the header is ``key``, ``key (best)`` or ``key @ step``."""
    key, at = (spec, "final") if isinstance(spec, str) else spec
    header = key if at == "final" else f"{key} ({at})" if at == "best" else f"{key} @ {at}"
    return key, at, header


def arm_table(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    columns: Sequence[Column],
    *,
    label: str = "arm",
) -> list[dict]:
    """One row per arm: each column's mean over seeds with its 95% t-interval (an Interval),
    under the column's header (:func:`column`)."""
    rows = []
    for name, runs in arms.items():
        row: dict = {label: name, "seeds": len(runs)}
        for spec in columns:
            key, at, header = column(spec)
            row[header] = stats.mean_ci(list(per_seed(runs, key, at).values()))
        rows.append(row)
    return rows


def difference_row(labels: Mapping, iv: Interval, name: str = "difference") -> dict:
    """A row of a paired-difference table: ``labels`` (what is compared, which metric), the
    interval ``iv`` under ``name``, and ``distinguishable`` (``"yes"`` when it excludes 0)."""
    return {**labels, name: iv, "distinguishable": "yes" if iv.excludes_zero else "no"}


def difference_table(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    reference: str,
    columns: Sequence[Column],
    *,
    label: str = "arm",
) -> list[dict]:
    """Paired differences ``arm - reference`` per column, one row per (arm, column).

    Columns: ``label``, ``metric`` (the column's header), ``difference`` (an Interval over the
    per-seed differences), ``distinguishable`` (``"yes"`` when the interval excludes 0).
    """
    if reference not in arms:
        raise KeyError(f"reference {reference!r} is not one of {list(arms)}")
    ref = arms[reference]
    rows = []
    for name, runs in arms.items():
        if name == reference:
            continue
        if sorted(runs) != sorted(ref):
            raise ValueError(f"{name!r} and {reference!r} do not have the same seeds")
        for spec in columns:
            key, at, header = column(spec)
            a, b = per_seed(runs, key, at), per_seed(ref, key, at)
            iv = stats.paired_difference([a[s] for s in a], [b[s] for s in a])
            rows.append(difference_row({label: f"{name} - {reference}", "metric": header}, iv))
    return rows


def spread_table(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    key: str,
    *,
    at: str | int = "final",
) -> list[dict]:
    """Per arm, the seeds' values of ``key``, their range and standard deviation."""
    rows = []
    for name, runs in arms.items():
        vals = per_seed(runs, key, at)
        iv = stats.mean_ci(list(vals.values()))
        rows.append(
            {
                "arm": name,
                **{f"seed {s}": v for s, v in vals.items()},
                "min-max": max(vals.values()) - min(vals.values()),
                "sd": iv.sd,
            }
        )
    return rows
