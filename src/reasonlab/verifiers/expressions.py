"""The expression reader of :mod:`reasonlab.verifiers.exact`: one normalised LaTeX expression
into its canonical polynomial (:mod:`.polynomials`), or :class:`~.polynomials.Refused`.

Read: integers, decimals (exactly), ``\\frac``, ``/`` by a constant term, ``\\sqrt`` of a
rational, ``\\sqrt[n]`` of a perfect power, ``\\pi``, ``^`` by a small integer, ``n!``,
``\\binom``, implicit products (``2\\sqrt{3}``, ``(x+1)(x-1)``), one-letter variables,
subscripted names (``a_3``, ``F_{n-k-1}``: the subscript is read, so ``F_{n-1}`` is ``F_{-1+n}``),
sums ``\\sum_{k=a}^{b}`` of the term after them (expanded when ``a`` and ``b`` are integers, up
to ``MAX_SUM_TERMS`` terms in all; else one opaque name, the same for the same sum whatever
letter its index is), and ``\\infty`` alone as an end. Everything else (functions, ``e``,
``i``, division by a variable, ...) is refused. :func:`poly` is cached: gold answers are reused
across the samples of a prompt.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

from .polynomials import (
    MAX_FACTORIAL,
    Refused,
    poly_add,
    poly_const,
    poly_inverse,
    poly_mul,
    poly_pow,
    poly_rational,
    poly_root,
    poly_sqrt,
)

_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*|\.\d+)|(\\[A-Za-z]+|\\[{}])|([A-Za-z])|(\*\*|[-+*/^!(){}\[\]_=]))"
)
_MUL_CMDS = {"\\cdot", "\\times", "\\ast"}


def _tokens(s: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(s):
        m = _TOKEN.match(s, i)
        if not m:
            if s[i:].strip():
                raise Refused(f"character {s[i]!r}")
            break
        kind = "num" if m.group(1) else "cmd" if m.group(2) else "var" if m.group(3) else "op"
        out.append((kind, m.group(m.lastindex)))
        i = m.end()
    return out


MAX_SUM_TERMS = 50  # terms of the sums with constant bounds in one expression, nested ones too
MAX_NAME_CHARS = 400  # of a subscript's or an opaque sum's name
BOUND = "\u2022"  # the name a sum's own index is read under, so that the letter chosen is no matter
OPAQUE = "\u03a3"  # names of sums whose bounds are not numbers start with this


def _name(p: dict) -> str:
    """A subscript's value as text: ``3`` for a number, else its canonical form."""
    q = poly_rational(p)
    if q is not None and q.denominator == 1:
        return str(q.numerator)
    name = repr(tuple(sorted(p.items())))
    if len(name) > MAX_NAME_CHARS:  # a name inside a name escapes its quotes: "F_{F_{F_{..}}}"
        raise Refused("subscript too long")
    return name


