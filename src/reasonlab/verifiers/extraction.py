"""Find the final answer a completion commits to, the way real graders do.

Rules, in order (each documented because a grader's rules *are* its reward function):

1. Only text after the last ``</think>`` counts: reasoning is scratch work, so a number that
   appears only inside it is not an answer. A ``<think>`` that is never closed means the model
   never committed to anything, so there is no answer.
2. If the answer region holds ``<answer>...</answer>``, the last such tag is the answer (a
   ``\\boxed{}``, ``####`` or "the answer is" inside it is unwrapped).
3. Otherwise the last explicit marker wins, by position: ``\\boxed{...}`` / ``\\fbox{...}`` (nested
   braces matched; a box that is empty or never closed, as when generation was cut off, means
   no answer), a GSM8K ``#### ...`` line, or "the (final) answer is ..." / "Answer: ..." (cut at
   the end of the sentence or at ", since ..."; prose such as "the answer is correct" does not
   count: it needs a digit, LaTeX, or at most three characters, like "B").

   - Several boxes in a row, separated only by commas, "and", spacing or ``$`` (``\\boxed{1},
     \\boxed{2}``), are one answer: the list ``1, 2``. Boxes separated by "or" are a hedge.
   - The Minerva / lm-eval sign-off ``Final Answer: The final answer is X. I hope it is
     correct.`` gives ``X``. When the sentence after the marker is prose ("The largest $n$ is
     34"), the answer is what follows its last " is ", or else its only number.
4. Otherwise, when the whole answer region is one short mathematical expression (no prose word
   outside LaTeX, and written with LaTeX, ``$``, ``^`` or a single number: ``\\frac{10}{9}``,
   ``$\\frac13$``, ``x^2+2x+1``), that expression is the answer; so is a short plain answer
   that :mod:`.exact` reads as a structure, an expression in a variable or one word
   (``(2, 4)``, ``x+1``, ``odd``), but not a sum of numbers (``6+7`` restates a question).
5. Otherwise, if ``last_number_fallback`` is on, one number from the last sentence
   (``FALLBACK_WINDOW`` characters at most; sign-offs such as "I hope it is correct" and chat
   tokens such as ``<|im_start|>`` are skipped), and only when

   - the sentence ends in that number (a unit word or two, ``%`` or ``.`` may follow, and it may
     follow "=", "is" or any word, but not an operator: ``12 + 5`` has no result), or the
     sentence holds exactly one number, or it ends in "is $...$" (then that expression);
   - the number stands alone: never digits inside a word (``AZYUK2A``) or glued to symbols;
   - the sentence is not a question (it restates the problem), does not hedge ("4 or 5",
     "either ..."), negate ("not", "n't", "never", "instead", "wrong"), suppose ("if",
     "suppose", "assume"), bound ("at least", "more than", "between", ...), count on from
     something ("7 more steps") or look ahead ("before", "until") and does not end
     in a list of numbers ("1, 2, 3, 4": a list is not a commitment).

   "It is 5 not 4" therefore has no answer (an older rule read 4).

Everything here is a linear scan (no regex with nested quantifiers), so a megabyte-long
completion costs milliseconds, not minutes.
"""

from __future__ import annotations

import re

from ..tokenizer import END_THINK as THINK_CLOSE
from ..tokenizer import THINK as THINK_OPEN
from .exact import canonical
from .normalize import normalize

