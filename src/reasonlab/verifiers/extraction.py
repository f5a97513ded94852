"""Find the final answer a completion commits to, the way real graders do.

Rules, in order (each documented because a grader's rules *are* its reward function):

1. Only text after the last ``</think>`` counts: reasoning is scratch work, so a number that
   appears only inside it is not an answer. A ``<think>`` that is never closed means the model
   never committed to anything, so there is no answer.
2. If the answer region holds ``<answer>...</answer>``, the last such tag is the answer (a
   ``\\boxed{}`` or ``####`` inside it is unwrapped).
3. Otherwise the last explicit marker wins, by position: ``\\boxed{...}`` / ``\\fbox{...}`` (nested
   braces matched; a box that is empty or never closed, as when generation was cut off, means
   no answer), a GSM8K ``#### ...`` line, or "the (final) answer is ..." / "Answer: ..." (cut at
   the end of the sentence or at ", since ..."; prose such as "the answer is correct" does not
   count: it needs a digit, LaTeX, or at most three characters, like "B").
4. Otherwise, if ``last_number_fallback`` is on, the last number in the last
   ``FALLBACK_WINDOW`` characters of the answer region, except when its last sentence is a
   question (it restates the problem), hedges ("4 or 5", "either ..."), ends in a list of numbers
   separated only by commas or "and" (a list is not a commitment), or the number is followed by
   an operator ("12 +").

Everything here is a linear scan (no regex with nested quantifiers), so a megabyte-long
completion costs milliseconds, not minutes.
"""

from __future__ import annotations

import re

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
FALLBACK_WINDOW = 2000  # characters at the end of the answer region the fallback looks at
_BOX_COMMANDS = ("\\boxed", "\\fbox")
_HASHES = re.compile(r"####[ \t]*([^\n]*)")
_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*([^\n]*)", re.IGNORECASE
)
# A number as a model writes it: sign, thousands separators, decimals, a/b, e-notation.
_NUMBER = re.compile(
    r"[-−]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|[-−]?\.[0-9]+"
)
_LIST_GAP = re.compile(r"[\s,;]*(?:and\s*)?")
_HEDGE_SENTENCE = re.compile(r"[0-9]\s*,?\s*(?:or|either)\b|\beither\b.*[0-9]", re.IGNORECASE)
_MATHY = re.compile(r"[0-9\\$]")
_CLAUSE_END = re.compile(r",\s+(?:since|because|as|so|which|and|but)\b|\s+(?:since|because)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|\n")


def answer_region(completion: str) -> str | None:
    """The part of a completion where the committed answer lives (see rule 1), or None."""
    close = completion.rfind(THINK_CLOSE)
    if close >= 0:
        return completion[close + len(THINK_CLOSE) :]
    if THINK_OPEN in completion:
        return None
    return completion


