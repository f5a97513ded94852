"""The chapter's self-check: ten questions as data (:mod:`reasonlab.quiz.questions`), a live widget
and a static (kernel-free) one.

Two tiers of five. The first asks about the chapter's big ideas (where RLVR's reward comes from,
STaR's filter as a policy gradient, what answer-time compute costs, what makes a grader hard to
fool, why distillation is cheap); the second about what the chapter *measured* and why it came out
that way. Questions are written from the chapter's own notebooks and avoid quoting numbers that a
retrained base policy would change: they ask about mechanisms and about directions that follow from
them. Each explanation points to the heading of the notebook that answers it.

Two front ends share the same data:

* :func:`widget` needs a kernel: answering updates a running score ("Answered a/10 · Correct c/10").
* :func:`static` needs none: each question's ``RadioButtons.index`` is ``jslink``-ed to the
  ``selected_index`` of a ``Stack`` holding one feedback panel per option, so the browser shows the
  right feedback in the built page from the stored widget state alone. ``Stack`` needs
  ipywidgets 8; on ipywidgets 7 (Colab) :func:`static` says so in one line and gives the live quiz.
* :func:`show` is the notebook's one cell: :func:`static` when the project's executor runs it
  (``REASONLAB_STATIC_WIDGETS=1``, as for the book), :func:`widget` in any other kernel.

Feedback links go to the notebook that answers a question: ``.html`` pages in the built book,
``.ipynb`` files next to this notebook in Jupyter, and the notebook's Colab address in Colab
(where a relative link in an output would not resolve).

Library code builds widgets and returns them; the notebook displays them.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Sequence
from importlib import metadata

from ..labs.static import kernel_free, static_wanted
from .questions import (  # noqa: F401 (quiz.QUESTIONS and the rest, as readers know them)
    CSS_PREFIX,
    MAX_OPTION_CHARS,
    NUM_OPTIONS,
    QUESTIONS,
    TIERS,
    Question,
)


def grade(
    answers: Sequence[int | None], questions: Sequence[Question] = QUESTIONS
) -> tuple[int, int]:
    """Score a set of answers.

    Args:
        answers: one entry per question: the chosen option index, or ``None`` if unanswered.
        questions: the questions the answers refer to.

    Returns:
        ``(answered, correct)``: how many questions have an answer and how many are right.
    """
    if len(answers) != len(questions):
        raise ValueError(f"got {len(answers)} answers for {len(questions)} questions")
    answered = correct = 0
    for i, (choice, q) in enumerate(zip(answers, questions, strict=True)):
        if choice is None:
            continue
        if not 0 <= choice < len(q.options):
            raise ValueError(f"answer {i} is {choice}; question {i} has {len(q.options)} options")
        answered += 1
        correct += choice == q.correct
    return answered, correct


def score_text(answered: int, correct: int, total: int = len(QUESTIONS)) -> str:
    """The running score line, e.g. ``"Answered 2/10 · Correct 1/10"``."""
    return f"Answered {answered}/{total} · Correct {correct}/{total}"


def colab_notebooks_url() -> str:
    """In Colab, the Colab address of the folder of notebooks this package was installed from;
    elsewhere (or if that is not a GitHub repository) ``""``: links stay relative.

    The set-up cell installs ``reasonlab @ git+https://github.com/OWNER/REPO@BRANCH``; pip records
    that address in the installed package's ``direct_url.json``, so a fork links to its own
    notebooks with nothing else to change.
    """
    if "google.colab" not in sys.modules:
        return ""
    try:
        info = json.loads(metadata.distribution("reasonlab").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return ""
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", info.get("url", ""))
    if not m:
        return ""
    vcs = info.get("vcs_info", {})
    ref = vcs.get("requested_revision") or vcs.get("commit_id") or "main"
    return f"https://colab.research.google.com/github/{m[1]}/{m[2]}/blob/{ref}/notebooks/"


def feedback_html(
    question: Question, choice: int, link_ext: str = ".ipynb", link_base: str = ""
) -> str:
    """HTML shown after ``choice`` is picked: verdict, the option picked, explanation and a link.

    Naming the picked option tells a reader which answer the feedback is about (and makes every
    option's feedback different, so a click always changes what the page shows).
    """
    right = choice == question.correct
    verdict = "Correct." if right else "Not quite."
    picked = question.options[choice]
    if len(picked) > 60:
        picked = picked[:57].rstrip() + "..."
    colour = "#1a7f37" if right else "#b3261e"
    href = html.escape(question.href(link_ext, link_base))
    target = ' target="_blank"' if link_base else ""
    link = f'<a href="{href}"{target}>{html.escape(question.section)}</a>'
    return (
        f'<div class="{CSS_PREFIX}-feedback" style="border-left: 4px solid {colour}; '
        f'padding-left: 0.6em; margin: 0.3em 0 0.8em 0">'
        f'<b style="color: {colour}">{verdict}</b> <i>You picked: “{html.escape(picked)}”</i><br>'
        f"{html.escape(question.explanation)} "
        f"Read more: {link}.</div>"
    )


def _prompt_html(number: int, question: Question) -> str:
    return f"<b>{number}. {html.escape(question.prompt)}</b>"


def _tier_heading(tier: int):
    """The heading shown above the first question of a tier."""
    import ipywidgets as w

    heading = w.HTML(value=f"<h4 style='margin: 0.8em 0 0.2em 0'>{html.escape(TIERS[tier])}</h4>")
    heading.add_class(f"{CSS_PREFIX}-tier{tier}")
    return heading


def _with_tier_headings(rows: Sequence, questions: Sequence[Question]) -> list:
    """The question rows with a tier heading before the first question of each tier (none when
    every question is of one tier, as in a reader's own list)."""
    if len({q.tier for q in questions}) < 2:
        return list(rows)
    out, seen = [], set()
    for row, q in zip(rows, questions, strict=True):
        if q.tier not in seen:
            seen.add(q.tier)
            out.append(_tier_heading(q.tier))
        out.append(row)
    return out


def _radio(i: int, question: Question):
    import ipywidgets as w

    radio = w.RadioButtons(
        options=list(question.options),
        index=None,
        layout=w.Layout(width="auto"),
        style={"description_width": "0px"},
    )
    radio.add_class(f"{CSS_PREFIX}-q{i + 1}")
    return radio


def widget(
    questions: Sequence[Question] = QUESTIONS,
    link_ext: str = ".ipynb",
    link_base: str | None = None,
):
    """The live quiz (needs a kernel): radio buttons, feedback and a running score.

    Args:
        questions: the questions to ask.
        link_ext: suffix of the section links (``".ipynb"`` in Jupyter, ``".html"`` on the site).
        link_base: put before each link; ``None`` means :func:`colab_notebooks_url` (the
            notebooks' Colab address in Colab, relative links elsewhere).

    Returns:
        An ``ipywidgets.VBox``: the score line, then for each tier its heading and its
        questions (one ``VBox`` of prompt, radio buttons and feedback each).
    """
    import ipywidgets as w

    base = colab_notebooks_url() if link_base is None else link_base
    total = len(questions)
    score = w.HTML(value=f"<b>{score_text(0, 0, total)}</b>")
    score.add_class(f"{CSS_PREFIX}-score")
    radios = [_radio(i, q) for i, q in enumerate(questions)]
    feedbacks = [w.HTML(value="") for _ in questions]

    def on_change(_change: dict) -> None:
        # Recompute everything from the radios: answers may change, and the score must follow.
        answered, correct = grade([r.index for r in radios], questions)
        score.value = f"<b>{score_text(answered, correct, total)}</b>"
        for q, r, fb in zip(questions, radios, feedbacks, strict=True):
            fb.value = "" if r.index is None else feedback_html(q, r.index, link_ext, base)

    for r in radios:
        r.observe(on_change, names="index")
    rows = [
        w.VBox([w.HTML(value=_prompt_html(i + 1, q)), r, fb])
        for i, (q, r, fb) in enumerate(zip(questions, radios, feedbacks, strict=True))
    ]
    return w.VBox([score, *_with_tier_headings(rows, questions)])


def static(questions: Sequence[Question] = QUESTIONS, link_ext: str = ".html"):
    """The kernel-free quiz for the built site: feedback chosen in the browser by ``jslink``.

    Each question's ``RadioButtons.index`` drives the ``selected_index`` of a ``Stack`` whose
    children are the feedback for each option, so no Python runs when a reader clicks. There is no
    running score here (that needs a kernel); the live :func:`widget` has one.

    Args:
        questions: the questions to ask.
        link_ext: suffix of the section links (``".html"`` for the built site).

    Returns:
        An ``ipywidgets.VBox`` of tier headings and one block per question; on ipywidgets 7
        (no ``Stack``), one printed line saying so and the live :func:`widget`.
    """
    return kernel_free(lambda: _static(questions, link_ext), lambda: widget(questions), "quiz")


def _static(questions: Sequence[Question], link_ext: str):
    import ipywidgets as w

    rows = []
    for i, q in enumerate(questions):
        radio = _radio(i, q)
        stack = w.Stack(
            [w.HTML(value=feedback_html(q, k, link_ext)) for k in range(len(q.options))],
            selected_index=None,
        )
        stack.add_class(f"{CSS_PREFIX}-fb{i + 1}")
        w.jslink((radio, "index"), (stack, "selected_index"))
        rows.append(w.VBox([w.HTML(value=_prompt_html(i + 1, q)), radio, stack]))
    return w.VBox(_with_tier_headings(rows, questions))


def show(questions: Sequence[Question] = QUESTIONS):
    """The notebook's one quiz cell: :func:`static` when the project's executor runs it
    (``REASONLAB_STATIC_WIDGETS=1``: stored outputs, the book), :func:`widget` in a kernel."""
    return static(questions) if static_wanted() else widget(questions)
