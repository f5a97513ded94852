"""The chapter's self-check: five questions as data, a live widget and a static (kernel-free) one.

The questions follow the five topics of the source's self-check; the wording, the options and the
explanations are ours. Each explanation points to the notebook that answers it.

Two front ends share the same data:

* :func:`widget` needs a kernel: answering updates a running score ("Answered a/5 · Correct c/5").
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
from dataclasses import dataclass
from importlib import metadata
from pathlib import PurePosixPath

from .labs.static import kernel_free, static_wanted

NUM_OPTIONS = 4
# A radio-button label does not wrap cleanly in every front end (long ones overlap the next
# option in the built page), so options stay short; the explanation carries the detail.
MAX_OPTION_CHARS = 80
CSS_PREFIX = "reasonlab-quiz"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.

    Attributes:
        prompt: the question, plain text.
        options: the answers offered, plain text, in display order.
        correct: index into ``options`` of the one right answer.
        explanation: why the right answer is right, plain text (shown after any choice).
        section: title of the section that answers it (the link text).
        link: notebook that answers it, relative to ``notebooks/`` (``"03_star_to_rlvr.ipynb"``),
            optionally with a ``#heading-anchor``.
    """

    prompt: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    section: str
    link: str

    def __post_init__(self) -> None:
        if len(self.options) != NUM_OPTIONS:
            raise ValueError(
                f"question {self.prompt!r} has {len(self.options)} options; expected {NUM_OPTIONS}"
            )
        for option in self.options:
            if len(option) > MAX_OPTION_CHARS:
                raise ValueError(
                    f"option {option!r} has {len(option)} characters; at most "
                    f"{MAX_OPTION_CHARS} fit on one line of a radio button"
                )
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"question {self.prompt!r} repeats an option")
        if not 0 <= self.correct < len(self.options):
            raise ValueError(
                f"question {self.prompt!r}: correct={self.correct} is not an option index "
                f"0..{len(self.options) - 1}"
            )
        path = self.link.split("#", 1)[0]
        if not path.endswith((".ipynb", ".md")):
            raise ValueError(f"question {self.prompt!r}: link {self.link!r} is not a .ipynb/.md")

    def href(self, ext: str = ".ipynb", base: str = "") -> str:
        """The link with the file suffix replaced by ``ext`` (``".html"`` for the built site),
        after ``base`` (a folder's address ending in ``/``; empty for a relative link)."""
        path, _, anchor = self.link.partition("#")
        target = base + str(PurePosixPath(path).with_suffix(ext))
        return f"{target}#{anchor}" if anchor else target


