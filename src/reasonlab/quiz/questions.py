"""The quiz's ten questions, as data: two tiers of five, each with four short options, the right
one, an explanation and the notebook heading that answers it (checked when a :class:`Question` is
made)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

NUM_OPTIONS = 4
# A radio-button label does not wrap cleanly in every front end (long ones overlap the next
# option in the built page), so options stay short; the explanation carries the detail.
MAX_OPTION_CHARS = 80
CSS_PREFIX = "reasonlab-quiz"

#: The two tiers, in the order they are asked, with the heading shown above each.
TIERS: dict[int, str] = {
    1: "Part 1: the ideas",
    2: "Part 2: what the chapter measured",
}


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
        tier: which part of the quiz it belongs to, a key of :data:`TIERS`.
    """

    prompt: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    section: str
    link: str
    tier: int = 1

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
        if self.tier not in TIERS:
            raise ValueError(
                f"question {self.prompt!r}: tier {self.tier} is not one of {list(TIERS)}"
            )

    def href(self, ext: str = ".ipynb", base: str = "") -> str:
        """The link with the file suffix replaced by ``ext`` (``".html"`` for the built site),
        after ``base`` (a folder's address ending in ``/``; empty for a relative link)."""
        path, _, anchor = self.link.partition("#")
        target = base + str(PurePosixPath(path).with_suffix(ext))
        return f"{target}#{anchor}" if anchor else target


