"""What test-time compute costs, and the cheapest way to an accuracy: pure functions of the rows
of :mod:`reasonlab.measurement.sweeps` (tokens per answer, expected longest sample, expected
tokens of revise-until-verified), priced in dollars and seconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def with_cost(
    rows: Sequence[dict[str, Any]], *, price_per_million: float, tokens_per_s: float
) -> list[dict[str, Any]]:
    """Rows plus ``dollars``, ``seconds/parallel`` and ``seconds/sequential`` per problem.

    The model of :func:`reasonlab.measurement.scaling.cost`, applied to expected token counts:
    you pay for ``tokens/total``; parallel samples wait for the longest (``tokens/max``);
    revisions wait for each attempt in turn (``tokens/sequential``).
    """
    if not price_per_million >= 0:
        raise ValueError(f"price_per_million must be >= 0, got {price_per_million}")
    if not tokens_per_s > 0:
        raise ValueError(f"tokens_per_s must be > 0, got {tokens_per_s}")
    return [
        row
        | {
            "dollars": row["tokens/total"] * price_per_million / 1e6,
            "seconds/parallel": row["tokens/max"] / tokens_per_s,
            "seconds/sequential": row["tokens/sequential"] / tokens_per_s,
        }
        for row in rows
    ]


def cheapest(
    rows: Sequence[dict[str, Any]], *, metric: str, target: float, by: str = "tokens/total"
) -> dict[str, Any] | None:
    """The row with the smallest ``by`` whose ``metric`` reaches ``target`` (None: none does).

    Ties on ``by`` go to the higher ``metric``, then to the earlier row.
    """
    ok = [r for r in rows if r[metric] >= target]
    if not ok:
        return None
    return min(ok, key=lambda r: (r[by], -r[metric]))


def frontier(
    rows: Sequence[dict[str, Any]],
    *,
    metric: str,
    by: str = "tokens/total",
    min_gain: float = 0.0,
) -> list[dict[str, Any]]:
    """The accuracy-cost frontier: rows no other row beats on both ``by`` (lower) and ``metric``.

    Args:
        rows: table rows.
        metric: the accuracy column (higher is better).
        by: the cost column (lower is better).
        min_gain: a row joins only if it beats the previous frontier row by more than this;
            set it near the standard error to keep noise-level steps off the frontier.

    Returns:
        Those rows, cheapest first; each is more accurate than the one before by > ``min_gain``.
    """
    if min_gain < 0:
        raise ValueError(f"min_gain must be >= 0, got {min_gain}")
    best: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (r[by], -r[metric])):
        if not best or row[metric] > best[-1][metric] + min_gain:
            best.append(row)
    return best
