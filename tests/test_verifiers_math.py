"""verify_math: the labelled corpus, other projects' test suites as data, extraction rules,
the last-number fallback, normalisation, hard time bounds (in threads too), fuzzing, and the toy's
rewards unchanged."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasonlab.verifiers import extract_answer, verify_math
from reasonlab.verifiers.corpus import ALL_CASES

TIMEOUT = 0.5
# IPC, kill and scheduling time. Generous on purpose: a 2-core machine running other jobs can stall
# a process for seconds, and the inputs that need the bound run far longer unbounded, so it is
# still tested; the sub-second figure is measured by benchmarks/verifiers.py, not asserted here.
SLACK = 5.0


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
        ("<answer>The answer is 4.</answer>", "4"),  # a sentence inside the tag
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
    off = verify_math("so 36", "36", last_number_fallback=False)
    assert off.reward == 0.0 and off.reason == "no final answer found"
    assert verify_math("#### 36", "36", last_number_fallback=False).reward == 1.0


@pytest.mark.parametrize(
    "completion, gold",
    [
        ("It is 5 not 4", "4"),  # the old fallback read 4
        ("AZYUK2A", "2"),  # a digit inside a word
        ("gkz+4qr->j", "4"),  # digits glued to symbols
        ("\\frac{1+\\sqrt{5}}{2}", "2"),  # read whole: (1+sqrt 5)/2, not 2
        ("If x were 4, the sum would be 10.", "4"),
        ("We need at least 4 boxes.", "4"),
        ("It cannot be 4.", "4"),
        ("Is it 4?", "4"),
        ("The values are 1, 2, 3, 4", "4"),
        ("so the total is 12 + 4", "4"),
        ("The answer is not 7", "7"),  # a marker, then a negation: no answer
        ("We need 7 more steps before we can answer.", "7"),  # one number, no commitment
    ],
)
def test_fallback_never_accepts_a_number_it_should_not(completion, gold):
    assert verify_math(completion, gold).reward == 0.0


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("We have 6 rows of 6 chairs, so 36", "36"),  # ends in the number
        ("6 * 6 = 36.", "36"),
        ("Total cost: 2 * 125 = 250 dollars", "250"),  # a unit may follow
        ("She needs 48 stickers in total.", "48"),  # the sentence's only number
        ("The probability is 25%.", "25%"),
        ("The pair that solves it is $(7, 6)$.", "(7, 6)"),
        ("So the answer follows. Therefore it is 12 apples. I hope it is correct.", "12"),
        ("It is 12 <|im_start|>user", "12"),  # a chat token after the answer
    ],
)
def test_fallback_rules(completion, expected):
    assert extract_answer(completion) == expected


@pytest.mark.parametrize(
    "completion, gold, expected",
    [
        # no marker: the whole completion is the answer
        ("\\frac{10}{9}", "10/9", True),
        ("$\\frac13$", "\\frac{1}{3}", True),
        ("x^2+2x+1", "(x+1)^2", True),
        ("10^3", "1000", True),
        # the Minerva / lm-eval sign-off
        ("Final Answer: The final answer is 7.78. I hope it is correct.", "7.78", True),
        ("Final Answer: The final answer is $x^2$. I hope it is correct.", "x^2", True),
        ("Final Answer: The largest $n$ is 34.", "34", True),
        # several boxes are one answer; "or" between boxes is a hedge
        ("\\boxed{1}, \\boxed{2}", "\\{1, 2\\}", True),
        ("so $x = \\boxed{-2}$ \\quad \\text{and} \\quad $\\boxed{1}$", "1, -2", True),
        ("\\boxed{1} or \\boxed{2}", "1, 2", False),
        ("\\boxed{1}, \\boxed{2}", "\\boxed{1} and \\boxed{2}", True),  # boxes in the gold
        # answer types compared through the LaTeX parser
        ("\\boxed{x=1, y=2}", "x=1, y=2", True),
        ("\\boxed{(1, 2) \\cup (3, \\infty)}", "(1,2) \\cup (3, \\infty)", True),
        ("\\boxed{(1, 2) \\cup (3, \\infty)}", "(1,2) \\cup [3, \\infty)", False),
        ("\\boxed{1 \\pm \\sqrt{2}}", "1 \\pm \\sqrt{2}", True),
        (
            "\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}",
            "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
            True,
        ),
        (
            "\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}}",
            "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}",
            False,
        ),
        ("\\boxed{x \\geq 5}", "5 \\le x", True),
        ("\\boxed{x > 5}", "x \\ge 5", False),
        ("\\boxed{2x+4y=6}", "x+2y=3", True),  # equations up to a constant factor
        ("\\boxed{\\text{odd}}", "odd", True),
        ("\\boxed{11,\\!111}", "11111", True),
        ("\\boxed{\\cfrac{1}{3}}", "1/3", True),
        ("\\boxed{125\\textnormal{ miles}}", "125", True),
        ("\\boxed{0.0833333}", "\\frac{1}{12}", True),  # a long decimal of a fraction
        ("\\boxed{0.33}", "\\frac{1}{3}", False),  # a short one is not
        ("\\boxed{1:00}", "12:00", False),
    ],
)
def test_answer_forms(completion, gold, expected):
    r = verify_math(completion, gold)
    assert r.reward == float(expected), (r.reason, r.extracted, r.meta)


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
        "\\boxed{1\x002}",  # NUL bytes
        "\x00" * 1000 + "#### 4",
        "\\boxed{" + "\\sqrt{99999989}+" * 30 + "1}",  # many radicands to factor
        "\\boxed{(x+y+z+1)^{16}}",  # too many terms for the exact reader
        "\\boxed{(" + "(" * 200 + "x" + ")" * 200 + ", 1)}",  # deep nesting inside a tuple
        "\\boxed{" + ", ".join(["(1, 2)"] * 5000) + "}",  # a huge list
        "\\boxed{" + "F_{" * 60 + "n" + "}" * 60 + " = 1}",  # a name inside a name inside ...
        "\\boxed{" + "\\sum_{k=0}^{40}" * 6 + " k}",  # 41^6 terms, were they expanded
        "\\boxed{" + "\\sum_{k=0}^{n} " * 30 + "F_k}",  # opaque sums inside opaque sums
        "\\boxed{1 \\le |x| \\le " + "9" * 5000 + "}",
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


def test_hard_bound_holds_in_a_thread():
    # math-verify's own timeout is signal.alarm, which only works in the main thread; ours is a
    # killable worker process, so the bound holds anywhere.
    out: dict = {}

    def work():
        start = time.monotonic()
        # not the pair above: its verdict is cached now, and a cached verdict needs no worker
        out["slow"] = verify_math("\\boxed{(x^2+2xy+y^2)^{99}}", "(x+y)^{198}", timeout=0.001)
        out["elapsed"] = (
            time.monotonic() - start - out["slow"].meta.get("worker_startup_seconds", 0)
        )
        out["matrix"] = verify_math(
            "\\boxed{\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}}",
            "\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}",
        )

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert out["slow"].reason == "timeout after 0.001 s" and out["elapsed"] < 0.001 + SLACK
    assert out["matrix"].reward == 1.0, out["matrix"].meta


# ----------------------------------------------------------------------------- peer test suites

DATA = Path(__file__).with_name("data")
# The first two were transcribed from math-verify's and lighteval's own tests, where the
# project's label is the label (test rows: not configuration-dependent nor disputed); the others
# from nine more projects' grader tests, labelled as a careful human grader would (every row).
FIRST_TABLES = {
    "Math-Verify": DATA / "peer_math_verify.jsonl",
    "lighteval": DATA / "peer_lighteval.jsonl",
}
PEER_TABLES = {
    **FIRST_TABLES,
    **{
        p.stem.removeprefix("peer_"): p
        for p in sorted(DATA.glob("peer_*.jsonl"))
        if p not in FIRST_TABLES.values()
    },
}
PEER_TIMEOUT = 5.0  # verdicts, not speed, are tested here; the time bound is tested above


def peer_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in PEER_TABLES[name].read_text().splitlines()]


def scored(name: str, rows: list[dict]) -> list[dict]:
    """The rows agreement is scored on (see PEER_TABLES)."""
    if name in FIRST_TABLES:
        return [r for r in rows if not (r["config_dependent"] or r["disputed"])]
    return rows


def test_peer_tables_are_transcribed_with_sources():
    for name in FIRST_TABLES:
        rows = peer_rows(name)
        assert len(rows) > 200
        for r in rows:
            assert r["source"].split()[-1].split(":")[-1].isdigit()  # file:line
            assert isinstance(r["expected"], bool) and isinstance(r["gold"], str)
            assert r["config_dependent"] == bool(r["config"])
        assert 0.2 < sum(r["config_dependent"] for r in rows) / len(rows) < 0.7
    new = [name for name in PEER_TABLES if name not in FIRST_TABLES]
    assert len(new) >= 3 and sum(len(peer_rows(name)) for name in new) >= 150
    for name in new:
        for r in peer_rows(name):
            repo, path = r["source"].split()[:2]  # owner/name@commit path/to/test_file.py
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", repo) and path.endswith(".py")
            assert r["test"] and isinstance(r["expected"], bool) and r["gold"].strip()
            assert isinstance(r["project_expected"], bool) and isinstance(r["note"], str)
            assert r["config_dependent"] == bool(r["config"])
            if r["project_expected"] != r["expected"]:
                assert r["note"], r  # a disagreement with the project says why


def math_verify_says(r: dict) -> bool:
    """math-verify 0.9.0 with its defaults, given the gold as ``$...$`` (as the benchmark)."""
    from math_verify import parse, verify

    gold = r["gold"]
    if not any(m in gold for m in ("$", "\\boxed", "\\(", "\\[")):
        gold = f"${gold}$"
    return bool(verify(parse(gold), parse(r["prediction"])))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PEER_TABLES))
def test_peer_table_agreement_at_least_math_verify(name):
    logging.disable(logging.WARNING)
    rows = peer_rows(name)
    ours = [
        verify_math(r["prediction"], r["gold"], timeout=PEER_TIMEOUT).reward == 1.0 for r in rows
    ]
    false_accepts = [
        (r["source"], r["test"])
        for r, ok in zip(rows, ours, strict=True)
        if ok and not r["expected"]
    ]
    assert false_accepts == []  # on every row, the configuration-dependent ones too
    verdict = {id(r): ok for r, ok in zip(rows, ours, strict=True)}
    test = scored(name, rows)
    agree_ours = sum(verdict[id(r)] == r["expected"] for r in test)
    agree_theirs = sum(math_verify_says(r) == r["expected"] for r in test)
    assert agree_ours >= agree_theirs, (agree_ours, agree_theirs, len(test))


# ----------------------------------------------------------------------------- fast and slow paths

_RATIONAL = st.fractions(min_value=-50, max_value=50, max_denominator=12)
_LATEX_NUMBER = st.one_of(
    _RATIONAL.map(lambda q: f"\\frac{{{q.numerator}}}{{{q.denominator}}}"),
    _RATIONAL.map(str),
    st.integers(-30, 30).map(str),
    st.tuples(st.integers(-9, 9), st.sampled_from([2, 3, 5, 8, 12, 18])).map(
        lambda t: f"{t[0]}\\sqrt{{{t[1]}}}"
    ),
    st.tuples(st.integers(1, 9), st.integers(1, 6)).map(
        lambda t: f"\\frac{{{t[0]}\\pi}}{{{t[1]}}}"
    ),
)
_EXPR = st.one_of(
    _LATEX_NUMBER,
    st.tuples(_LATEX_NUMBER, _LATEX_NUMBER).map(lambda t: f"{t[0]} + {t[1]}"),
    st.tuples(st.integers(-5, 5), st.integers(-5, 5)).map(lambda t: f"{t[0]}x + {t[1]}"),
    st.tuples(st.integers(-5, 5), st.integers(1, 3)).map(lambda t: f"(x + {t[0]})^{t[1]}"),
)
_ANSWER = st.one_of(
    _EXPR,
    st.tuples(_EXPR, _EXPR).map(lambda t: f"({t[0]}, {t[1]})"),
    st.tuples(_LATEX_NUMBER, _LATEX_NUMBER).map(lambda t: f"\\{{{t[0]}, {t[1]}\\}}"),
    st.tuples(_LATEX_NUMBER, _LATEX_NUMBER).map(lambda t: f"[{t[0]}, {t[1]})"),
    _EXPR.map(lambda e: f"y = {e}"),
)


def _both_paths(gold: str, pred: str):
    """The fast path's verdict, and the worker's (sympy, then math-verify) on the same pair."""
    from reasonlab.verifiers.exact import exact_equal
    from reasonlab.verifiers.normalize import normalize
    from reasonlab.verifiers.symbolic import _symbolic_equal

    g_norm, p_norm = normalize(gold), normalize(pred)
    g, p = g_norm.text, p_norm.text
    # verify_math asks the exact reader only without a percent sign (those are numbers' rules)
    fast = None if g_norm.percent or p_norm.percent else exact_equal(g, p)[0]
    slow, how, _ = _symbolic_equal(g, p, PEER_TIMEOUT, latex=(gold, pred))
    return fast, slow, how


@pytest.mark.parametrize(
    "gold, pred, verdict",
    [
        # bounds, intervals and unions as sets of reals
        ("-2 \\le x \\le 7", "x \\in [-2, 7]", True),
        ("-793 < a < 10", "(-793, 10)", True),  # a pair read as an open interval
        ("[-3, 2]", "(-\\infty, -3] \\cup [2, \\infty)", False),
        ("(-\\infty, 1) \\cup [1, 2]", "(-\\infty, 2]", True),  # pieces that touch merge
        ("(0, 1) \\cup (1, 2)", "(0, 2)", False),  # 1 is left out
        ("x \\ne 3", "(-\\infty, 3) \\cup (3, \\infty)", True),
        ("x < 1", "-x > -1", True),
        ("1 \\le |z| \\le \\frac{3}{2}", "[-\\frac{3}{2}, -1] \\cup [1, \\frac{3}{2}]", True),
        ("0 < f(x) < 1", "(0, 1)", True),
        ("x > 5", "y > 5", None),  # another variable
        ("x \\in [-2, 7]", "-2 \\le x \\le 7", None),  # math-verify reads a set apart
        ("x \\ge 5", "5", False),
        # named values, chains of equal values, lists of named values
        ("S_{MBCN}:S = 7:32", "7:32", True),
        ("\\frac{NO}{BO} = \\frac{1}{\\sqrt{6}}", "\\frac{1}{\\sqrt{6}}", True),
        ("|AB| = 1", "1", True),
        ("D = (0, 1)", "D = (0, 1.5)", False),
        ("x = y", "y = x", True),
        ("x = 5", "y = 5", False),
        ("x = 11", "x = 5 + 5 + 1 = 11", True),
        ("y_{1} = -2x^{2} + 4x + 3, y_{2} = 3", "-2(x - 1)^2 + 5, 3", True),
        ("a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2", True),
        ("a^2 + b = 0", "0", False),  # no name on the left: an equation, not 0
        ("x \\approx 11", "11", True),
        ("\\frac{1}{3} \\approx 0.33", "\\frac{1}{3}", True),
        # tuples with ";", repeated items, matrices, decimals far apart
        ("(0; -2; 6), (4; 0; 0)", "(4, 0, 0), (0, -2, 6), (4, 0, 0)", True),
        ("(37, 3, 3), (3, 3, 2, 3)", "(3, 3, 2, 3), (37, 3, 3, 13)", False),
        (
            "(\\begin{pmatrix}\\frac{1}{3} \\\\ \\frac{1}{5}\\end{pmatrix})",
            "\\begin{pmatrix}0.33 \\\\ 0.2\\end{pmatrix}",
            False,
        ),  # fmt: skip
        ("(\\frac{3}{5}, \\frac{8}{3}]", "(0.6, 2.6667]", False),
        ("\\frac{2}{3}", "0.666667", None),  # rounding may make these equal
        # sums: expanded with number bounds, opaque with letters, told apart at points
        ("\\sum_{k=1}^{10} k", "55", True),
        ("F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{j=0}^{n-1} F_{n-1-j} F_j", True),
        ("F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{k=0}^{n-2} F_k F_{n-k-2}", False),
        ("\\sum_{k=1}^{n} k", "\\sum_{k=0}^{n} k", None),  # equal, but not written the same
        ("x_1 + x_2", "x_2 + x_1", True),
    ],
)
def test_exact_reader_shapes(gold, pred, verdict):
    from reasonlab.verifiers.exact import exact_equal
    from reasonlab.verifiers.normalize import normalize

    assert exact_equal(normalize(gold).text, normalize(pred).text)[0] is verdict


@settings(deadline=None, max_examples=150, suppress_health_check=list(HealthCheck))
@given(gold=_ANSWER, pred=_ANSWER, same=st.booleans())
def test_fast_path_agrees_with_the_slow_path(gold, pred, same):
    if same:
        pred = gold.replace(" ", "")  # the same value written differently
    fast, slow, how = _both_paths(gold, pred)
    if fast is not None and slow is not None:
        assert fast == slow, (gold, pred, how)


def test_fast_path_agrees_with_the_slow_path_on_the_peer_tables():
    logging.disable(logging.WARNING)
    rows = [r for name in PEER_TABLES for r in peer_rows(name)][::7]  # a sample, every 7th row
    from reasonlab.verifiers.extraction import extract_answer

    checked = 0
    for r in rows:
        pred = extract_answer(r["prediction"])
        gold = extract_answer(r["gold"], last_number_fallback=False) or r["gold"]
        if pred is None:
            continue
        fast, slow, how = _both_paths(gold, pred)
        if fast is not None and slow is not None:
            checked += 1
            assert fast == slow, (r["source"], r["test"], gold, pred, how)
    assert checked >= 20


def test_verify_math_works_without_math_verify(tmp_path):
    """Colab may pin antlr4 4.9 (omegaconf) where latex2sympy2_extended wants 4.13. If
    math-verify cannot be imported, the fast path and sympy still decide, one line says the
    second opinion is off, and nothing raises."""
    fake = tmp_path / "math_verify"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "raise ImportError('antlr4-python3-runtime 4.9.3 cannot load this parser (simulated)')"
    )
    script = (
        "from reasonlab.verifiers import verify_math\n"
        "cases = [('\\\\boxed{\\\\frac{2}{4}}', '0.5', 1.0),\n"
        "         ('\\\\boxed{(1, \\\\sqrt{8})}', '(1, 2\\\\sqrt{2})', 1.0),\n"
        "         ('\\\\boxed{\\\\sin^2 x + \\\\cos^2 x}', '1', 1.0),\n"
        "         ('\\\\boxed{x \\\\in [-2, 7]}', '-2 \\\\le x \\\\le 7', 1.0),\n"
        "         ('\\\\boxed{\\\\begin{pmatrix}1 & 2\\\\end{pmatrix} + "
        "\\\\begin{pmatrix}5 & 6\\\\end{pmatrix}}',\n"
        "          '\\\\begin{pmatrix}6 & 8\\\\end{pmatrix}', 0.0)]  # needs math-verify\n"
        "for completion, gold, reward in cases:\n"
        "    r = verify_math(completion, gold)\n"
        "    assert r.reward == reward, (completion, r)\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if "second opinion is off" in line]
    assert len(lines) == 1 and "antlr4" in lines[0], out.stderr[-2000:]


# ----------------------------------------------------------------------------- the toy is unchanged


def test_toy_rewards_unchanged():
    """Every reward the shipped toy policies' samples got before this verifier is the same now
    (tests/data/make_toy_math_rewards.py wrote them). Samples of an untrained policy are
    gibberish; on those the only change allowed is the old fallback's reading of digits glued
    inside junk ("gkz+4qr->j" for gold 4), which now has no answer."""
    with gzip.open(DATA / "toy_math_rewards.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) >= 4000
    changed = []
    for r in rows:
        now = verify_math(r["completion"], r["gold"])
        if now.reward != r["reward"]:
            changed.append((r, now))
    trained = [r for r, _ in changed if r["policy"] != "untrained"]
    assert trained == []
    for r, now in changed:
        assert r["reward"] == 1.0 and now.reward == 0.0 and now.extracted is None, r
        assert "####" not in r["completion"].rsplit("</think>", 1)[-1], r
