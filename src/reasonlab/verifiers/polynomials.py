"""The canonical values of :mod:`reasonlab.verifiers.exact`: polynomials in variables (letters,
subscripted names such as ``a_3``, and the opaque names of :mod:`.expressions`' sums) whose
coefficients are sums of ``q * sqrt(n) * pi^k``, with exact arithmetic on them.

A monomial is ``(radicand, pi power, ((variable, power), ...))``; a polynomial is a dict from
monomials to nonzero Fractions, frozen as a sorted tuple of items when it is a value. Every
operation keeps the form canonical (square-free radicands, no zero coefficients), so two values
are equal iff they are the same dict; anything that would leave the form, or grow past the size
limits below, raises :class:`Refused`.
"""

from __future__ import annotations

import math
from fractions import Fraction

MAX_TERMS = 64  # terms in a canonical polynomial
MAX_DEGREE = 16  # of a variable, and of pi
MAX_BITS = 8_000  # of any integer built here
MAX_ITEMS = 40
MAX_CHARS = 600
MAX_FACTORIAL = 200
MAX_SQUAREFREE = 10**8  # radicands are factored by trial division (10**4 steps at most)


class Refused(Exception):  # noqa: N818 - internal control flow, never escapes the verifiers
    """Not a shape :mod:`reasonlab.verifiers.exact` reads exactly."""


ONE = (1, 0, ())  #: the monomial 1


def squarefree(n: int) -> tuple[int, int]:
    """n = k^2 * s with s square-free: (k, s)."""
    if n > MAX_SQUAREFREE:
        raise Refused("radicand too large")
    k, s, p = 1, 1, 2
    while p * p <= n:
        while n % (p * p) == 0:
            n //= p * p
            k *= p
        if n % p == 0:
            n //= p
            s *= p
        p += 1 if p == 2 else 2
    return k, s * n


def checked(poly: dict) -> dict:
    if len(poly) > MAX_TERMS:
        raise Refused("too many terms")
    for c in poly.values():
        if c.numerator.bit_length() > MAX_BITS or c.denominator.bit_length() > MAX_BITS:
            raise Refused("number too large")
    return poly


def poly_add(a: dict, b: dict, sign: int = 1) -> dict:
    out = dict(a)
    for m, c in b.items():
        v = out.get(m, 0) + sign * c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return checked(out)


def poly_mono_mul(x: tuple, y: tuple) -> tuple[Fraction, tuple]:
    g = math.gcd(x[0], y[0])
    rad = x[0] // g * (y[0] // g)  # sqrt(a) sqrt(b) = g sqrt(ab / g^2), a and b square-free
    pi = x[1] + y[1]
    powers = dict(x[2])
    for v, k in y[2]:
        powers[v] = powers.get(v, 0) + k
    if abs(pi) > MAX_DEGREE or any(k > MAX_DEGREE for k in powers.values()):
        raise Refused("degree too large")
    return Fraction(g), (rad, pi, tuple(sorted(powers.items())))


def poly_mul(a: dict, b: dict) -> dict:
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            g, m = poly_mono_mul(ma, mb)
            v = out.get(m, 0) + ca * cb * g
            if v:
                out[m] = v
            else:
                out.pop(m, None)
        checked(out)
    return out


def poly_const(q: Fraction | int) -> dict:
    return {ONE: Fraction(q)} if q else {}


def poly_inverse(a: dict) -> dict:
    """1/a for a single constant term q sqrt(n) pi^k (= sqrt(n) / (q n pi^k)); else refused."""
    if len(a) != 1:
        raise Refused("division by a sum")
    ((m, c),) = a.items()
    if m[2]:
        raise Refused("division by a variable")
    return {(m[0], -m[1], ()): 1 / (c * m[0])}


def poly_rational(a: dict) -> Fraction | None:
    if not a:
        return Fraction(0)
    if len(a) == 1 and ONE in a:
        return a[ONE]
    return None


def poly_sqrt(a: dict) -> dict:
    q = poly_rational(a)
    if q is None or q < 0:
        raise Refused("square root of a non-rational or a negative")
    k, s = squarefree(q.numerator * q.denominator)
    return {(s, 0, ()): Fraction(k, q.denominator)} if q else {}


def poly_root(a: dict, n: int) -> dict:
    q = poly_rational(a)
    if q is None or q < 0 or not 2 <= n <= 10:
        raise Refused("root")
    out = []
    for part in (q.numerator, q.denominator):
        r = round(part ** (1 / n)) if part.bit_length() < 1000 else -1
        hit = [c for c in (r - 1, r, r + 1) if c >= 0 and c**n == part]
        if not hit:
            raise Refused("not a perfect power")
        out.append(hit[0])
    return poly_const(Fraction(out[0], out[1]))


def poly_pow(a: dict, e: dict) -> dict:
    k = poly_rational(e)
    if k is None or k.denominator != 1 or abs(k) > 10_000:
        raise Refused("exponent")
    k = int(k)
    base = a
    if k < 0:
        base, k = poly_inverse(a), -k
    q = poly_rational(base)
    if q is not None:
        if max(q.numerator.bit_length(), q.denominator.bit_length()) * k > MAX_BITS:
            raise Refused("power too large")
        return poly_const(q**k)
    if k > MAX_DEGREE:
        raise Refused("power too large")
    out = poly_const(1)
    for _ in range(k):
        out = poly_mul(out, base)
    return out
