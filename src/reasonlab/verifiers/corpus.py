"""A hand-labelled corpus of (gold, completion, equal) cases for math verifiers.

Each case says whether a careful human grader would accept the completion's *committed* final
answer as equal to the gold answer. Labels follow the rules in :mod:`.extraction` and
:mod:`.normalize` where a convention is needed (percentages, units, unordered lists), and plain
mathematical truth otherwise, so a verifier can disagree with a label and lose recall or
precision honestly. Used by the tests, ``benchmarks/verifiers.py`` and the "Verifiable rewards"
notebook. Categories let a reader see where each verifier fails.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One labelled (gold, completion) pair."""

    gold: str  # bare answer or reference solution
    completion: str  # model-style output
    equal: bool  # would a careful grader give reward?
    category: str  # what the case exercises


def _cases(category: str, rows: list[tuple[str, str, bool]]) -> list[Case]:
    return [Case(g, c, e, category) for g, c, e in rows]


GSM8K = _cases(
    "gsm8k ####",
    [
        ("936", "<think>900 + 36 = 936</think> #### 936", True),
        ("936", "<think>900 + 36 = 936</think> #### 963", False),
        ("72", "Natalia sold 48/2 = 24 clips in May.\n48 + 24 = 72\n#### 72", True),
        ("72", "48 + 24 = 72 clips.\n#### 72.0", True),
        ("1234", "<think>1000 + 234</think>\n#### 1,234", True),
        ("1234", "#### 1,243", False),
        ("10", "He pays 5 * 2 = $10.\n#### $10", True),
        ("-3", "The temperature drops to -3 degrees.\n#### -3", True),
        ("-3", "#### 3", False),
        ("0", "<think>5 - 5 = 0</think> #### 0", True),
        ("5", "#### 05", True),
        ("18", "She eats 3 and bakes 4, so 16 - 3 - 4 = 9 eggs; 9 * 2 = 18.\n#### 18", True),
        ("18", "16 - 3 - 4 = 9 eggs at $2 each.\n#### 9", False),
        ("3", "Each bolt takes 2 blue and 1 white.\n#### 3 bolts", True),
        ("70000", "Profit = 200000 - 130000.\n#### 70,000", True),
        ("70000", "#### 7000", False),
        ("540", "<think>3 sprints * 3 times * 60 m</think>\n#### 540 meters", True),
        ("20", "Janet needs 20 cups.\n#### 20 cups", True),
        ("64", "<think>8 * 8 = 64</think> #### 64", True),
        ("366", "#### 366\nExtra text after the answer is ignored.", True),
        (
            "Weng earns 12/60 = $0.2 per minute.\n50 * 0.2 = $10.\n#### 10",
            "<think>12 / 60 * 50</think> #### 10",
            True,
        ),
        ("Natalia sold 48/2 = 24 clips in May. #### 72", "#### 24", False),
    ],
)

BOXED = _cases(
    "boxed",
    [
        ("\\frac{14}{3}", "So $x = \\boxed{\\frac{14}{3}}$.", True),
        ("\\frac{14}{3}", "Thus \\boxed{\\dfrac{14}{3}}", True),
        ("\\frac{14}{3}", "\\boxed{14/3}", True),
        ("\\frac{14}{3}", "\\boxed{4\\frac{2}{3}}", True),
        ("\\frac{14}{3}", "\\boxed{4.67}", False),
        ("\\frac{14}{3}", "\\boxed{\\frac{3}{14}}", False),
        ("5", "First guess \\boxed{4}, but checking again gives \\boxed{5}.", True),
        ("4", "First guess \\boxed{4}, but checking again gives \\boxed{5}.", False),
        ("\\frac{1}{2}", "The probability is \\boxed{\\frac{1}{2}}.", True),
        ("\\frac{1}{2}", "The probability is \\boxed{0.5}.", True),
        ("\\frac{1}{2}", "The probability is \\boxed{50\\%}.", True),
        ("\\sqrt{2}", "The length is \\boxed{\\sqrt{2}}.", True),
        ("\\sqrt{2}", "The length is \\boxed{\\sqrt{3}}.", False),
        ("\\sqrt{2}", "The length is \\boxed{1.414}.", False),
        ("2\\sqrt{2}", "\\boxed{\\sqrt{8}}", True),
        ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt3}{2}}", True),
        ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{1}{2}\\sqrt{3}}", True),
        ("10", "\\fbox{10}", True),
        ("10", "\\boxed 10", True),
        ("\\pi", "\\boxed{\\pi}", True),
        ("\\pi", "\\boxed{3.14}", False),
        ("2\\pi", "\\boxed{2 \\pi}", True),
        ("{\\frac{1}{4}}", "\\boxed{{\\frac{1}{4}}}", True),
        ("-\\frac{1}{3}", "\\boxed{\\frac{-1}{3}}", True),
        ("-\\frac{1}{3}", "\\boxed{\\frac{1}{3}}", False),
        (
            "Let the sides be... so the area is $\\boxed{25}$.",
            "<think>5*5</think> The area is \\boxed{25}.",
            True,
        ),
        ("Hence $\\boxed{7}$ solutions.", "\\boxed{17}", False),
        ("8", "The box \\boxed{8 is unbalanced", False),
    ],
)

