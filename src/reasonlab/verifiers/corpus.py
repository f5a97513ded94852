"""A hand-labelled corpus of (gold, completion, equal) cases for math verifiers.

Each case says whether a careful human grader would accept the completion's *committed* final
answer as equal to the gold answer. Labels follow the rules in :mod:`.extraction` and
:mod:`.normalize` where a convention is needed (percentages, units, unordered lists), and plain
mathematical truth otherwise, so a verifier can disagree with a label and lose recall or
precision honestly. Used by the tests, ``benchmarks/verifiers.py`` and the "Verifiable rewards"
notebook. Categories let a reader see where each verifier fails.

The cases are data, in ``corpus.jsonl`` beside this module: one JSON object per line with its
``set`` (the name it is exported under here), ``category``, ``gold``, ``completion`` and
``equal``. :data:`HELD_OUT` was written after the verifier was frozen and never used to tune
it: its score is an honest estimate of how the verifier generalises; the other sets were written
alongside the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).with_name("corpus.jsonl")


@dataclass(frozen=True)
class Case:
    """One labelled (gold, completion) pair."""

    gold: str  # bare answer or reference solution
    completion: str  # model-style output
    equal: bool  # would a careful grader give reward?
    category: str  # what the case exercises


def _load(path: Path = DATA) -> dict[str, list[Case]]:
    """The cases of each set, in the file's order."""
    sets: dict[str, list[Case]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        case = Case(row["gold"], row["completion"], row["equal"], row["category"])
        sets.setdefault(row["set"], []).append(case)
    return sets


_SETS = _load()
GSM8K = _SETS["GSM8K"]
BOXED = _SETS["BOXED"]
ANSWER_TAGS = _SETS["ANSWER_TAGS"]
ANSWER_IS = _SETS["ANSWER_IS"]
FALLBACK = _SETS["FALLBACK"]
TRAPS = _SETS["TRAPS"]
NORMALIZATION = _SETS["NORMALIZATION"]
SYMBOLIC = _SETS["SYMBOLIC"]
HELD_OUT = _SETS["HELD_OUT"]

ALL_CASES: list[Case] = [
    *GSM8K,
    *BOXED,
    *ANSWER_TAGS,
    *ANSWER_IS,
    *FALLBACK,
    *TRAPS,
    *NORMALIZATION,
    *SYMBOLIC,
]
"""Every labelled case written alongside the verifier, in a fixed order."""