class _Parser:
    """Recursive descent over the tokens; ``env`` gives some letters a value (an integer) or
    another name (a sum's index)."""

    def __init__(
        self,
        s: str,
        env: dict | None = None,
        tokens: list | None = None,
        budget: list | None = None,
    ) -> None:
        self.t = _tokens(s) if tokens is None else tokens
        self.i = 0
        self.env = env or {}
        self.budget = [MAX_SUM_TERMS] if budget is None else budget  # shared by nested sums

    def peek(self) -> tuple[str, str] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise Refused(f"expected {value}")
        self.i += 1
        return tok

    def parse(self) -> dict:
        out = self.expr()
        if self.peek() is not None:
            raise Refused("trailing tokens")
        return out

    def expr(self) -> dict:
        sign = 1
        while self.peek() in (("op", "+"), ("op", "-")):
            sign = -sign if self.take()[1] == "-" else sign
        out = self.term()
        if sign < 0:
            out = poly_add({}, out, -1)
        while self.peek() in (("op", "+"), ("op", "-")):
            s = 1 if self.take()[1] == "+" else -1
            out = poly_add(out, self.term(), s)
        return out

    def _starts_factor(self) -> bool:
        tok = self.peek()
        return tok is not None and (
            tok[0] in ("num", "var")
            or tok[1] in ("(", "{")
            or tok[1] in ("\\frac", "\\sqrt", "\\pi", "\\binom", "\\sum")
        )

    def term(self) -> dict:
        out = self.power()
        while True:
            tok = self.peek()
            if tok is None:
                return out
            if tok[1] in ("*", "/") or tok[1] in _MUL_CMDS or tok[1] == "\\div":
                self.take()
                rhs = self.power()
                out = poly_mul(out, poly_inverse(rhs) if tok[1] in ("/", "\\div") else rhs)
            elif self._starts_factor():
                if tok[0] == "num" and self.t[self.i - 1][0] in ("num", "var"):
                    raise Refused("a number after a number or a letter")  # "3 4", "x2"
                if tok[1] == "\\frac" and self.t[self.i - 1][0] == "num":
                    raise Refused("a mixed number or a product?")  # "2\\frac{1}{2}" is 2.5
                out = poly_mul(out, self.power())
            else:
                return out

    def power(self) -> dict:
        base = self.atom()
        while self.peek() in (("op", "^"), ("op", "**"), ("op", "!")):
            op = self.take()[1]
            if op == "!":
                n = poly_rational(base)
                if n is None or n.denominator != 1 or not 0 <= n <= MAX_FACTORIAL:
                    raise Refused("factorial")
                base = poly_const(math.factorial(int(n)))
            else:
                base = poly_pow(base, self.group_or_atom())
        return base

    def group_or_atom(self) -> dict:
        tok = self.peek()
        if tok == ("op", "{"):
            return self.atom()
        if tok is not None and tok[0] == "num":
            if len(tok[1]) > 1:  # 10^23: LaTeX reads 10^{2}3, its writer meant 10^{23}
                raise Refused("unbraced exponent of several digits")
            self.take()
            return poly_const(Fraction(tok[1]))
        if tok in (("op", "-"), ("op", "+")):
            self.take()
            value = self.group_or_atom()
            return poly_add({}, value, -1) if tok[1] == "-" else value
        return self.atom()

    def braced(self) -> dict:
        tok = self.peek()
        if tok == ("op", "{"):
            return self.atom()
        if tok is not None and tok[0] == "num":  # \frac12
            self.take()
            if len(tok[1]) > 1 and "." not in tok[1]:
                self.t[self.i - 1] = ("num", tok[1][0])  # a sum's body is read again
                self.t.insert(self.i, ("num", tok[1][1:]))
            return poly_const(Fraction(tok[1][0]))
        return self.atom()

    def sum(self) -> dict:
        """``\\sum_{k=a}^{b} term``: expanded when a and b are integers, else one opaque name
        (the same sum written the same way, up to its index's letter, is the same name)."""
        self.take("_")
        self.take("{")
        kind, index = self.take()
        if kind != "var":
            raise Refused("sum index")
        self.take("=")
        low = self.expr()
        self.take("}")
        self.take("^")
        high = self.group_or_atom()
        start = self.i
        body = _Parser("", {**self.env, index: BOUND}, self.t, self.budget)
        body.i = start
        opaque = body.term()
        self.i = body.i
        a, b = poly_rational(low), poly_rational(high)
        if a is None or b is None or a.denominator != 1 or b.denominator != 1:
            key = repr((_name(low), _name(high), _name(opaque)))
            if len(key) > MAX_NAME_CHARS:
                raise Refused("sum too long")
            return {(1, 0, ((OPAQUE + key, 1),)): Fraction(1)}
        self.budget[0] -= max(0, int(b - a + 1))
        if self.budget[0] < 0:
            raise Refused("sums too long")
        total: dict = {}
        for j in range(int(a), int(b) + 1):
            term = _Parser("", {**self.env, index: j}, self.t[: self.i], self.budget)
            term.i = start
            total = poly_add(total, term.term())
        return total

    def atom(self) -> dict:
        kind, value = self.take()
        if kind == "num":
            return poly_const(Fraction(value))
        if kind == "var":
            if self.peek() == ("op", "_"):  # "a_3", "F_{n-k-1}": a name of its own
                self.take()
                value = f"{value}_{_name(self.braced())}"
            elif value in self.env:
                bound = self.env[value]
                if isinstance(bound, int):
                    return poly_const(bound)
                value = bound
            elif value in "eEiI":
                raise Refused("a constant")  # e, i
            if self.peek() == ("op", "("):
                raise Refused("a function")  # f(x)
            return {(1, 0, ((value, 1),)): Fraction(1)}
        if value == "\\sum":
            return self.sum()
        if value in ("(", "{"):
            inner = self.expr()
            self.take(")" if value == "(" else "}")
            return inner
        if value == "\\frac":
            num = self.braced()
            return poly_mul(num, poly_inverse(self.braced()))
        if value == "\\binom":
            n, k = poly_rational(self.braced()), poly_rational(self.braced())
            if n is None or k is None or n.denominator != 1 or k.denominator != 1 or n > 1000:
                raise Refused("binomial")
            return poly_const(math.comb(int(n), int(k)) if n >= 0 and k >= 0 else 0)
        if value == "\\sqrt":
            if self.peek() == ("op", "["):
                self.take()
                n = poly_rational(self.expr())
                self.take("]")
                if n is None or n.denominator != 1:
                    raise Refused("root index")
                return poly_root(self.braced(), int(n)) if n != 2 else poly_sqrt(self.braced())
            return poly_sqrt(self.braced())
        if value == "\\pi":
            return {(1, 1, ()): Fraction(1)}
        raise Refused(f"token {value}")


@lru_cache(maxsize=8192)
def poly(s: str) -> tuple:
    """The canonical polynomial of one expression as a sorted tuple of items, or
    ``("inf", sign)`` for a lone infinity; raises Refused."""
    if "\\infty" in s:
        bare = s.replace(" ", "")
        if bare in ("\\infty", "+\\infty", "-\\infty"):
            return ("inf", -1 if bare[0] == "-" else 1)
        raise Refused("infinity inside an expression")
    return tuple(sorted(_Parser(s).parse().items()))


def poly_at(s: str, env: dict[str, int]) -> tuple:
    """:func:`poly` with some letters given integer values (not cached)."""
    if "\\infty" in s:
        return poly(s)
    return tuple(sorted(_Parser(s, env).parse().items()))