ANSWER_TAGS = _cases(
    "answer tags / think",
    [
        ("42", "<think>6 * 7 = 42</think><answer>42</answer>", True),
        ("42", "<think>6 * 7 = 42</think><answer>41</answer>", False),
        ("42", "<think>it is 42</think><answer>\\boxed{42}</answer>", True),
        ("42", "<think>6 * 7 = 42</think> I am not sure.", False),
        ("42", "<think>6 * 7 = 42 so the answer is 42", False),
        ("42", "<think>6 * 7 = 42</think> 42", True),
        ("42", "<think>maybe 40</think> 42", True),
        ("40", "<think>maybe 40</think> 42", False),
        ("15", "<think>10 + 5</think>\nThe answer is 15.", True),
        ("15", "<think>10 + 5 = 15</think>\nThe answer is 16.", False),
        ("7", "<answer>7</answer> wait, actually #### 8", True),
        ("3.5", "<think>7/2</think><answer> 3.5 </answer>", True),
        ("3.5", "<think>7/2</think><answer>7/2</answer>", True),
        ("12", "<think>\\boxed{12}</think> The answer is 13.", False),
        ("13", "<think>\\boxed{12}</think> The answer is 13.", True),
    ],
)

ANSWER_IS = _cases(
    "answer is",
    [
        ("25", "Adding them up, the answer is 25.", True),
        ("25", "The final answer is 25 dollars. Next I double-check.", True),
        ("25", "Final answer: 25", True),
        ("2.5", "The answer is 2.5. I checked it twice.", True),
        ("2.5", "The answer is 2.", False),
        ("100", "Answer: $100", True),
        ("100", "The answer is 1000.", False),
        ("8", "I think the answer is 8, since 2^3 = 8.", True),
    ],
)

FALLBACK = _cases(
    "last number",
    [
        ("36", "We have 6 rows of 6 chairs, so 36", True),
        ("36", "6 rows times 6 chairs gives 6 * 6 = 36.", True),
        ("36", "6 rows times 6 chairs gives 6 * 6 = 35.", False),
        ("11", "So in total she has 11 apples.", True),
        ("11", "So in total she has 12 apples.", False),
        ("4", "x = 4", True),
        ("-7", "The result is −7.", True),
        ("250", "Total cost: 2 * 125 = 250 dollars", True),
    ],
)

TRAPS = _cases(
    "false-positive traps",
    [
        ("12", "#### 123", False),
        ("12", "The answer is 123.", False),
        ("12", "\\boxed{112}", False),
        ("12", "Counting: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12", False),
        ("12", "Possible values: 10, 11, 12, 13", False),
        ("5", "The answer is 3, 4, or 5.", False),
        ("5", "It is either 4 or 5.", False),
        ("5", "\\boxed{4 \\text{ or } 5}", False),
        ("5", "<think>so it's 5</think> I cannot solve this problem.", False),
        ("17", "<think>17 is the answer</think> The question asks for 12 + 5?", False),
        ("17", "What is 12 + 5?", False),
        ("9", "We need 12 - 3 = 9 more, but first compute 4 +", False),
        ("20", "<think>20</think>", False),
        ("20", "<think>20", False),
        ("20", "", False),
        ("20", "#### twenty-one", False),
        ("1", "\\boxed{1 + 1}", False),
        ("6", "#### 6\n#### 7", False),
        ("7", "#### 6\n#### 7", True),
        ("1000", "\\boxed{1,000,000}", False),
        ("3", "<answer>3 4 5</answer>", False),
        ("0.5", "\\boxed{0.05}", False),
        ("100", "\\boxed{100\\%}", True),
        ("2", "#### 2x", False),
    ],
)

