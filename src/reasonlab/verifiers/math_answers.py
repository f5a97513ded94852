"""The math verifier ("math studio"): does the committed final answer equal the gold answer?

Pipeline: extract the final answer (:mod:`.extraction`), normalise both sides (:mod:`.normalize`),
compare plain numbers exactly in-process (the fast path, tens of thousands of checks a second),
then the common exact shapes (surds, ``\\pi``, polynomials, tuples, sets, intervals, equations,
bounds, matrices, words: :mod:`.exact`) in-process too, and only when neither can decide both
"equal" and "different" safely ask sympy, in a killable worker behind a hard time bound
(:mod:`.symbolic`); that worker also asks math-verify's LaTeX parser and grader when our own
parser refuses an answer or finds it different, so matrices, relations, ``\\pm``, unions and
text answers are compared too.

Numbers: exact, with one allowance: a decimal written with at least ``LONG_DECIMAL_DIGITS``
digits after the point equals a fraction it rounds or truncates (``0.0833333`` is ``1/12``;
``0.33`` is not ``1/3``).
"""

from __future__ import annotations

import re
import time
from fractions import Fraction
from functools import lru_cache

from ..tokenizer import END_THINK, THINK
from .exact import exact_equal
from .extraction import extract_answer_traced
from .normalize import MAX_ANSWER_CHARS, Normalized, normalize, parse_number, strip_assignment
from .result import VerifierResult
from .symbolic import symbolic_equal