QUESTIONS: tuple[Question, ...] = (
    Question(
        prompt="What sets RL with verifiable rewards (RLVR) apart from preference-based RLHF?",
        options=(
            "RLVR needs more human labels: an annotator rates every sampled answer.",
            "A program checks the answer to give the reward; no reward model is learned.",
            "RLVR drops the policy gradient and imitates human-written solutions.",
            "RLVR rewards longer chains of thought, whatever the answer.",
        ),
        correct=1,
        explanation=(
            "The optimisation is the same policy-gradient objective as in RLHF; what changes is "
            "where the reward comes from. In RLVR a checker V(x, y) returns 1 when the final "
            "answer is verifiably right and 0 otherwise, so there is no learned reward model to "
            "drift or be gamed, and no annotator in the loop."
        ),
        section="RLVR versus preference-based RLHF",
        link="02_verifiable_rewards.ipynb#rlvr-versus-preference-based-rlhf",
    ),
    Question(
        prompt=(
            "Which early method approximated a policy gradient by keeping only the reasoning "
            "traces that reached the right answer and training on them with cross-entropy?"
        ),
        options=(
            "Best-of-N sampling at inference time",
            "PPO with a learned value critic",
            "STaR, the Self-Taught Reasoner",
            "Direct Preference Optimisation (DPO)",
        ),
        correct=2,
        explanation=(
            "STaR (2022) samples rationales, keeps those whose final answer is correct and "
            "fine-tunes on them with ordinary cross-entropy. That is a policy-gradient step with a "
            "0/1 reward and no baseline; TRICE (2023) then added a baseline, and RLVR methods such "
            "as GRPO sample, score and update in one loop."
        ),
        section="Filtering plus cross-entropy is REINFORCE",
        link="03_star_to_rlvr.ipynb#filtering-plus-cross-entropy-is-reinforce",
    ),
    Question(
        prompt="Why did OpenAI o1 and DeepSeek R1 put inference-time scaling in the spotlight?",
        options=(
            "Accuracy kept rising with more thinking tokens or samples per question.",
            "Thinking longer is free: longer chains add no latency or cost.",
            "It makes training unnecessary: with enough samples a base model needs no RL.",
            "Their verifiers ran only at inference time, so training used no rewards.",
        ),
        correct=0,
        explanation=(
            "Both reported that spending more compute per question (longer chains of thought, "
            "several samples combined by a vote) raised accuracy smoothly. The gain is real but "
            "not free: every extra token costs latency and money, which is the trade-off the "
            "inference-scaling section measures."
        ),
        section="Inference-time scaling",
        link="05_inference_scaling.ipynb",
    ),
    Question(
        prompt="Which of these is a verifiable reward signal?",
        options=(
            "An annotator's 1-to-7 rating of how helpful the answer sounds",
            "The score of a reward model trained on pairwise human preferences",
            "The model's own confidence, e.g. the mean log-probability of its answer",
            "Unit tests run on the generated program: reward 1 if they all pass",
        ),
        correct=3,
        explanation=(
            "A verifiable reward is computed by a deterministic check against ground truth: unit "
            "tests for code, an answer key for maths, an exact rule for logic. Ratings, reward "
            "models and self-confidence are judgements, which a policy can learn to please "
            "without being right."
        ),
        section="Verifiable rewards",
        link="02_verifiable_rewards.ipynb",
    ),
    Question(
        prompt="How do modern reasoning recipes use distillation?",
        options=(
            "The small model does RLVR from scratch; the large one only supplies the reward.",
            "Small students are fine-tuned on a large RL model's verified reasoning traces.",
            "Distillation deletes the chain of thought so the model answers directly.",
            "Distillation averages the weights of several RL checkpoints into one model.",
        ),
        correct=1,
        explanation=(
            "RL is expensive and works best on a strong model; its successful trajectories, "
            "logged with their verifier feedback, become supervised data for smaller students. "
            "DeepSeek R1's distilled models are the best-known example, and mixing these traces "
            "with ordinary instruction data spreads the reasoning style further."
        ),
        section="Distillation: compressing the tutor",
        link="09_distillation.ipynb",
    ),
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
    """The running score line, e.g. ``"Answered 2/5 · Correct 1/5"``."""
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
        An ``ipywidgets.VBox``; the score line is its first child.
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
    return w.VBox([score, *rows])


def static(questions: Sequence[Question] = QUESTIONS, link_ext: str = ".html"):
    """The kernel-free quiz for the built site: feedback chosen in the browser by ``jslink``.

    Each question's ``RadioButtons.index`` drives the ``selected_index`` of a ``Stack`` whose
    children are the feedback for each option, so no Python runs when a reader clicks. There is no
    running score here (that needs a kernel); the live :func:`widget` has one.

    Args:
        questions: the questions to ask.
        link_ext: suffix of the section links (``".html"`` for the built site).

    Returns:
        An ``ipywidgets.VBox`` of one block per question; on ipywidgets 7 (no ``Stack``), one
        printed line saying so and the live :func:`widget`.
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
    return w.VBox(rows)


def show(questions: Sequence[Question] = QUESTIONS):
    """The notebook's one quiz cell: :func:`static` when the project's executor runs it
    (``REASONLAB_STATIC_WIDGETS=1``: stored outputs, the book), :func:`widget` in a kernel."""
    return static(questions) if static_wanted() else widget(questions)