NORMALIZATION = _cases(
    "normalisation",
    [
        ("1000000", "\\boxed{1{,}000{,}000}", True),
        ("1000000", "\\boxed{10^6}", True),
        ("1000000", "\\boxed{1 \\times 10^{6}}", True),
        ("1000000", "#### 1e6", True),
        ("0.00012", "\\boxed{1.2 \\times 10^{-4}}", True),
        ("0.00012", "#### 1.2e-4", True),
        ("5", "\\boxed{5.000}", True),
        ("5", "\\boxed{+5}", True),
        ("5", "\\boxed{-5}", False),
        ("-5", "\\boxed{−5}", True),
        ("-5", "\\boxed{- 5}", True),
        ("7", "#### ７", True),
        ("1/2", "The answer is ½.", True),
        ("5/2", "The answer is 2½.", True),
        ("5/2", "\\boxed{2\\frac{1}{2}}", True),
        ("5/2", "#### 2 1/2", True),
        ("1/3", "\\boxed{0.\\overline{3}}", True),
        ("1/6", "\\boxed{0.1\\overline{6}}", True),
        ("1/3", "\\boxed{0.3}", False),
        ("2/3", "\\boxed{0.67}", False),
        ("25\\%", "\\boxed{25\\%}", True),
        ("25\\%", "\\boxed{25}", True),
        ("25\\%", "\\boxed{0.25}", True),
        ("25\\%", "\\boxed{0.025}", False),
        ("0.25", "The answer is 25%.", True),
        ("5 \\text{ cm}", "\\boxed{5\\text{ cm}}", True),
        ("5 \\text{ cm}", "\\boxed{5 \\text{ centimeters}}", True),
        ("5 \\text{ cm}", "\\boxed{5\\text{ m}}", False),
        ("5 \\text{ cm}", "\\boxed{5}", True),
        ("5", "#### 5 apples", True),
        ("5 apples", "#### 5 oranges", False),
        ("90^\\circ", "\\boxed{90}", True),
        ("90", "\\boxed{90^{\\circ}}", True),
        ("\\$18.90", "#### 18.9", True),
        ("\\$18.90", "#### $18.09", False),
        ("x^2", "\\boxed{x²}", True),
        ("\\sqrt{5}", "\\boxed{√5}", True),
        ("2\\pi", "\\boxed{2π}", True),
        ("\\left(1, 2\\right)", "\\boxed{(1,2)}", True),
        ("\\text{(B)}", "\\boxed{\\text{(B)}}", True),
        ("123456789012345678901234567890", "#### 123456789012345678901234567890", True),
        ("123456789012345678901234567890", "#### 123456789012345678901234567891", False),
        ("2^{100}", "#### 1267650600228229401496703205376", True),
        ("2^{100}", "#### 1267650600228229401496703205377", False),
        ("007", "#### 7", True),
        ("3.0", "\\boxed{3}", True),
        ("\\frac{6}{4}", "\\boxed{\\frac{3}{2}}", True),
        ("0.1", "\\boxed{\\frac{1}{10}}", True),
        ("x = 3", "\\boxed{3}", True),
        ("3", "\\boxed{x = 3}", True),
        ("3", "\\boxed{x = 4}", False),
    ],
)

