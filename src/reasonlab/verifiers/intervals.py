"""Sets of real numbers for :mod:`reasonlab.verifiers.exact`: intervals, their unions and
one-variable bounds (``x \\geq 5``, ``-2 \\le x < 7``, ``x \\ne 3``) read as one canonical form,
so that ``-2 \\le x \\le 7``, ``x \\in [-2, 7]`` and ``[-2, 7]`` are the same answer, and
``(-\\infty, 1) \\cup [1, 2]`` is ``(-\\infty, 2]``.

A set is a sorted tuple of disjoint pieces ``(lo, lo_closed, hi, hi_closed)`` whose ends are
canonical constants of :mod:`.polynomials` (a sorted tuple of items) or ``("inf", -1)`` /
``("inf", 1)``; pieces that overlap or touch are merged. Ordering two ends needs their values:
they are compared as floats, and the set is refused (None) when two different ends are closer
than ``CLOSE`` (relative) or an end has a variable, so every verdict on these sets is exact.
"""

from __future__ import annotations

import math

CLOSE = 1e-9  # two different ends nearer than this (relative) are not ordered by floats


def _infinite(end: tuple) -> bool:
    return bool(end) and end[0] == "inf"  # () is the constant 0


def end_value(end: tuple) -> float | None:
    """An end's value as a float (``inf`` for an infinity); None if it has a variable."""
    if _infinite(end):
        return math.inf * end[1]
    total = 0.0
    for (rad, pi, powers), c in end:
        if powers:
            return None
        total += float(c) * math.sqrt(rad) * math.pi**pi
    return total


def _order(a: tuple, b: tuple) -> int | None:
    """-1, 0 or 1 as end ``a`` is below, equal to or above end ``b``; None if too close to tell."""
    if a == b:
        return 0
    x, y = end_value(a), end_value(b)
    if x is None or y is None or x == y:
        return None
    if math.isinf(x) or math.isinf(y):
        return -1 if x < y else 1
    if abs(x - y) <= CLOSE * max(1.0, abs(x), abs(y)):
        return None
    return -1 if x < y else 1


def real_set(pieces: list[tuple]) -> tuple | None:
    """The canonical set of a union of pieces ``(lo, lo_closed, hi, hi_closed)``; None when an
    end cannot be ordered, a piece is empty or reversed, or an infinite end is closed."""
    keyed = []
    for lo, lo_closed, hi, hi_closed in pieces:
        if (_infinite(lo) and lo_closed) or (_infinite(hi) and hi_closed):
            return None
        if _order(lo, hi) != -1:
            return None  # [5, 3], (2, 2), or ends we cannot order
        value = end_value(lo)
        if value is None:
            return None
        keyed.append((value, not lo_closed, (lo, lo_closed, hi, hi_closed)))
    keyed.sort(key=lambda k: k[:2])  # by lower end, a closed one first
    merged: list[tuple] = []
    for _, _, piece in keyed:
        if merged:
            lo, lo_closed, hi, hi_closed = merged[-1]
            start = _order(piece[0], hi)
            if start is None or _order(piece[0], lo) is None:
                return None
            if start < 0 or (start == 0 and (hi_closed or piece[1])):  # overlap, or they touch
                top = _order(piece[2], hi)
                if top is None:
                    return None
                if top > 0 or (top == 0 and piece[3]):
                    hi, hi_closed = piece[2], piece[3] or (top == 0 and hi_closed)
                merged[-1] = (lo, lo_closed, hi, hi_closed)
                continue
        merged.append(piece)
    return tuple(merged)


def bound(op: str, value: tuple) -> list[tuple]:
    """The pieces of ``x op value`` (``op`` one of ``< <= > >= !=``)."""
    lo, hi = ("inf", -1), ("inf", 1)
    if op in ("<", "<="):
        return [(lo, False, value, op == "<=")]
    if op in (">", ">="):
        return [(value, op == ">=", hi, False)]
    return [(lo, False, value, False), (value, False, hi, False)]


def chain(low: tuple, low_op: str, high_op: str, high: tuple) -> list[tuple]:
    """The piece of ``low low_op x high_op high`` (each op ``<`` or ``<=``)."""
    return [(low, low_op == "<=", high, high_op == "<=")]


def _negated(end: tuple) -> tuple:
    if _infinite(end):
        return ("inf", -end[1])
    return tuple((m, -c) for m, c in end)


def absolute(pieces: tuple) -> tuple | None:
    """The set of x whose ``|x|`` lies in ``pieces`` (``1 \\le |z| \\le 2`` is
    ``[-2, -1] \\cup [1, 2]``); None when an end cannot be ordered."""
    out = []
    for lo, lo_closed, hi, hi_closed in pieces:
        top = end_value(hi)
        if top is None or top <= 0:
            continue  # |x| is never negative
        bottom = end_value(lo)
        if bottom is None:
            return None
        if bottom < 0:
            lo, lo_closed = (), True
        out += [(lo, lo_closed, hi, hi_closed), (_negated(hi), hi_closed, _negated(lo), lo_closed)]
    return real_set(out) if out else None