def last_boxed(text: str) -> tuple[int, str] | None:
    """Position and content of the last ``\\boxed{...}`` / ``\\fbox{...}``, braces matched."""
    best = -1
    for cmd in _BOX_COMMANDS:
        best = max(best, text.rfind(cmd))
    if best < 0:
        return None
    start = best + (6 if text.startswith("\\boxed", best) else 5)
    rest = text[start:]
    stripped = rest.lstrip()
    if not stripped.startswith("{"):
        # "\boxed 5": the argument is the next token.
        token = stripped.split(maxsplit=1)[0] if stripped.split() else ""
        token = token.rstrip(".,;$")
        return (best, token) if token else None
    open_at = start + (len(rest) - len(stripped))
    depth = 0
    for i in range(open_at, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return best, text[open_at + 1 : i]
    return best, ""  # unbalanced: the model ran out of tokens inside the box


def _strip_sentence_end(s: str) -> str:
    s = s.strip()
    cut = _CLAUSE_END.search(s)  # "8, since 2^3 = 8" -> "8"
    if cut:
        s = s[: cut.start()]
    # "The answer is 3.5. Next we..." -> "3.5"
    cut = re.search(r"\.\s+\S", s)
    if cut:
        s = s[: cut.start()]
    return s.strip().rstrip(".").strip()


def _explicit(region: str) -> tuple[str, str] | None:
    """The last explicit answer marker in ``region``: (how, answer) or None."""
    close = region.lower().rfind("</answer>")
    open_ = region.lower().rfind("<answer>", 0, close) if close >= 0 else -1
    if open_ >= 0:
        inner = region[open_ + len("<answer>") : close]
        found = _explicit(inner) if ("\\boxed" in inner or "####" in inner) else None
        return ("answer tag", found[1] if found else inner.strip())
    candidates: list[tuple[int, str, str]] = []
    if "\\boxed" in region or "\\fbox" in region:
        boxed = last_boxed(region)
        if boxed is not None:
            candidates.append((boxed[0], "boxed", boxed[1].strip()))
            if not boxed[1].strip():
                return "boxed", ""  # an empty or unclosed box: no committed answer
    if "####" in region:
        match = None
        for match in _HASHES.finditer(region):  # noqa: B007 - keep the last match
            pass
        if match is not None:
            candidates.append((match.start(), "####", match.group(1).strip()))
    if "nswer" in region or "NSWER" in region:
        match = None
        for match in _ANSWER_IS.finditer(region):  # noqa: B007 - keep the last match
            pass
        if match is not None:
            inner = match.group(1)
            boxed = last_boxed(inner) if "\\boxed" in inner else None
            answer = boxed[1] if boxed else _strip_sentence_end(inner)
            # "the answer is ignored" is prose; an answer has a digit, LaTeX, or is a short label.
            if answer and (_MATHY.search(answer) or len(answer) <= 3):
                candidates.append((match.start(), "answer is", answer))
    if not candidates:
        return None
    _, how, answer = max(candidates)
    return how, answer


def _last_number(region: str) -> tuple[str, str] | None:
    """Rule 4: the last number, unless the last sentence shows it is not a commitment."""
    text = region.strip()[-FALLBACK_WINDOW:]  # only the end can hold the final sentence
    if not text:
        return None
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    last = sentences[-1].strip() if sentences else text
    numbers = list(_NUMBER.finditer(last))
    if not numbers:
        return None
    if last.endswith("?"):
        return None  # restates the question
    if _HEDGE_SENTENCE.search(last):
        return None  # "either 4 or 5" commits to neither
    if len(numbers) >= 3 and all(
        _LIST_GAP.fullmatch(last[a.end() : b.start()])
        for a, b in zip(numbers[-3:-1], numbers[-2:], strict=True)
    ):
        return None  # "1, 2, 3, ..., 12": a list of numbers is not an answer
    end = numbers[-1].end()
    if re.match(r"\s*[-+*/×^=]", last[end:]):
        return None  # "12 + 5" with no result
    return "last number", numbers[-1].group(0)


def extract_answer(completion: str, *, last_number_fallback: bool = True) -> str | None:
    """The final answer a completion commits to, as a string, or None.

    Args:
        completion: model output (or a reference solution ending in ``#### 936`` / ``\\boxed{}``).
        last_number_fallback: use the last number when there is no explicit marker (rule 4).

    Returns:
        The raw answer text (not normalised), or None when the completion commits to nothing.
    """
    found = extract_answer_traced(completion, last_number_fallback=last_number_fallback)
    return found[1] if found else None


def extract_answer_traced(
    completion: str, *, last_number_fallback: bool = True
) -> tuple[str, str] | None:
    """Like :func:`extract_answer` but also says which rule fired: (how, answer) or None."""
    if not isinstance(completion, str):
        return None
    region = answer_region(completion)
    if region is None:
        return None
    found = _explicit(region)
    if found is not None:
        return found if found[1] else None
    if last_number_fallback:
        return _last_number(region)
    return None
