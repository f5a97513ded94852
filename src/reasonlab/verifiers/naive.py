"""Naive math verifiers (the kind that get reward-hacked) and a scorer for any verifier.

``substring_match`` and ``last_number_match`` are what a quick script often does; the
"Verifiable rewards" notebook and ``benchmarks/verifiers.py`` measure how often they are fooled
on the labelled corpus (:mod:`.corpus`), next to :func:`reasonlab.verifiers.verify_math`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .corpus import Case

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def substring_match(completion: str, gold: str) -> bool:
    """Reward if the gold answer appears anywhere in the completion."""
    return gold.strip() in completion


def last_number_match(completion: str, gold: str) -> bool:
    """Reward if the last number in the completion equals the gold answer's last number."""
    pred, ref = _NUMBER.findall(completion.replace(",", "")), _NUMBER.findall(gold.replace(",", ""))
    return bool(pred and ref) and float(pred[-1]) == float(ref[-1])


@dataclass(frozen=True)
class Score:
    """How a verifier agrees with the labels."""

    precision: float  # of the completions it rewarded, the share that deserved it
    recall: float  # of the completions that deserved reward, the share it rewarded
    accuracy: float  # share of all cases where it agrees with the label
    false_positives: int  # rewarded but wrong: what a policy learns to exploit
    false_negatives: int  # correct but unrewarded: lost learning signal


def score(verifier: Callable[[str, str], bool], cases: Iterable[Case]) -> Score:
    """Precision, recall and accuracy of ``verifier(completion, gold) -> bool`` on ``cases``."""
    tp = fp = fn = tn = 0
    for case in cases:
        said = bool(verifier(case.completion, case.gold))
        tp += said and case.equal
        fp += said and not case.equal
        fn += (not said) and case.equal
        tn += (not said) and not case.equal
    total = tp + fp + fn + tn
    if total == 0:
        raise ValueError("score needs at least one case")
    return Score(
        precision=tp / (tp + fp) if tp + fp else 1.0,
        recall=tp / (tp + fn) if tp + fn else 1.0,
        accuracy=(tp + tn) / total,
        false_positives=fp,
        false_negatives=fn,
    )
