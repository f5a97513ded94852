"""The self-check quiz: sound data, links that land, and the right feedback from both front ends."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import ipywidgets as w
import pytest
from docutils.nodes import make_id
from ipywidgets.widgets.widget_link import Link

from reasonlab import quiz

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def headings(path: Path) -> set[str]:
    """Anchors (docutils ids, as Sphinx makes them) of every markdown heading in a page."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c["cell_type"] == "markdown"
        )
    else:
        text = path.read_text()
    titles = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)
    return {make_id(t) for t in titles}


TIER_1 = [q for q in quiz.QUESTIONS if q.tier == 1]
TIER_2 = [q for q in quiz.QUESTIONS if q.tier == 2]
N = len(quiz.QUESTIONS)


def test_two_tiers_of_five_questions_in_order():
    assert len(TIER_1) == len(TIER_2) == 5
    assert [q.tier for q in quiz.QUESTIONS] == sorted(q.tier for q in quiz.QUESTIONS)
    assert set(quiz.TIERS) == {1, 2}


def test_the_first_tier_covers_the_five_big_ideas():
    # One question each: the reward's source, STaR's filter, answer-time cost, a grader that
    # cannot be fooled, distillation. Told apart by the notebook that answers them.
    notebooks = [q.link.split("#")[0] for q in TIER_1]
    assert notebooks == [
        "01_rlvr_objective.ipynb",
        "03_star_to_rlvr.ipynb",
        "05_inference_scaling.ipynb",
        "02_verifiable_rewards.ipynb",
        "09_distillation.ipynb",
    ]
    text = " ".join(q.prompt + " " + q.explanation for q in TIER_1)
    for topic in ("RLHF", "cross-entropy", "answer-time", "grader", "tutor"):
        assert topic in text


def test_the_second_tier_asks_about_what_was_measured():
    text = " ".join(q.prompt for q in TIER_2)
    for topic in ("baseline", "same reward", "pass@k minus majority@k", "own reward", "k3"):
        assert topic in text


@pytest.mark.parametrize("q", quiz.QUESTIONS, ids=lambda q: q.link)
def test_no_question_quotes_a_measured_number(q):
    # A reseed changes every measured figure; the questions ask about mechanisms instead.
    # (Numbers that follow from the mechanism, like 7/8 = 1 - 1/8, are fine; 0/1 rewards too.)
    text = " ".join((q.prompt, *q.options, q.explanation))
    assert not re.search(r"\d+(\.\d+)?\s*%|\b0\.\d+", text), text


@pytest.mark.parametrize("q", quiz.QUESTIONS, ids=lambda q: q.link)
def test_exactly_one_option_is_marked_correct(q):
    verdicts = [quiz.feedback_html(q, k).count("Correct.") for k in range(len(q.options))]
    assert verdicts.count(1) == 1
    assert verdicts.index(1) == q.correct
    assert len(set(q.options)) == quiz.NUM_OPTIONS


@pytest.mark.parametrize("tier", [TIER_1, TIER_2], ids=["tier1", "tier2"])
def test_the_right_answer_is_not_always_in_the_same_place(tier):
    # A reader must not be able to pass either part by always clicking the same row.
    assert len({q.correct for q in tier}) >= 3
    for k in range(quiz.NUM_OPTIONS):
        assert quiz.grade([k] * len(tier), tier)[1] <= 2


@pytest.mark.parametrize("q", quiz.QUESTIONS, ids=lambda q: q.link)
def test_explanation_link_resolves(q):
    path, _, anchor = q.link.partition("#")
    target = NOTEBOOKS / path
    assert target.exists(), f"{q.section!r} links to {target.relative_to(ROOT)}, which is missing"
    if anchor:
        assert anchor in headings(target), f"no heading with anchor #{anchor} in {path}"
    if target.suffix == ".ipynb":
        # The link text names the section: it must be a heading (the title) of that notebook.
        assert make_id(q.section) in headings(target), f"{path} has no heading {q.section!r}"


def test_href_swaps_the_suffix_and_keeps_the_anchor():
    q = replace(quiz.QUESTIONS[0], link="03_star_to_rlvr.ipynb#the-filter")
    assert q.href() == "03_star_to_rlvr.ipynb#the-filter"
    assert q.href(".html") == "03_star_to_rlvr.html#the-filter"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"options": ("a", "b", "c")}, "3 options"),
        ({"options": ("a", "a", "b", "c")}, "repeats an option"),
        ({"options": ("a" * 81, "b", "c", "d")}, "81 characters"),
        ({"correct": 4}, "not an option index"),
        ({"correct": -1}, "not an option index"),
        ({"link": "03_star_to_rlvr.html"}, "not a .ipynb/.md"),
        ({"tier": 3}, "tier 3 is not one of"),
    ],
)
def test_bad_question_is_refused_with_a_clear_error(change, message):
    with pytest.raises(ValueError, match=message):
        replace(quiz.QUESTIONS[0], **change)


