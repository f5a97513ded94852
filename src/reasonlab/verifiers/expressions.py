"""The expression reader of :mod:`reasonlab.verifiers.exact`: one normalised LaTeX expression
into its canonical polynomial (:mod:`.polynomials`), or :class:`~.polynomials.Refused`.

Read: integers, decimals (exactly), ``\\frac``, ``/`` by a constant term, ``\\sqrt`` of a
rational, ``\\sqrt[n]`` of a perfect power, ``\\pi``, ``^`` by a small integer, ``n!``,
``\\binom``, implicit products (``2\\sqrt{3}``, ``(x+1)(x-1)``), one-letter variables, and
``\\infty`` alone as an end. Everything else (functions, ``e``, ``i``, division by a variable,
...) is refused. :func:`poly` is cached: gold answers are reused across the samples of a prompt.
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
    r"\s*(?:(\d+\.?\d*|\.\d+)|(\\[A-Za-z]+|\\[{}])|([A-Za-z])|(\*\*|[-+*/^!(){}\[\]]))"
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


class _Parser:
    def __init__(self, s: str) -> None:
        self.t = _tokens(s)
        self.i = 0
        self.decimal = "." in s

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
            or tok[1] in ("\\frac", "\\sqrt", "\\pi", "\\binom")
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
                self.t.insert(self.i, ("num", tok[1][1:]))
            return poly_const(Fraction(tok[1][0]))
        return self.atom()

    def atom(self) -> dict:
        kind, value = self.take()
        if kind == "num":
            return poly_const(Fraction(value))
        if kind == "var":
            if value in "eEiI" or self.peek() == ("op", "("):
                raise Refused("a constant or a function")  # e, i, f(x)
            return {(1, 0, ((value, 1),)): Fraction(1)}
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
