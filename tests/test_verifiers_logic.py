"""verify_logic: decimal comparison and countdown puzzles, parsed with ast, never eval."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reasonlab.verifiers import verify_logic

COMPARE = {"kind": "compare", "a": "9.11", "b": "9.9"}
COUNTDOWN = {"kind": "countdown", "numbers": [25, 50, 75, 100, 3, 6], "target": 952}


@pytest.mark.parametrize(
    "completion, reward",
    [
        ("<think>9.9 = 9.90 > 9.11</think> 9.9", 1.0),
        ("<think>9.90 vs 9.11</think> #### 9.90", 1.0),
        ("<think>11 > 9</think> 9.11", 0.0),
        ("<answer>9.9</answer>", 1.0),
        ("9.11 or 9.9", 0.0),
        ("\\boxed{9.11, 9.9}", 0.0),
        ("<think>hmm</think> I don't know", 0.0),
        ("#### 10", 0.0),
    ],
)
def test_compare(completion, reward):
    assert verify_logic(completion, COMPARE).reward == reward


def test_compare_reasons_and_smaller():
    assert verify_logic("#### 9.11", COMPARE).reason == "picked the smaller"
    smaller = {**COMPARE, "which": "smaller"}
    assert verify_logic("#### 9.11", smaller).reward == 1.0


@dataclass(frozen=True)
class Puzzle:
    kind: str
    numbers: tuple[int, ...]
    target: int


@pytest.mark.parametrize(
    "completion, reward, reason",
    [
        ("<answer>(100 + 6) * 3 * 75 / 25 - 2 * 25</answer>", 0.0, "uses numbers"),
        ("<answer>(100 + 6) * 3 * 75 / 25 + 50 - 100</answer>", 0.0, "uses numbers"),
        ("<answer>((100 + 6) * 75 * 3 - 50) / 25</answer>", 1.0, "correct"),
        ("<think>try</think> ((100 + 6) * 75 * 3 - 50) / 25 = 952", 1.0, "correct"),
        ("<answer>100 * 9 + 52</answer>", 0.0, "uses numbers"),
        ("<answer>100 + 75</answer>", 0.0, "evaluates to 175"),
        ("<answer>__import__('os').system('true')</answer>", 0.0, "not a valid expression"),
        ("<answer>100 ** 100</answer>", 0.0, "not a valid expression"),
        ("<answer>25 / (50 - 50)</answer>", 0.0, "not a valid expression"),
        ("<answer>(((</answer>", 0.0, "not a valid expression"),
        ("<think>unfinished", 0.0, "no final answer"),
    ],
)
def test_countdown(completion, reward, reason):
    r = verify_logic(completion, COUNTDOWN)
    assert r.reward == reward and r.reason.startswith(reason), r.reason


def test_countdown_accepts_objects_and_use_all():
    puzzle = Puzzle("countdown", (2, 3, 4), 14)
    assert verify_logic("#### 2 + 3 * 4", puzzle).reward == 1.0
    assert verify_logic("#### 2 * 3 + 4 + 4", puzzle).reward == 0.0  # 4 used twice
    strict = {"kind": "countdown", "numbers": [2, 3, 4, 5], "target": 14, "use_all": True}
    assert verify_logic("#### 2 + 3 * 4", strict).reason == "does not use every number"


def test_deep_nesting_does_not_crash():
    deep = "#### " + "(" * 5000 + "2" + ")" * 5000
    assert verify_logic(deep, {"kind": "countdown", "numbers": [2], "target": 2}).reward == 0.0


def test_malformed_problem_raises_a_clear_error():
    with pytest.raises(ValueError, match="kind"):
        verify_logic("#### 1", {"kind": "sudoku"})
    with pytest.raises(ValueError, match="two numbers"):
        verify_logic("#### 1", {"kind": "compare", "a": "x", "b": "2"})
