"""verify_math: the labelled corpus, extraction rules, normalisation, hard time bounds, fuzzing."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasonlab.verifiers import extract_answer, verify_math
from reasonlab.verifiers.corpus import ALL_CASES

TIMEOUT = 0.5
SLACK = 0.3  # IPC and kill time on a busy 2-core machine


@pytest.fixture(scope="module", autouse=True)
def warm_worker():
    """Start the sympy worker once, so timings below measure comparisons, not the import."""
    verify_math("\\boxed{x+1}", "1+x")


def test_corpus_is_large_and_balanced():
    assert len(ALL_CASES) >= 150
    assert 0.3 < sum(c.equal for c in ALL_CASES) / len(ALL_CASES) < 0.8
    assert len({(c.gold, c.completion) for c in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: f"{c.category}:{c.completion[:30]}")
def test_corpus_case(case):
    r = verify_math(case.completion, case.gold)
    assert r.reward == float(case.equal), (r.reason, r.extracted, r.meta)


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("<think>maybe 3</think> #### 4", "4"),
        ("<think>#### 3</think>", None),  # only inside the reasoning
        ("<think>3", None),  # never closed: never committed
        ("\\boxed{\\frac{1}{\\sqrt{2}}}", "\\frac{1}{\\sqrt{2}}"),  # nested braces
        ("\\boxed{1} then \\boxed{2}", "2"),  # the last box counts
        ("#### 5\nThe answer is 6.", "6"),  # the last marker counts
        ("<answer>7</answer> #### 8", "7"),  # the answer tag wins
        ("It has 3 sides and 4 corners, so 12", "12"),
        ("1, 2, 3, 4", None),  # a list
        ("What is 3 + 4?", None),  # restating the question
        ("It is 3 or 4", None),  # a hedge
    ],
)
def test_extraction_rules(completion, expected):
    assert extract_answer(completion) == expected


def test_last_number_fallback_can_be_turned_off():
    assert extract_answer("so 36", last_number_fallback=False) is None
    assert verify_math("so 36", "36").reward == 1.0


@pytest.mark.parametrize("n", [0, 7, 936, 1234, 10**25, -15])
def test_fast_path_agrees_with_full_path(n):
    fast = verify_math(f"<think>work</think> #### {n}", str(n))
    slow = verify_math(f"<think>work</think> The answer is {n}.", str(n))
    assert fast.meta["path"] == "fast" and fast.reward == slow.reward == 1.0
    wrong = verify_math(f"<think>work</think> #### {n + 1}", str(n))
    assert wrong.reward == 0.0


def test_gold_may_be_a_full_reference_solution():
    gold = "Natalia sold 48/2 = 24 clips in May.\nAltogether 48+24 = 72 clips.\n#### 72"
    assert verify_math("#### 72", gold).reward == 1.0
    assert verify_math("#### 24", gold).reward == 0.0
    assert verify_math("\\boxed{72}", "So the total is $\\boxed{72}$.").reward == 1.0


def test_structured_feedback():
    r = verify_math("<think>6*7</think> The answer is 42.", "42")
    assert r.meta["how"] == "answer is" and r.meta["path"] == "fast" and r.extracted == "42"
    r = verify_math("nothing here", "42")
    assert r.reason == "no final answer found" and r.extracted is None


@pytest.mark.parametrize(
    "completion",
    [
        "\\boxed{9^{9^{9^{9}}}}",
        "\\boxed{10**10**10}",
        "\\boxed{10^{10^{10}}}",
        "\\boxed{2^{2^{2^{2^{2^{2}}}}}}",
        "\\boxed{(x+1)^{100000}}",
        "\\boxed{100000!}",
        "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}",
        "\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}",
        "\\boxed{" + "(" * 10000 + "}",
        "\\boxed{" + "x+" * 100000 + "1}",
        "#### " + "9" * 1_000_000,
        "1 " * 500_000,
        "\\boxed{" * 100_000,
        "<answer>" * 100_000,
        "the answer is " * 50_000,
        "\\boxed{1e99999999}",
        "\\boxed{" + "9" * 50_000 + "}",
    ],
)
def test_hostile_answers_end_in_time(completion):
    start = time.monotonic()
    r = verify_math(completion, "\\frac{x}{2}", timeout=TIMEOUT)
    elapsed = time.monotonic() - start - r.meta.get("worker_startup_seconds", 0.0)
    assert r.reward == 0.0
    assert elapsed < TIMEOUT + SLACK, (elapsed, r.reason)


def test_slow_sympy_is_killed_at_the_timeout():
    # A genuinely equal pair whose comparison takes longer than a millisecond: the worker is
    # killed at the deadline, the verdict is "timeout", and a fresh worker serves the next call.
    start = time.monotonic()
    r = verify_math("\\boxed{(x^2+2xy+y^2)^{100}}", "(x+y)^{200}", timeout=0.001)
    elapsed = time.monotonic() - start - r.meta.get("worker_startup_seconds", 0.0)
    assert r.reason == "timeout after 0.001 s" and r.reward == 0.0
    assert elapsed < 0.001 + SLACK
    assert verify_math("\\boxed{(x^2+2xy+y^2)^{100}}", "(x+y)^{200}").reward == 1.0
    assert verify_math("\\boxed{\\sqrt{x^2}}", "x").reward == 0.0  # |x| is not x


def test_bad_gold_raises_a_clear_error():
    with pytest.raises(ValueError, match="gold"):
        verify_math("#### 3", "")


def test_non_string_completion_never_raises():
    assert verify_math(None, "3").reward == 0.0  # type: ignore[arg-type]


_PIECES = st.sampled_from(
    [
        "\\boxed{", "}", "{", "\\frac", "\\sqrt", "^", "_", "\\left(", "\\right)", "<think>",
        "</think>", "<answer>", "</answer>", "####", "the answer is", "1", "9", "0", ".", ",",
        "-", "+", "*", "/", "x", "y", "=", "(", ")", "[", "]", "\\pi", "\\infty", "%", "$",
        "\\text{cm}", "\\overline{3}", "e", "!", " ", "\n", "½", "²", "−", "√", "\\{", "\\}",
        "or", "\\cup", "\\sin", "\\ln", "10", "999", "\\times", "\\cdot",
    ]
)  # fmt: skip
_TEXT = st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=40).map("".join))


@settings(deadline=None, max_examples=2000, suppress_health_check=list(HealthCheck))
@given(completion=_TEXT, gold=st.sampled_from(["936", "\\frac{14}{3}", "x^2+1", "(1, 2]", "5 cm"]))
def test_fuzz_never_raises_and_stays_in_time(completion, gold):
    start = time.monotonic()
    r = verify_math(completion, gold, timeout=TIMEOUT)
    elapsed = time.monotonic() - start - r.meta.get("worker_startup_seconds", 0.0)
    assert r.reward in (0.0, 1.0)
    assert elapsed < TIMEOUT + SLACK, (completion, elapsed, r.reason)


def test_naive_verifiers_are_fooled_where_ours_is_not():
    from reasonlab.verifiers.corpus import HELD_OUT, TRAPS
    from reasonlab.verifiers.naive import last_number_match, score, substring_match

    ours = score(lambda c, g: verify_math(c, g).reward == 1.0, TRAPS)
    assert ours.false_positives == 0
    assert score(substring_match, TRAPS).false_positives >= 5
    assert score(last_number_match, TRAPS).false_positives >= 5
    held = score(lambda c, g: verify_math(c, g).reward == 1.0, HELD_OUT)
    assert held.precision == 1.0 and held.recall > 0.8  # the frozen verifier on unseen cases