def test_grade_counts_answered_and_correct():
    right = [q.correct for q in quiz.QUESTIONS]
    wrong = [(q.correct + 1) % quiz.NUM_OPTIONS for q in quiz.QUESTIONS]
    assert quiz.grade([None] * N) == (0, 0)
    assert quiz.grade(right) == (N, N)
    assert quiz.grade(wrong) == (N, 0)
    mixed = [right[0], wrong[1], None, None, right[4]] + [None] * (N - 5)
    assert quiz.grade(mixed) == (3, 2)
    with pytest.raises(ValueError, match=f"4 answers for {N} questions"):
        quiz.grade([0, 0, 0, 0])
    with pytest.raises(ValueError, match="answer 2 is 7"):
        quiz.grade([0, 0, 7] + [0] * (N - 3))


def radios_of(box: w.Widget) -> list[w.RadioButtons]:
    found = []

    def walk(node):
        if isinstance(node, w.RadioButtons):
            found.append(node)
        for child in getattr(node, "children", ()):
            walk(child)

    walk(box)
    return found


def question_rows(box: w.Widget) -> list[w.VBox]:
    """The per-question blocks (prompt, radio buttons, feedback), tier headings left out."""
    return [c for c in box.children if isinstance(c, w.VBox)]


def tier_headings(box: w.Widget) -> list[str]:
    return [c.value for c in box.children if any("-tier" in k for k in c._dom_classes)]


def test_live_widget_keeps_a_running_score_and_shows_feedback():
    box = quiz.widget()
    score = box.children[0]
    radios = radios_of(box)
    rows = question_rows(box)
    assert len(radios) == len(rows) == N and all(r.index is None for r in radios)
    assert f"Answered 0/{N} · Correct 0/{N}" in score.value

    q0, q1 = quiz.QUESTIONS[:2]
    radios[0].index = q0.correct
    assert f"Answered 1/{N} · Correct 1/{N}" in score.value
    radios[1].index = (q1.correct + 1) % quiz.NUM_OPTIONS
    assert f"Answered 2/{N} · Correct 1/{N}" in score.value
    feedback_1 = rows[1].children[2].value
    assert "Not quite." in feedback_1 and q1.section in feedback_1
    # Changing an answer re-scores it rather than counting it twice.
    radios[1].index = q1.correct
    assert f"Answered 2/{N} · Correct 2/{N}" in score.value
    assert "Correct." in rows[1].children[2].value
    assert rows[2].children[2].value == ""  # unanswered: no feedback yet
    # A second-tier question counts in the same score.
    radios[-1].index = quiz.QUESTIONS[-1].correct
    assert f"Answered 3/{N} · Correct 3/{N}" in score.value


@pytest.mark.parametrize("front_end", [quiz.widget, quiz.static])
def test_each_tier_has_its_heading_above_its_first_question(front_end):
    box = front_end()
    headings = tier_headings(box)
    assert [quiz.TIERS[1] in headings[0], quiz.TIERS[2] in headings[1]] == [True, True]
    # Headings and question blocks, in order (the live quiz's score line comes first).
    kinds = "".join(
        "h" if any("-tier" in k for k in c._dom_classes) else "q" if isinstance(c, w.VBox) else ""
        for c in box.children
    )
    assert kinds == "h" + "q" * len(TIER_1) + "h" + "q" * len(TIER_2)
    # A reader's own list of one tier gets no headings.
    assert tier_headings(front_end(TIER_2[:2])) == []


def jslinks() -> dict[tuple[int, int], Link]:
    """Every live ``jslink`` keyed by (id of source widget, id of target widget)."""
    from ipywidgets.widgets.widget import _instances

    return {
        (id(x.source[0]), id(x.target[0])): x for x in _instances.values() if isinstance(x, Link)
    }


def test_static_quiz_links_each_choice_to_its_feedback_in_the_browser():
    box = quiz.static()
    links = jslinks()
    for i, (q, row) in enumerate(zip(quiz.QUESTIONS, question_rows(box), strict=True)):
        _, radio, stack = row.children
        assert isinstance(stack, w.Stack) and stack.selected_index is None
        assert f"reasonlab-quiz-q{i + 1}" in radio._dom_classes
        # A jslink (runs in the browser), not a Python observer, between exactly these traits.
        link = links[(id(radio), id(stack))]
        assert (link.source[1], link.target[1]) == ("index", "selected_index")
        # ...so Python does not move the stack: only the browser does.
        radio.index = q.correct
        assert stack.selected_index is None
        for k, child in enumerate(stack.children):
            assert ("Correct." in child.value) == (k == q.correct)
            assert q.href(".html") in child.value


@pytest.mark.browser
def test_built_page_shows_feedback_without_a_kernel(page, site_url):
    page.goto(f"{site_url}/notebooks/10_self_check.html", wait_until="load")
    q = quiz.QUESTIONS[1]
    wrong = (q.correct + 1) % quiz.NUM_OPTIONS
    radios = page.locator(".reasonlab-quiz-q2 input[type=radio]")
    radios.first.wait_for(timeout=30_000)
    feedback = page.locator(".reasonlab-quiz-fb2 .reasonlab-quiz-feedback:visible")
    assert feedback.count() == 0  # nothing chosen yet
    radios.nth(wrong).click()
    feedback.first.wait_for(timeout=5_000)
    assert "Not quite." in feedback.first.inner_text()
    radios.nth(q.correct).click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.reasonlab-quiz-fb2 .reasonlab-quiz-feedback')]
            .some(e => e.offsetParent !== null && e.innerText.includes('Correct.'))""",
        timeout=5_000,
    )
    assert page.log.problems() == []