QUESTIONS: tuple[Question, ...] = (
    # ------------------------------------------------------------------ tier 1: the ideas
    Question(
        prompt=(
            "The chapter trains with the same policy-gradient update RLHF uses. What does RLVR "
            "change?"
        ),
        options=(
            "The update itself: a 0/1 reward needs an estimator of its own.",
            "Where the reward comes from: a program checks the answer; nothing is learned.",
            "How answers are produced: RLVR copies reference solutions instead of sampling.",
            "What is paid for: every reasoning step earns reward, not only the answer.",
        ),
        correct=1,
        explanation=(
            "The estimator is the REINFORCE gradient in both cases. RLHF scores an answer with a "
            "reward model fitted to people's comparisons, which the policy can learn to please "
            "without being right; RLVR asks a checker (an exact comparison, unit tests) and gets a "
            "verdict that is exact for what it checks, cheap, and available only where answers can "
            "be checked. Our reward never looks at the thinking, only at the committed answer."
        ),
        section="RLVR versus RLHF, and STaR as REINFORCE",
        link="01_rlvr_objective.ipynb#rlvr-versus-rlhf-and-star-as-reinforce",
    ),
    Question(
        prompt=(
            "Sample answers, keep the ones the checker accepts, fine-tune on them with "
            "cross-entropy. Written as a policy gradient, what is that loop?"
        ),
        options=(
            "REINFORCE with a learned critic as the baseline",
            "PPO: the kept answers bound how far the policy moves",
            "Preference optimisation of kept answers over dropped ones",
            "REINFORCE with a 0/1 reward and no baseline",
        ),
        correct=3,
        explanation=(
            "The gradient of the log-likelihood of the kept answers is the sum over all sampled "
            "answers of verdict times the gradient of their log-probability: the dropped ones have "
            "verdict 0, and nothing is subtracted. That is STaR's filter. Cross-entropy divides "
            "by the kept tokens where REINFORCE divides by the batch, a positive factor, and the "
            "original STaR samples from a frozen earlier policy; notebook 03 checks the gradient "
            "and runs the on-policy loop beside REINFORCE."
        ),
        section="Filtering plus cross-entropy is REINFORCE",
        link="03_star_to_rlvr.ipynb#filtering-plus-cross-entropy-is-reinforce",
    ),
    Question(
        prompt=(
            "Answering by a majority vote over k sampled answers raises accuracy. What does it "
            "cost on every question?"
        ),
        options=(
            "About k times the tokens; the wait need not grow if the k run side by side",
            "Nothing per question: the extra compute was paid once, during training",
            "A checker that knows the right answer, run at answer time",
            "k times the wait: each sample starts when the previous one ends",
        ),
        correct=0,
        explanation=(
            "Training is paid once; answer-time compute is paid on every request. Each of the k "
            "samples is generated in full, so tokens (and money) grow about k-fold, while parallel "
            "samples decode together and the wait stays near that of one. A vote needs agreement, "
            "not a checker, which is why it can be deployed where pass@k cannot. Revisions are the "
            "sequential alternative: they wait, but stop paying once a checker signs off."
        ),
        section="What it costs, and the cheapest setting that is good enough",
        link="05_inference_scaling.ipynb#what-it-costs-and-the-cheapest-setting-that-is-good-enough",
    ),
    Question(
        prompt=(
            "A policy under RL pressure hunts for completions its grader wrongly accepts. Which "
            "grader of notebook 02 left it none to find?"
        ),
        options=(
            "Reward 1 if the gold answer appears anywhere in the completion",
            "Reward 1 if the last number in the completion equals the gold",
            "Parse the committed final answer and compare its value with the gold",
            "Reward 1 for <think>...</think> followed by an answer",
        ),
        correct=2,
        explanation=(
            "A substring check pays for 'The answer is 123' when the gold is 12, the last-number "
            "check pays for 'It is either 4 or 5', and a format reward pays for the shape of "
            "reasoning whatever the answer. The committed-answer verifier made no false accept on "
            "the labelled corpus, held-out cases included: it gives up some recall (a correct "
            "answer left unrewarded) before it gives up precision, because a false accept teaches "
            "the policy something wrong."
        ),
        section="Reward hacking: measuring naive verifiers",
        link="02_verifiable_rewards.ipynb#reward-hacking-measuring-naive-verifiers",
    ),
    Question(
        prompt=(
            "Why can cross-entropy on the tutor's logged successes pass its habits to a student "
            "more cheaply than RL on the student itself?"
        ),
        options=(
            "The student is larger than the tutor, so it has room to copy it",
            "Every token of a logged completion is a target; RL gets one verdict per sample",
            "Distillation pays a reward for each thinking token the student writes",
            "The verifier grades every distillation step, so no update is wasted",
        ),
        correct=1,
        explanation=(
            "Distillation is supervised fine-tuning on completions the verifier already accepted "
            "during the tutor's RL: no sampling and no verifier in the loop, and the whole "
            "completion, thinking included, is shown to the student. RL has to find a behaviour "
            "through its own rare rewarded samples, one bit of feedback per completion. The "
            "students are smaller than the tutor: that is what makes them cheap to serve."
        ),
        section="The loss",
        link="09_distillation.ipynb#the-loss",
    ),
    # ---------------------------------------------------- tier 2: what the chapter measured
    Question(
        prompt=(
            "In notebook 01's bandit, when did the exact-value baseline b(x) = v(x) make the "
            "gradient noisier than no baseline at all?"
        ),
        options=(
            "With one correct answer that the policy already gives most of its probability",
            "With several correct answers and a good policy",
            "Never: a baseline that ignores the sampled answer cannot add variance",
            "Only at the start, when the policy is right by luck",
        ),
        correct=0,
        explanation=(
            "Ignoring the sampled answer keeps the estimate unbiased; it says nothing about its "
            "variance. When the one correct answer is already likely, a success carries an almost "
            "zero gradient (onehot minus pi is near 0), while under the baseline every rare "
            "failure gets a full-size push weighted by -v(x): the variance goes up. With several "
            "correct forms the opposite happens, and the reduction grows with the pass rate, "
            "because the baseline cancels the random shoves between equally good answers."
        ),
        section="How much variance does a baseline remove?",
        link="01_rlvr_objective.ipynb#how-much-variance-does-a-baseline-remove",
        tier=2,
    ),
    Question(
        prompt=(
            "With the group baseline, dropping the groups whose samples all got the same reward "
            "changed the run very little. Why?"
        ),
        options=(
            "The loop refilled the batch with fresh prompts, so no signal was lost",
            "Those groups were the hardest prompts, which the policy never learns anyway",
            "Their advantages were already zero; dropping them only rescales the loss",
            "The verifier had not graded those groups, so they were never in the loss",
        ),
        correct=2,
        explanation=(
            "A group in which every sample scored the same gives each of them advantage 0 under a "
            "group baseline, so it adds nothing to the gradient; removing it changes only the "
            "count the loss is divided by, and gradient clipping and the optimiser absorb a change "
            "of scale. Most such groups late in training are prompts every sample solves, not "
            "unsolvable ones. DAPO's dynamic sampling helps because it refills the batch with "
            "informative groups, which this loop does not do."
        ),
        section="Groups with no signal",
        link="04_reinforce_grpo.ipynb#groups-with-no-signal",
        tier=2,
    ),
    Question(
        prompt=("On the same k samples per problem, what does pass@k minus majority@k measure?"),
        options=(
            "The share of problems that none of the k samples solved",
            "The gain from RL training over the base policy",
            "The extra tokens a vote spends compared with a single sample",
            "Problems where a right answer was sampled but lost the vote",
        ),
        correct=3,
        explanation=(
            "pass@k counts a problem when any of the k samples is right, which is what a perfect "
            "selector (a checker that knows the answer) would return; majority@k is what agreement "
            "alone returns. A correct vote implies a correct sample, so the difference is the "
            "share of problems solved somewhere in the samples but not by the vote: the most a "
            "better selector could add without drawing a single extra sample. The share nobody "
            "solved is one minus pass@k."
        ),
        section="Who picks the answer?",
        link="05_inference_scaling.ipynb#who-picks-the-answer",
        tier=2,
    ),
    Question(
        prompt=(
            "A baseline is the mean reward of all G answers to a prompt, the answer's own reward "
            "included. What happens to the expected gradient?"
        ),
        options=(
            "Nothing: any mean over the group is a valid baseline",
            "It is scaled by 1 - 1/G: same direction, a little smaller",
            "It becomes zero whenever exactly one answer is right",
            "It is biased towards the answers that failed",
        ),
        correct=1,
        explanation=(
            "A baseline leaves the expected gradient alone only if it does not depend on the "
            "sampled answer, and this one contains the answer's own reward with weight 1/G. Sample "
            "by sample, reward minus the mean of all G equals (1 - 1/G) times reward minus the "
            "mean of the other G - 1 (the leave-one-out baseline, which is unbiased), so the "
            "direction is kept and the size shrinks by 1 - 1/G: 7/8 for groups of eight."
        ),
        section="The objective",
        link="01_rlvr_objective.ipynb#the-objective",
        tier=2,
    ),
    Question(
        prompt=(
            "The KL penalty adds the k3 estimate per sample to the loss. Differentiated with the "
            "samples held fixed, which gradient does that term give?"
        ),
        options=(
            "That of KL(base || policy), the reverse of the direction its value estimates",
            "That of KL(policy || base), the direction its value estimates",
            "Zero on average: k3 only reports how far the policy moved",
            "That of the policy's entropy, which it raises",
        ),
        correct=0,
        explanation=(
            "As a number, the mean of k3 over samples from the policy estimates KL(policy || "
            "base), the figure the kl curves report. As a term of the loss its gradient is that of "
            "the other direction, KL(base || policy), which punishes most the answers the base "
            "gives and the policy has stopped giving. Both are zero only when the policy equals "
            "the base, so either keeps it near. A zero gradient on average is what k1 gives in the "
            "loss."
        ),
        section="A KL penalty to the base policy",
        link="04_reinforce_grpo.ipynb#a-kl-penalty-to-the-base-policy",
        tier=2,
    ),
)
