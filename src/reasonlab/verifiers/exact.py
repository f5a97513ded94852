"""Exact comparison in the calling process: the fast path for answers beyond plain numbers.

Both answers (already normalised, :mod:`.normalize`) are read into canonical values by
:mod:`.exact_reader` (expressions by :mod:`.expressions`), and compared here. An expression is a
polynomial in variables whose coefficients are sums of ``q * sqrt(n) * pi^k`` (``q`` rational,
``n`` a square-free integer, ``k`` an integer). Those coefficients have exactly one such form
(square roots of distinct square-free integers are linearly independent over the rationals, and
``pi`` is transcendental), so two expressions are equal iff their canonical forms are equal: a
"different" is as exact as an "equal". Tuples compare in order, sets and bare lists as sets,
matrices cell by cell, equations as ``lhs - rhs`` up to a constant factor, bounds, intervals and
their unions as sets of reals (:mod:`.intervals`), ratios in the same terms, words as text; a
named value (``x = 5``, ``(p, q) = (3, 2)``) against a bare one is its value, and a list of
named values (``y_1 = 2x, y_2 = 3``) against a list of bare ones is the list of values. Two
sums whose bounds have letters are equal when written the same way, and different when they
differ with those letters set to integers.

Whatever the reader refuses (functions, ``e``, ``i``, division by a variable, ...) or this
cannot settle (different shapes, decimals against irrationals) gives None from
:func:`exact_equal`: the caller hands the pair to the symbolic worker. A "different" between two
answers that contain a decimal is also None unless they are far apart, because the slow path
allows rounding there (a long decimal, math-verify's grader's six decimal places).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .exact_reader import as_reals, canonical, value_at
from .expressions import OPAQUE
from .intervals import end_value

_SPACE = re.compile(r"\s+(?=[^\w])|(?<=[^\w])\s+")


def _squeezed(s: str) -> str:
    return _SPACE.sub("", s)


def _numbers(v: tuple) -> bool:
    """A tuple of plain numbers, ``(3, 17, 3, 7)``."""
    return v[0] == "tuple" and all(x[0] == "num" for x in v[1])


def _letterish(v: tuple) -> str | None:
    """A one-letter answer (``C``, ``(C)``, a lone variable) as its letter."""
    if v[0] == "letter":
        return v[1]
    if v[0] == "num" and len(v[1]) == 1 and v[1][0] != "inf":
        ((m, c),) = v[1]
        if c == 1 and m[:2] == (1, 0) and len(m[2]) == 1 and m[2][0][1] == 1 == len(m[2][0][0]):
            return m[2][0][0]
    return None


def _unnamed(a: tuple, b: tuple) -> tuple[tuple, tuple] | None:
    """The two values to compare when one side or both name theirs ("(p, q) = (3, 2)" against
    "(3, 2)"; "x = 5" against "5 = x" as equations); None when two names differ and the sides
    are not both equations."""
    if a[0] == "named" and b[0] == "named":
        if a[1] == b[1]:
            return a[2], b[2]
        return (a[3], b[3]) if a[3] is not None and b[3] is not None else None
    if a[0] != "named" and b[0] != "named":
        return a, b
    named, other = (a, b) if a[0] == "named" else (b, a)
    value = named[3] if other[0] == "eq" else named[2]
    if value is None:
        return None
    return (value, other) if named is a else (other, value)


def _bare_items(a: tuple, b: tuple) -> tuple[tuple, tuple]:
    """Two lists, one of named values ("y_1 = 2x, y_2 = 3"), one of bare values ("2x, 3"): the
    named one without its names."""
    if a[0] != "set" or b[0] != "set":
        return a, b
    named = [all(x[0] == "named" for x in v[1]) for v in (a, b)]
    if named[0] == named[1] or any(x[0] == "named" for x in (b if named[0] else a)[1]):
        return a, b
    bare = lambda v: ("set", tuple(sorted((x[2] for x in v[1]), key=repr)))  # noqa: E731
    return (bare(a), b) if named[0] else (a, bare(b))


def _float(poly: tuple) -> float | None:
    """The value of a constant canonical polynomial as a float; None if it has variables."""
    value = end_value(poly)
    return None if value is None or math.isinf(value) else value


def _far_apart(a: tuple, b: tuple) -> bool:
    """Two numbers (or tuples, intervals or matrices of numbers, item by item) of which some pair
    differs by more than 1e-5 and more than 1e-8 relative: no rounding the slow path allows (its
    own 1e-9 relative, a long decimal's last digit, math-verify's six decimal places) makes
    them equal."""
    if a[0] != b[0]:
        return False
    if a[0] == "num":
        x, y = _float(a[1]), _float(b[1])
        if x is None or y is None:
            return False
        return abs(x - y) > max(1e-5, 1e-8 * max(abs(x), abs(y)))
    if a[0] == "matrix":
        if [len(r) for r in a[1]] != [len(r) for r in b[1]]:
            return False
        cells = zip((c for r in a[1] for c in r), (c for r in b[1] for c in r), strict=True)
        return any(_far_apart(("num", x), ("num", y)) for x, y in cells)
    items_a, items_b = a[-1], b[-1]
    if a[0] == "interval" and a[1] != b[1] or len(items_a) != len(items_b):
        return False
    return any(_far_apart(x, y) for x, y in zip(items_a, items_b, strict=True))


_SUM_BOUNDS = re.compile(r"\\sum_\{([A-Za-z])=([^{}]*)\}\^(\{[^{}]*\}|\S)")
SUM_POINTS = (7, 10)  # the values given to a sum's letter bounds to tell two answers apart


def exact_equal(gold: str, pred: str) -> tuple[bool | None, str]:
    """(True / False, how) when both answers are read exactly; (None, why) otherwise."""
    if _squeezed(gold) == _squeezed(pred):
        return True, "same text"
    a, b = canonical(gold), canonical(pred)
    if a is None or b is None:
        return None, "not an exact shape"
    ok, why = _compare(a, b, "." in gold or "." in pred)
    if ok is False and OPAQUE in repr(a) + repr(b):
        return _at_points(gold, pred)
    return ok, why


def _at_points(gold: str, pred: str) -> tuple[bool | None, str]:
    """Two answers with sums whose bounds have letters (``\\sum_{k=0}^{n-1} F_k F_{n-k-1}``),
    not written the same way: different when they differ with those letters set to integers
    (the sums then expanded), else undecided (equal at a few points proves nothing)."""
    letters: set[str] = set()
    for m in _SUM_BOUNDS.finditer(gold + " " + pred):
        letters |= set(re.findall(r"[A-Za-z]", m.group(2) + m.group(3))) - {m.group(1)}
    for value in SUM_POINTS if letters else ():
        env = {x: value + i for i, x in enumerate(sorted(letters))}
        a, b = value_at(gold, env), value_at(pred, env)
        if a is None or b is None:
            return None, "sums not read at a point"
        if OPAQUE in repr(a) + repr(b):
            return None, "sums not read at a point"
        if _compare(a, b, "." in gold or "." in pred)[0] is False:
            return False, f"different sums (at {', '.join(f'{x}={v}' for x, v in env.items())})"
    return None, "sums not told apart"


def _compare(a: tuple, b: tuple, decimals: bool) -> tuple[bool | None, str]:
    """exact_equal on two canonical values (``decimals``: either side was written with one)."""
    pair = _unnamed(a, b)
    if pair is None:
        return None, "different names"
    a, b = _bare_items(*pair)
    if a == b:
        return True, f"exact {a[0]}"
    if "reals" in (a[0], b[0]):
        ra, rb = as_reals(a), as_reals(b)
        if {a[0], b[0]} == {"reals", "num"}:
            return False, "a bound against a value"
        if ra is None or rb is None:
            return None, f"{a[0]} vs {b[0]}"
        if ra[0] and rb[0] and ra[0] != rb[0]:
            return None, "bounds on different variables"
        if rb[0] and not ra[0]:  # math-verify's grader, by default, reads these apart
            return None, "a bound against a set of reals"
        if ra[1] == rb[1]:
            return True, "the same set of reals"
        if decimals:
            return None, "different, but decimals may be rounded"
        return False, "different set of reals"
    la, lb = _letterish(a), _letterish(b)
    if la is not None and lb is not None:
        if la == lb:
            return True, "same letter"
        if la.lower() == lb.lower():
            return None, "letters differ only in case"
        return False, "different letter"
    kinds = {a[0], b[0]}
    if a[0] != b[0]:
        if kinds <= {"tuple", "interval"}:
            i = a if a[0] == "interval" else b
            t = b if i is a else a
            if i[1] != "()" and len(t[1]) == 2:
                return False, "tuple vs closed interval"
        if kinds == {"eq", "num"}:  # "a^2 + b = 0" (no name on the left) is not the value 0
            return False, "an equation against a value"

        return None, f"{a[0]} vs {b[0]}"
    if a[0] == "ratio":
        same = Fraction(*a[1]) == Fraction(*b[1])
        return (None, "ratio not in the same terms") if same else (False, "different ratio")
    if a[0] == "union":
        return None, "unions are equal as sets, not only piece by piece"
    if a[0] == "bracket list" and sorted(a[1], key=repr) == sorted(b[1], key=repr):
        return None, "the same items in another order (a list or a set?)"
    if decimals:
        if a[0] in ("num", "tuple", "interval", "matrix") and _far_apart(a, b):
            return False, f"different {a[0]} (beyond any rounding)"
        return None, "different, but decimals may be rounded"
    if a[0] in ("set", "tuple", "bracket list"):
        # A different item is a real difference only when every item is a plain value (not a
        # nested structure, which the slow path compares up to its own conventions).
        if any(x[0] not in ("num", "text", "letter") and not _numbers(x) for x in a[1] + b[1]):
            return None, "nested items"
    if a[0] == "text" and sorted(a[1]) == sorted(b[1]):
        return None, "the same letters in another order (a product?)"
    return False, f"different {a[0]}"
