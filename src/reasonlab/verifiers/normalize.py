"""Normalise a final answer and read plain numbers exactly (the fast path before sympy).

Rules (each one changes what earns reward, so each is written down):

- Unicode: ``−`` is a minus, full-width digits are digits, ``½`` is ``1/2`` (``2½`` is a mixed
  number), superscripts are powers (``x²`` is ``x^{2}``), ``√`` and ``π`` are ``\\sqrt``/``\\pi``.
- An escaped backslash before a command (``\\\\frac``, outside a matrix) is one backslash.
- LaTeX noise is dropped: ``$``, ``\\(``/``\\)``, ``\\left``/``\\right``, spacing commands,
  ``\\displaystyle``; ``\\dfrac``/``\\tfrac``/``\\cfrac`` are ``\\frac``; ``\\text{..}`` (and
  ``\\textnormal``, ``\\mathrm``, ...) keeps its words.
- Thousands separators are removed only when the whole answer is one number (``1,234``,
  ``1{,}234``, ``11,\\! 111`` or ``1 500``: groups of exactly three digits); inside a tuple a
  comma separates items.
- Units and trailing words after a number are split off and compared only when both sides give one
  (``5 cm`` vs ``5 m`` is wrong, ``5 cm`` vs ``5`` is right). Degrees are dropped.
- Percentages: ``x%`` equals ``x`` and also ``x/100`` (graders accept both ``25%`` and ``0.25``
  for gold ``25%``; a gold ``0.25`` accepts ``25%``).
- Numbers are read exactly as :class:`fractions.Fraction`: integers of any length (big integers
  compare exactly), decimals, ``a/b``, ``\\frac{a}{b}``, mixed numbers ``2 1/2`` / ``2\\frac12``,
  e-notation and ``a \\times 10^{k}``, repeating decimals ``0.\\overline{3}``, leading zeros, signs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

MAX_ANSWER_CHARS = 2000  # a longer "final answer" is a ramble, not an answer
MAX_DIGITS = 20_000  # exact integers up to this many digits; longer ones are refused
MAX_EXPONENT = 400  # |k| in 1e{k} / 10^{k} read exactly; beyond that goes to the guarded path

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPER_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_VULGAR = re.compile("[¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞]")
_CHAR_MAP = str.maketrans(
    {
        "−": "-",
        "–": "-",
        "—": "-",
        "×": "*",
        "·": "*",
        "÷": "/",
        "√": "\\sqrt",
        "π": "\\pi",
        "∞": "\\infty",
        "∪": "\\cup",
        "\u00a0": " ",
    }
)
_DROP = (
    "\\displaystyle",
    "\\left",
    "\\right",
    "\\!",
    "\\,",
    "\\;",
    "\\:",
    "\\quad",
    "\\qquad",
    "\\$",
    "$",
    "\\(",
    "\\)",
    "\\[",
    "\\]",
    "^{\\circ}",
    "^\\circ",
    "°",
    "\\circ",
)
_TEXT_CMD = re.compile(
    r"\\(?:text|textbf|textrm|textnormal|mathrm|mbox|operatorname)\s*\{([^{}]*)\}"
)
_DOUBLE_BACKSLASH = re.compile(r"\\\\(?=[A-Za-z])")
_LATEX_THOUSANDS = re.compile(r",\\!\s*(?=\d{3})")
_PERCENT = re.compile(r"\\%|%|\s*\bpercent\b", re.IGNORECASE)
_VAR_ASSIGN = re.compile(r"^[a-zA-Z]\s*=\s*(?![=<>])")
# A unit is two or more letters ("5cm", "5 apples"), or one letter after a space ("5 m"),
# so that "2x" and "0.5x" stay expressions.
_NUM_THEN_WORDS = re.compile(r"^(.*?[\d}.])(?:\s*([a-zA-Z]{2}[a-zA-Z ./^0-9]*)|\s+([a-zA-Z]))$")
_UNIT_SYNONYMS = {
    "centimeter": "cm",
    "centimetre": "cm",
    "meter": "m",
    "metre": "m",
    "kilometer": "km",
    "kilometre": "km",
    "millimeter": "mm",
    "gram": "g",
    "kilogram": "kg",
    "second": "s",
    "sec": "s",
    "minute": "min",
    "hour": "h",
    "hr": "h",
    "dollar": "$",
    "usd": "$",
    "cent": "cents",
    "inch": "in",
    "foot": "ft",
    "feet": "ft",
    "mile": "mi",
    "liter": "l",
    "litre": "l",
    "degree": "deg",
}


@dataclass(frozen=True)
class Normalized:
    """An answer after normalisation."""

    text: str  # the mathematical part, LaTeX cleaned up
    unit: str | None  # canonical unit or trailing word(s), if any
    percent: bool  # the answer carried a percent sign


def _vulgar(m: re.Match[str]) -> str:
    num, den = unicodedata.normalize("NFKC", m.group(0)).split("\u2044")
    return f" {num}/{den}"


def unit_key(words: str) -> str:
    """Canonical form of a unit or trailing word: lower case, singular, synonyms merged."""
    out = []
    for w in words.lower().replace(".", " ").split():
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(_UNIT_SYNONYMS.get(w, w))
    return " ".join(out)


def normalize(answer: str) -> Normalized:
    """Normalise a raw final answer (see the module docstring for every rule); answers up to
    ``MAX_ANSWER_CHARS`` long are cached (the samples of a prompt repeat them)."""
    if len(answer) <= MAX_ANSWER_CHARS:
        return _normalize_cached(answer)
    return _normalize(answer)


@lru_cache(maxsize=8192)
def _normalize_cached(answer: str) -> Normalized:
    return _normalize(answer)


def _normalize(answer: str) -> Normalized:
    s = answer.strip()
    if not s.isascii():
        s = _SUPER_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", s)
        s = _VULGAR.sub(_vulgar, s)
        s = s.translate(_CHAR_MAP)
        s = unicodedata.normalize("NFKC", s)
    if "\\\\" in s and "\\begin" not in s:  # "\\\\frac" (an escaped backslash) is \\frac
        s = _DOUBLE_BACKSLASH.sub(lambda _: "\\", s)
    for token in _DROP:
        if token in s:
            s = s.replace(token, " " if token.startswith("\\") and token[1:2].isalpha() else "")
    if ",\\!" in s:
        s = _LATEX_THOUSANDS.sub(",", s)  # "11,\\! 111" is 11111 (removed below as a separator)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = s.replace("{,}", ",")
    if "\\" in s:
        s = _TEXT_CMD.sub(lambda m: " " + m.group(1) + " ", s)
    percent = False
    if "%" in s or "ercent" in s:
        s, n = _PERCENT.subn("", s)
        percent = n > 0
    s = s.strip().rstrip(".").strip()
    if s.endswith("\\") and not s.endswith("\\\\"):
        s = s[:-1].strip()  # "185\\": a stray backslash at the end
    unit = None
    m = _NUM_THEN_WORDS.match(s)
    if m and parse_number(s) is None and parse_number(m.group(1)) is not None:
        s, unit = m.group(1).strip(), unit_key(m.group(2) or m.group(3))
        if unit in ("deg",):
            unit = None
    return Normalized(" ".join(s.split()), unit, percent)


_INT = re.compile(r"[+-]?\d+")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SPACE_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?")
_DECIMAL = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?")
_TIMES_TEN = re.compile(
    r"([+-]?(?:\d+\.?\d*|\.\d+))\s*(?:\*|\\times|\\cdot)\s*10\^\{?([+-]?\d+)\}?"
)
_SLASH = re.compile(r"([+-]?\d+)\s*/\s*([+-]?\d+)")
_FRAC = re.compile(r"([+-]?)\\frac\s*(?:\{\s*([+-]?\d+)\s*\}|(\d))\s*(?:\{\s*([+-]?\d+)\s*\}|(\d))")
_MIXED = re.compile(
    r"([+-]?)(\d+)\s*(?:\s(\d+)/(\d+)|\\frac\s*(?:\{(\d+)\}|(\d))\s*(?:\{(\d+)\}|(\d)))"
)
_REPEAT = re.compile(r"([+-]?)(\d*)\.(\d*)\\overline\{?(\d+)\}?")


def strip_assignment(text: str) -> str | None:
    """``"x = 5"`` -> ``"5"``; None if ``text`` is not a one-variable assignment."""
    rest = _VAR_ASSIGN.sub("", text, count=1)
    return rest.strip() if rest != text and "=" not in rest else None


def _int(digits: str) -> int | None:
    digits = digits.lstrip("+")
    body = digits.lstrip("-").lstrip("0") or "0"
    if len(body) > MAX_DIGITS:
        return None
    if len(body) <= 4000:
        value = int(body)
    else:  # Python refuses str->int above 4300 digits; convert in chunks, exactly.
        value = 0
        for i in range(0, len(body), 4000):
            chunk = body[i : i + 4000]
            value = value * 10 ** len(chunk) + int(chunk)
    return -value if digits.startswith("-") else value


def parse_number(s: str) -> Fraction | None:
    """Read a plain number exactly, or return None if ``s`` is not one (see module rules)."""
    s = s.strip()
    if len(s) > MAX_DIGITS + 10:
        return None
    if s.startswith("(") and s.endswith(")") and "," not in s:
        s = s[1:-1].strip()
    if _INT.fullmatch(s):
        v = _int(s)
        return None if v is None else Fraction(v)
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    elif _SPACE_THOUSANDS.fullmatch(s):  # "1 500" (SI style); "3 4 5" is not a number
        s = s.replace(" ", "")
    if "," in s or len(s) > 200:
        return None
    m = _DECIMAL.fullmatch(s)
    if m:
        if m.group(2) and abs(int(m.group(2))) > MAX_EXPONENT:
            return None
        return Fraction(s.replace("E", "e"))
    m = _TIMES_TEN.fullmatch(s)
    if m:
        if abs(int(m.group(2))) > MAX_EXPONENT:
            return None
        return Fraction(m.group(1)) * Fraction(10) ** int(m.group(2))
    m = _FRAC.fullmatch(s)
    if m:
        num, den = int(m.group(2) or m.group(3)), int(m.group(4) or m.group(5))
        if not den:
            return None
        return (-1 if m.group(1) == "-" else 1) * Fraction(num, den)
    m = _MIXED.fullmatch(s)
    if m:
        whole = int(m.group(2))
        num = int(m.group(3) or m.group(5) or m.group(6))
        den = int(m.group(4) or m.group(7) or m.group(8))
        if not den:
            return None
        return (-1 if m.group(1) == "-" else 1) * (whole + Fraction(num, den))
    m = _SLASH.fullmatch(s)
    if m:
        den = int(m.group(2))
        return Fraction(int(m.group(1)), den) if den else None
    m = _REPEAT.fullmatch(s)
    if m:
        sign, whole, fixed, rep = m.groups()
        base = Fraction(int(whole or "0")) + (
            Fraction(int(fixed), 10 ** len(fixed)) if fixed else 0
        )
        value = base + Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(fixed))
        return -value if sign == "-" else value
    return None