_PLAIN_INT = re.compile(r"\s*(-?)0*([0-9]{1,30})\s*")
_HEDGE = re.compile(r"\bor\b|\beither\b", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d+")
_DECIMAL_PLACES = re.compile(r"[-+]?\d*\.(\d+)")
LONG_DECIMAL_DIGITS = 6


@lru_cache(maxsize=4096)
def _gold_answer(gold: str) -> tuple[str, str]:
    """The final answer inside a gold string (bare answer or full reference solution), read
    with the same rules as a completion (several boxes in a row are one list answer)."""
    if any(m in gold for m in ("####", "\\boxed", "\\fbox", "<answer>", END_THINK)):
        found = extract_answer_traced(gold, last_number_fallback=False)
        if found is not None:
            return found[1], f"gold {found[0]}"
    return gold.strip(), "gold as given"


def _latex_gold(gold: str, gold_text: str, gold_how: str) -> str:
    """The gold as math-verify's parser is given it: a bare gold as written (its parser finds the
    ``$...$`` answer itself); a gold answer we extracted from a solution (boxes, ``####``), in a
    box, so both readers agree on which answer the gold commits to."""
    if gold_how == "gold as given":
        return gold.strip()
    return "\\boxed{" + gold_text + "}"


@lru_cache(maxsize=4096)
def _normalized_gold(answer: str) -> tuple[Normalized, Fraction | None]:
    norm = normalize(answer)
    return norm, parse_number(norm.text)


def _long_decimal_match(text: str, value: Fraction, other: Fraction) -> bool:
    """``text`` (read as ``value``) is a long decimal that rounds or truncates ``other``."""
    m = _DECIMAL_PLACES.fullmatch(text.strip())
    if not m or len(m.group(1)) < LONG_DECIMAL_DIGITS:
        return False
    return abs(value - other) < Fraction(1, 10 ** len(m.group(1)))


def _percent_match(g: Fraction, g_pct: bool, p: Fraction, p_pct: bool) -> bool:
    if g == p:
        return True
    if g_pct != p_pct:
        # "x%" equals x and x/100: compare the percent side divided by 100 too.
        pct, other = (g, p) if g_pct else (p, g)
        return pct / 100 == other
    return False


def _result(reward: float, reason: str, extracted: str | None, **meta) -> VerifierResult:
    return VerifierResult(reward, reason, extracted, meta)


DEFAULT_TIMEOUT = 0.8  # seconds for the symbolic comparison: a whole call, kill included, < 1 s


def verify_math(
    completion: str,
    gold: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    last_number_fallback: bool = True,
) -> VerifierResult:
    """Reward 1.0 iff the completion's committed final answer equals the gold answer.

    Args:
        completion: model output, e.g. ``"<think>...</think> #### 936"``; never raises on it.
        gold: a bare answer (``"936"``, ``"\\frac{14}{3}"``) or a reference solution ending in
            ``#### 936`` or containing ``\\boxed{...}``; its final answer is extracted the same way.
        timeout: hard bound in seconds on the symbolic comparison (sympy, and math-verify's
            parser and grader, in one killable worker); the default keeps a whole call, the
            kill of an overrunning worker included, under a second. The first symbolic
            check in a process (and the first after a timeout) also waits for a fresh sympy
            worker to start; that wait is reported in ``meta["worker_startup_seconds"]`` and
            not counted against ``timeout``, so that a correct answer never loses its reward to
            a cold start.
        last_number_fallback: when the completion has no explicit answer marker, take a lone
            final number (the rules are in :mod:`.extraction`, rule 5); False: no marker, no
            answer.

    Returns:
        A :class:`VerifierResult`; ``meta`` holds the parse trace (``how``: which extraction rule
        fired, ``gold``: the gold answer used, ``path``: "fast" or "sympy", ``compare``: how the
        values were found equal or not, ``seconds``).
    """
    if not isinstance(gold, str) or not gold.strip():
        raise ValueError(f"gold must be a non-empty string, got {gold!r}")
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not isinstance(completion, str):
        return _result(0.0, f"completion is {type(completion).__name__}, not str", None)
    gold_text, gold_how = _gold_answer(gold)

    # Fast path: "... #### 936" against "936" without building anything. It applies only when
    # the slow path would read the same thing: "####" is the last marker, no <answer> tag, and
    # no unclosed <think>.
    marker = completion.rfind("####", max(0, len(completion) - 40))
    if marker >= 0:
        m = _PLAIN_INT.fullmatch(completion, marker + 4)
        g = _PLAIN_INT.fullmatch(gold_text) if m else None
        if (
            g
            and "nswer>" not in completion
            and "NSWER>" not in completion
            and (END_THINK in completion or THINK not in completion)
        ):
            same_sign = m.group(1) == g.group(1) or m.group(2) == "0"
            ok = same_sign and m.group(2) == g.group(2)
            return _result(
                float(ok), "correct" if ok else "wrong answer", m.group(0).strip(),
                how="####", gold=gold_text, path="fast", compare="integer",
            )  # fmt: skip

    t0 = time.perf_counter()
    found = extract_answer_traced(completion, last_number_fallback=last_number_fallback)
    if found is None:
        return _result(0.0, "no final answer found", None, gold=gold_text, gold_how=gold_how)
    how, pred = found
    meta = {"how": how, "gold": gold_text, "gold_how": gold_how}
    if len(pred) > MAX_ANSWER_CHARS:
        return _result(0.0, "final answer too long", pred[:80], **meta)
    if _HEDGE.search(pred) and len(_DIGIT_RUN.findall(pred)) >= 2:
        return _result(0.0, "hedged between several answers", pred, **meta)

    g_norm, g_num = _normalized_gold(gold_text)
    p_norm = normalize(pred)
    # "x = 3" commits to 3 when the other side is a bare value (not when both are equations).
    if "=" in g_norm.text and "=" not in p_norm.text:
        bare = strip_assignment(g_norm.text)
        if bare is not None:
            g_norm, g_num = _normalized_gold(bare)
    elif "=" in p_norm.text and "=" not in g_norm.text:
        bare = strip_assignment(p_norm.text)
        if bare is not None:
            p_norm = normalize(bare)
    meta["normalized"] = p_norm.text
    if g_norm.unit and p_norm.unit and g_norm.unit != p_norm.unit:
        return _result(0.0, f"units differ ({p_norm.unit} vs {g_norm.unit})", pred, **meta)
    p_num = parse_number(p_norm.text) if g_num is not None else None
    if g_num is not None and p_num is not None:
        ok = _percent_match(g_num, g_norm.percent, p_num, p_norm.percent)
        if not ok and not (g_norm.percent or p_norm.percent):
            ok = _long_decimal_match(p_norm.text, p_num, g_num) or _long_decimal_match(
                g_norm.text, g_num, p_num
            )
        return _result(
            float(ok), "correct" if ok else "wrong answer", pred,
            **meta, path="fast", compare="exact number",
        )  # fmt: skip
    if not (g_norm.percent or p_norm.percent):
        ok, why = exact_equal(g_norm.text, p_norm.text)
        if ok is not None:
            return _result(
                float(ok), "correct" if ok else "wrong answer", pred,
                **meta, path="fast", compare=why,
            )  # fmt: skip
    latex = (_latex_gold(gold, gold_text, gold_how), pred)
    ok, why, startup = symbolic_equal(g_norm.text, p_norm.text, timeout, latex=latex)
    meta.update(path="sympy", compare=why, seconds=round(time.perf_counter() - t0, 4))
    if startup > 0.05:
        meta["worker_startup_seconds"] = round(startup, 4)
    if ok is None:
        reason = why if why.startswith("timeout") else f"could not compare ({why})"
        return _result(0.0, reason, pred, **meta)
    return _result(float(ok), "correct" if ok else "wrong answer", pred, **meta)