FALLBACK_WINDOW = 2000  # characters at the end of the answer region the fallback looks at
WHOLE_ANSWER_CHARS = 200  # rule 4: a longer region is a solution, not a bare answer
BARE_ANSWER_CHARS = 60  # rule 4 without LaTeX: "(2, 4)", "x + 1", "odd"
_BOX_COMMANDS = ("\\boxed", "\\fbox")
_HASHES = re.compile(r"####[ \t]*([^\n]*)")
_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*:?\s*([^\n]*)", re.IGNORECASE
)
# "Final Answer: The final answer is X": the marker repeated inside the answer.
_ANSWER_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is|:|=)\s*:?\s*", re.I)
_SIGN_OFF = re.compile(r"\s*I hope (?:it|this) is correct\.?.*$", re.IGNORECASE | re.DOTALL)
# A number as a model writes it: sign, thousands separators, decimals, a/b, e-notation.
_NUMBER = re.compile(
    r"[-−]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|[-−]?\.[0-9]+"
)
_LIST_GAP = re.compile(r"[\s,;]*(?:and\s*)?")
_HEDGE_SENTENCE = re.compile(r"[0-9]\s*,?\s*(?:or|either)\b|\beither\b.*[0-9]", re.IGNORECASE)
_NOT_COMMITTED = re.compile(
    r"\b(?:not|never|no longer|instead|rather|except|wrong|incorrect|mistake|if|suppose|"
    r"assume|assuming|were|at least|at most|more than|less than|fewer than|greater than|"
    r"up to|between|cannot|more|before|until)\b|n't\b",
    re.IGNORECASE,
)
_MATHY = re.compile(r"[0-9\\$]")
# "The answer is not 7", "... is never 3": a marker followed by a negation names no answer.
_NEGATED = re.compile(r"\s*(?:not|never|no longer|hardly)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r",\s+(?:since|because|as|so|which|and|but)\b|\s+(?:since|because)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|\n")
_CHAT_TOKEN = re.compile(r"<\|[a-z_]+\|>\s*[a-z]*", re.IGNORECASE)
_UNIT_TAIL = re.compile(r"(?:\s*%|\s+[A-Za-z]+(?:\s+[A-Za-z]+)?)?[\s.!*$]*")
# Between two boxes that form one answer: separators, "and", a label ("y_2 ="), an annotation in
# \text{...} or one word (a unit: "\boxed{1} papers and \boxed{2} bins"), nothing else (rule 3).
_BOX_GAP_NOISE = re.compile(
    r"\\text\{[^{}]*\}|\\(?:quad|qquad|[,;:! ]|\(|\)|\[|\])|\$|[A-Za-z](?:_\{?\w+\}?)?\s*=|[\s,;&.]"
)
_BOX_GAP_STOP = re.compile(
    r"\b(?:or|no|not|but|thus|so|then|wrong|incorrect|instead|either|neither|nor)\b", re.I
)
_WORD = re.compile(r"[A-Za-z]{2,}")
_IS_MATH_SPAN = re.compile(r"(?:\bis|\bare|=)\s*\$([^$]{1,100})\$\s*[.!]?\s*$")
_LATEX_CMD = re.compile(r"\\[A-Za-z]+")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{[a-zA-Z*]+\}")
_TEXT_ARG = re.compile(r"\\(?:text|textbf|textrm|textnormal|mathrm|mbox|operatorname)\s*\{[^{}]*\}")


def answer_region(completion: str) -> str | None:
    """The part of a completion where the committed answer lives (see rule 1), or None."""
    close = completion.rfind(THINK_CLOSE)
    if close >= 0:
        return completion[close + len(THINK_CLOSE) :]
    if THINK_OPEN in completion:
        return None
    return completion


def _box_at(text: str, best: int) -> tuple[int, str] | None:
    """(end, content) of the box command starting at ``best``; content "" if never closed."""
    start = best + (6 if text.startswith("\\boxed", best) else 5)
    rest = text[start:]
    stripped = rest.lstrip()
    if not stripped.startswith("{"):
        # "\boxed 5": the argument is the next token.
        token = stripped.split(maxsplit=1)[0] if stripped.split() else ""
        token = token.rstrip(".,;$")
        return (start + len(rest) - len(stripped) + len(token), token) if token else None
    open_at = start + (len(rest) - len(stripped))
    depth = 0
    for i in range(open_at, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1, text[open_at + 1 : i]
    return len(text), ""  # unbalanced: the model ran out of tokens inside the box


def last_boxed(text: str) -> tuple[int, str] | None:
    """Position and content of the last ``\\boxed{...}`` / ``\\fbox{...}``, braces matched."""
    best = -1
    for cmd in _BOX_COMMANDS:
        best = max(best, text.rfind(cmd))
    if best < 0:
        return None
    found = _box_at(text, best)
    return None if found is None else (best, found[1])


def all_boxed(text: str) -> list[tuple[int, int, str]]:
    """Every box in ``text`` in order: (start, end, content)."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while len(out) < 50:
        starts = [j for j in (text.find("\\boxed", i), text.find("\\fbox", i)) if j >= 0]
        if not starts:
            break
        start = min(starts)
        found = _box_at(text, start)
        if found is None:
            i = start + 5
            continue
        out.append((start, found[0], found[1]))
        i = max(found[0], start + 5)
    return out


def _boxed_answer(region: str) -> tuple[int, str, str] | None:
    """(position, how, answer) of the last box, joined with the boxes right before it."""
    boxes = all_boxed(region)
    if not boxes:
        return None
    start, _end, content = boxes[-1]
    if not content.strip():
        return start, "boxed", ""
    items = [content.strip()]
    for prev, nxt in zip(boxes[-2::-1], boxes[:0:-1], strict=False):
        gap = region[prev[1] : nxt[0]]
        if len(gap) > 60:
            break
        words = [w for w in re.findall(r"[A-Za-z]+", _BOX_GAP_NOISE.sub(" ", gap)) if w != "and"]
        if re.fullmatch(r"[\s,$\\()\[\]]*(?:\\text\{\s*)?or\s*\}?[\s,$\\()\[\]]*", gap, re.I):
            return prev[0], "boxes", f"{prev[2].strip()} or {items[-1]}"  # a hedge
        if _BOX_GAP_STOP.search(gap) or len(words) > 1 or not prev[2].strip():
            break
        items.append(prev[2].strip())
        start = prev[0]
    if len(items) == 1:
        return start, "boxed", items[0]
    return start, "boxes", ", ".join(reversed(items))


def _strip_sentence_end(s: str) -> str:
    s = _SIGN_OFF.sub("", s.strip())
    cut = _CLAUSE_END.search(s)  # "8, since 2^3 = 8" -> "8"
    if cut:
        s = s[: cut.start()]
    # "The answer is 3.5. Next we..." -> "3.5"
    cut = re.search(r"\.\s+\S", s)
    if cut:
        s = s[: cut.start()]
    return s.strip().rstrip(".").strip()


def _prose_answer(answer: str) -> str:
    """ "The largest $n$ is 34" -> "34"; an answer that is already maths is returned as is."""
    if not _WORD.search(_TEXT_ARG.sub("", _LATEX_CMD.sub("", _math_spans_removed(answer)))):
        return answer
    k = answer.rfind(" is ")
    if k >= 0:
        tail = answer[k + 4 :].strip()
        if tail and not _WORD.search(_LATEX_CMD.sub("", _math_spans_removed(tail))):
            return tail
    numbers = [m for m in _NUMBER.finditer(answer) if _stands_alone(answer, m)]
    if len(numbers) == 1 and len(list(_NUMBER.finditer(answer))) == 1:
        return numbers[0].group(0)
    return answer


def _math_spans_removed(text: str) -> str:
    """``text`` without its ``$...$`` spans (the words left are prose)."""
    parts = text.split("$")
    return " ".join(parts[0::2])


def _explicit(region: str) -> tuple[str, str] | None:
    """The last explicit answer marker in ``region``: (how, answer) or None."""
    close = region.lower().rfind("</answer>")
    open_ = region.lower().rfind("<answer>", 0, close) if close >= 0 else -1
    if open_ >= 0:
        inner = region[open_ + len("<answer>") : close]
        markers = ("\\boxed", "####", "nswer")  # "<answer>The answer is 4</answer>" is 4
        found = _explicit(inner) if any(m in inner for m in markers) else None
        return ("answer tag", found[1] if found else inner.strip())
    candidates: list[tuple[int, str, str]] = []
    if "\\boxed" in region or "\\fbox" in region:
        boxed = _boxed_answer(region)
        if boxed is not None:
            if not boxed[2]:
                return "boxed", ""  # an empty or unclosed box: no committed answer
            candidates.append(boxed)
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
            inner = _ANSWER_PREFIX.sub("", match.group(1), count=1)
            if _NEGATED.match(inner):
                inner = ""  # "the answer is not 7" rules 7 out; it commits to nothing
            boxed = last_boxed(inner) if "\\boxed" in inner else None
            answer = boxed[1] if boxed else _prose_answer(_strip_sentence_end(inner))
            # "the answer is ignored" is prose; an answer has a digit, LaTeX, or is a short label.
            if answer and (_MATHY.search(answer) or len(answer) <= 3):
                candidates.append((match.start(), "answer is", answer))
    if not candidates:
        return None
    _, how, answer = max(candidates)
    return how, answer


def _whole_answer(region: str) -> tuple[str, str] | None:
    """Rule 4: the region is one short expression (``\\frac{10}{9}``, ``$x^2+1$``)."""
    text = region.strip()
    if not text or len(text) > WHOLE_ANSWER_CHARS or "\n\n" in text:
        return None
    inner = text
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if inner.startswith(left) and inner.endswith(right) and len(inner) > len(left + right):
            body = inner[len(left) : -len(right)]
            if "$" not in body:
                return "whole answer", body.strip()
    if not any(c in text for c in "\\$^{_") and not _NUMBER.fullmatch(text):
        return _bare_structure(text)  # "(2, 4)", "x+1", "odd"; "6+7" is left to the fallback
    bare = _LATEX_CMD.sub("", _TEXT_ARG.sub("", _ENVIRONMENT.sub("", text)))
    if "?" in text or _WORD.search(bare):
        return None  # prose around the maths
    return "whole answer", text.rstrip(".").strip()


def _bare_structure(text: str) -> tuple[str, str] | None:
    """Rule 4, plain text: a short answer the exact reader reads as a tuple, interval, set,
    matrix, equation, bound, an expression in a variable or one word (not a sum of numbers such
    as ``6+7``, which restates a question, and not a phrase such as "nothing here")."""
    if len(text) > BARE_ANSWER_CHARS or "\n" in text or "?" in text or text.endswith("."):
        return None
    value = canonical(normalize(text).text)
    if value is None or (value[0] == "text" and len(value[1].split()) > 1):
        return None
    if value[0] == "num" and not any(powers for (_, _, powers), _ in value[1]):
        return None  # a constant: a lone number is rule 4 already, "6+7" is not an answer
    if value[0] == "set" and not text.startswith(("{", "\\{")):
        return None  # "1, 2, 3, 4": a bare list is not a commitment (rule 5 says so too)
    return "whole answer", text


def _stands_alone(text: str, m: re.Match[str]) -> bool:
    """The number is not part of a word or of a LaTeX/operator expression."""
    before = text[m.start() - 1] if m.start() > 0 else " "
    after = text[m.end()] if m.end() < len(text) else " "
    if before.isalnum() or before in "_^{\\.+*/×÷(" or after.isalnum() and not after.isascii():
        return False
    if after.isalpha() or after in "_^}(\\":
        return False
    return True


def _last_number(region: str) -> tuple[str, str] | None:
    """Rule 5: one number from the last sentence, only when it is a commitment."""
    text = _CHAT_TOKEN.sub(" ", region.strip()[-FALLBACK_WINDOW:]).strip()
    if not text:
        return None
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    while sentences and _SIGN_OFF.fullmatch(" " + sentences[-1].strip()):
        sentences.pop()  # "I hope it is correct." is not the answer sentence
    last = sentences[-1].strip() if sentences else text
    numbers = list(_NUMBER.finditer(last))
    if not numbers:
        return None
    if last.endswith("?"):
        return None  # restates the question
    if _HEDGE_SENTENCE.search(last):
        return None  # "either 4 or 5" commits to neither
    if _NOT_COMMITTED.search(last):
        return None  # "It is 5 not 4", "if x were 3", "at least 4"
    if len(numbers) >= 3 and all(
        _LIST_GAP.fullmatch(last[a.end() : b.start()])
        for a, b in zip(numbers[-3:-1], numbers[-2:], strict=True)
    ):
        return None  # "1, 2, 3, ..., 12": a list of numbers is not an answer
    span = _IS_MATH_SPAN.search(last)
    if span:
        return "last number", span.group(1).strip()  # "... the pair is $(7, 6)$."
    final = numbers[-1]
    if not _stands_alone(last, final):
        return None  # "AZYUK2A", "\frac{1+\sqrt{5}}{2}"
    ends_in_it = _UNIT_TAIL.fullmatch(last, final.end()) is not None
    before = last[: final.start()].rstrip().rstrip("$\\").rstrip()
    after_operator = bool(before) and before[-1] in "+-*/×÷^(−"
    if ends_in_it and not after_operator:
        pass  # "... so 36", "6 * 6 = 36.", "Total cost: 250 dollars"
    elif len(numbers) != 1:
        return None
    if re.match(r"\s*[-+*/×^=]", last[final.end() :]):
        return None  # "12 + 5" with no result
    number = final.group(0)
    if last[final.end() :].lstrip().startswith("%"):
        number += "%"
    return "last number", number


def extract_answer(completion: str, *, last_number_fallback: bool = True) -> str | None:
    """The final answer a completion commits to, as a string, or None.

    Args:
        completion: model output (or a reference solution ending in ``#### 936`` / ``\\boxed{}``).
        last_number_fallback: use the last number when there is no explicit marker (rule 5).

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
    found = _whole_answer(region)
    if found is not None:
        return found if found[1] else None
    if last_number_fallback:
        return _last_number(region)
    return None