SYMBOLIC = _cases(
    "symbolic",
    [
        ("(x+1)^2", "\\boxed{x^2 + 2x + 1}", True),
        ("(x+1)^2", "\\boxed{x^2 + 1}", False),
        ("\\frac{x}{2}", "\\boxed{0.5x}", True),
        ("2x + 3y", "\\boxed{3y + 2x}", True),
        ("\\sin^2 x + \\cos^2 x", "\\boxed{1}", True),
        ("\\frac{1}{\\sqrt{2}}", "\\boxed{\\frac{\\sqrt{2}}{2}}", True),
        ("\\sqrt{12}", "\\boxed{2\\sqrt{3}}", True),
        ("\\frac{\\pi}{4}", "\\boxed{\\frac{1}{4}\\pi}", True),
        ("e^{2}", "\\boxed{e^2}", True),
        ("\\ln 8", "\\boxed{3\\ln 2}", True),
        ("y = 2x + 1", "\\boxed{y = 1 + 2x}", True),
        ("y = 2x + 1", "\\boxed{2x - y + 1 = 0}", True),
        ("y = 2x + 1", "\\boxed{y = 2x - 1}", False),
        ("(1, 2)", "\\boxed{(1, 2)}", True),
        ("(1, 2)", "\\boxed{(2, 1)}", False),
        ("\\{1, 2\\}", "\\boxed{\\{2, 1\\}}", True),
        ("\\{1, 2\\}", "\\boxed{\\{1, 3\\}}", False),
        ("1, 2, 3", "The roots are \\boxed{3, 1, 2}", True),
        ("[0, 1)", "\\boxed{[0, 1)}", True),
        ("[0, 1)", "\\boxed{[0, 1]}", False),
        ("(-\\infty, 3]", "\\boxed{(-\\infty, 3]}", True),
        ("(-\\infty, 3]", "\\boxed{(-\\infty, 3)}", False),
        ("(2, \\frac{1}{2})", "\\boxed{(2, 0.5)}", True),
        ("5!", "\\boxed{120}", True),
        ("\\binom{5}{2}", "\\boxed{10}", True),
        ("\\frac{3}{x}", "\\boxed{3x^{-1}}", True),
        ("2^{10}", "\\boxed{1024}", True),
        ("\\sqrt[3]{27}", "\\boxed{3}", True),
    ],
)

# Written after the verifier was frozen and never used to tune it: its score on these is an
# honest estimate of how it generalises; the cases above were written alongside the code.
HELD_OUT = _cases(
    "held-out",
    [
        ("48", "<think>12 * 4 = 48</think>\nShe needs 48 stickers in total.", True),
        ("48", "<think>12 * 4 = 48</think>\nShe needs 4 packs of 12.", False),
        ("0.75", "\\boxed{\\frac{3}{4}}", True),
        ("0.75", "\\boxed{\\frac{4}{3}}", False),
        ("\\frac{5}{8}", "#### 0.625", True),
        ("3\\sqrt{2}", "\\boxed{\\sqrt{18}}", True),
        ("3\\sqrt{2}", "\\boxed{\\sqrt{17}}", False),
        ("12", "<answer> 12 </answer>", True),
        ("12", "<answer>twelve</answer>", False),
        ("-2", "The solutions give x = -2.", True),
        ("-2", "The solutions give x = 2.", False),
        ("1500", "#### 1 500", True),
        ("1500", "The total is \\$1,500.00.", True),
        ("60", "The speed is \\boxed{60 \\text{ km/h}}", True),
        ("60 \\text{ km/h}", "\\boxed{60 \\text{ mph}}", False),
        ("\\frac{1}{4}", "The probability is 25%.", True),
        ("(3, -1)", "\\boxed{(3,-1)}", True),
        ("(3, -1)", "\\boxed{(-1, 3)}", False),
        ("x^2 - 1", "\\boxed{(x-1)(x+1)}", True),
        ("x^2 - 1", "\\boxed{(x-1)^2}", False),
        ("4", "<think>2+2</think><answer>The answer is 4</answer>", True),
        ("4", "<think>2+2=4</think><answer></answer>", False),
        ("7", "I'll say 7.\n\nActually no: #### 8", False),
        ("8", "I'll say 7.\n\nActually no: #### 8", True),
        ("100", "\\boxed{10^2}", True),
        ("100", "\\boxed{10^3}", False),
        ("2", "\\boxed{\\sqrt{4}}", True),
        ("\\frac{\\pi}{2}", "\\boxed{\\frac{\\pi}{3}}", False),
        ("5", "#### 5.", True),
        ("5", "#### 5!", False),
        ("3.14", "\\boxed{\\pi}", False),
        ("10", "Answer: 10 apples, 3 pears", False),
        ("\\infty", "\\boxed{\\infty}", True),
        ("[2, 5]", "\\boxed{[2,5]}", True),
        ("[2, 5]", "\\boxed{(2,5)}", False),
        ("\\{2, 5\\}", "The roots are \\boxed{5, 2}", True),
        ("1/3", "#### 0.333", False),
        ("9", "#### 9\n\n(9 is the number of cats.)", True),
        ("20", "<think>...</think> ## 20", True),
        ("20", "<think>...</think> answer=20", True),
    ],
)

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
