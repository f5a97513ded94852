"""Tests of the inference-time scaling estimators and experiments.

The estimators are checked against brute-force enumeration of every k-subset (exact fractions)
on small cases, and by property tests; the experiments against a stand-in policy whose
accuracy is known, and against the real zoo policies.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reasonlab.measurement import scaling

# ---------------------------------------------------------------- brute-force references


def brute_pass_at_k(n: int, c: int, k: int) -> Fraction:
    """Fraction of k-subsets of n samples (c correct) that hold a correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    return Fraction(sum(any(s) for s in subsets), len(subsets))


def brute_majority(answers: list, gold: str, k: int) -> Fraction:
    """Average over all k-subsets of the vote's accuracy, a tie of j answers scoring 1/j."""
    total, count = Fraction(0), 0
    for subset in itertools.combinations(answers, k):
        count += 1
        votes: dict = {}
        for a in subset:
            if a is not None:
                votes[a] = votes.get(a, 0) + 1
        if not votes:
            continue
        top = max(votes.values())
        tied = [a for a, m in votes.items() if m == top]
        if gold in tied:
            total += Fraction(1, len(tied))
    return total / count


def brute_majority_ordered(answers: list, gold: str, k: int) -> Fraction:
    """Same, but over every ordered k-subset voted with ``tie_break="first"``."""
    perms = list(itertools.permutations(answers, k))
    wins = sum(scaling.majority_vote(list(p)) == gold for p in perms)
    return Fraction(wins, len(perms))


def brute_best_of(scores: list, correct: list, k: int) -> Fraction:
    """Average over k-subsets of the best-scored pick, a tie of j picks scoring (right)/j."""
    total, count = Fraction(0), 0
    for subset in itertools.combinations(range(len(scores)), k):
        count += 1
        top = max(scores[i] for i in subset)
        tied = [i for i in subset if scores[i] == top]
        total += Fraction(sum(correct[i] for i in tied), len(tied))
    return total / count


answer_lists = st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=9)

# ---------------------------------------------------------------- pass@k


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert scaling.pass_at_k(n, c, k) == pytest.approx(float(brute_pass_at_k(n, c, k)))


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (10, 0, 5, 0.0),
        (10, 10, 1, 1.0),
        (10, 3, 1, 0.3),  # pass@1 is the fraction correct
        (10, 6, 5, 1.0),  # only 4 wrong samples: every 5-subset holds a correct one
        (4, 1, 2, 0.5),
    ],
)
def test_pass_at_k_known_values(n, c, k, expected):
    assert scaling.pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-15)


def test_pass_at_k_stable_for_large_n():
    # C(10000, 500) overflows a float; the product form does not need it.
    n, c, k = 10_000, 7, 500
    exact = Fraction(math.comb(n, k) - math.comb(n - c, k), math.comb(n, k))
    assert scaling.pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_at_k_properties(nc):
    n, c = nc
    values = [scaling.pass_at_k(n, c, k) for k in range(1, n + 1)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(values))  # monotone in k
    assert values[0] == pytest.approx(c / n)  # pass@1 = accuracy of one sample
    assert values[-1] == float(c > 0)  # pass@n: did any sample get it?


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_at_k_curve_is_pass_at_k_for_every_k(nc):
    n, c = nc
    ks = sorted({1, n, (n + 1) // 2, max(1, n // 3)})
    np.testing.assert_allclose(
        scaling.pass_at_k_curve(n, c, ks), [scaling.pass_at_k(n, c, k) for k in ks], atol=1e-14
    )


def test_binomial_table():
    table = scaling.binomials(60)
    for a in range(61):
        for b in range(61):
            assert table[a, b] == pytest.approx(math.comb(a, b), rel=1e-14)
    assert table[56, 28] == math.comb(56, 28)  # exact while it fits in 53 bits
    with pytest.raises(ValueError, match="limited to n <="):
        scaling.binomials(scaling.MAX_SAMPLES + 1)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((5, 2, 6), ValueError, "k must be <= n"),
        ((5, 6, 1), ValueError, "c .* must be <= n"),
        ((5, -1, 1), ValueError, "c must be >= 0"),
        ((5, 2, 0), ValueError, "k must be >= 1"),
        ((0, 0, 1), ValueError, "n must be >= 1"),
        ((5.0, 2, 1), TypeError, "n must be an int"),
        ((5, True, 1), TypeError, "c must be an int"),
    ],
)
def test_pass_at_k_rejects_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        scaling.pass_at_k(*args)


# ---------------------------------------------------------------- majority vote


@pytest.mark.parametrize(
    ("answers", "kwargs", "expected"),
    [
        (["1", "2", "2"], {}, "2"),
        ([None, None, "3"], {}, "3"),  # None never wins, even with more "votes"
        ([None, None], {}, None),
        ([], {}, None),
        (["2", "1", "1", "2"], {}, "2"),  # tie: the answer voted first
        (["2", "1", "1", "2"], {"tie_break": [0.0, -1.0, -0.5, -3.0]}, "2"),  # best single score
        (["2", "1", "1", "2"], {"tie_break": [-2.0, -1.0, -0.5, -3.0]}, "1"),
        (["2", "1", "1", "2", "3"], {"tie_break": [0, 0, 0, 0, 9]}, "2"),  # "3" is not tied
        ([3, 4, 4], {}, 4),  # any hashable works
    ],
)
def test_majority_vote(answers, kwargs, expected):
    assert scaling.majority_vote(answers, **kwargs) == expected


def test_majority_vote_random_tie_break_is_seeded_and_fair():
    answers = ["a", "b", "c", "a", "b", "c"]
    picks = [scaling.majority_vote(answers, tie_break="random", seed=s) for s in range(600)]
    assert picks == [scaling.majority_vote(answers, tie_break="random", seed=s) for s in range(600)]
    for a in "abc":  # each of the three tied answers about 1/3 of the time
        assert 150 < picks.count(a) < 250
    # no tie: the seed does not matter
    assert {
        scaling.majority_vote(["a", "a", "b"], tie_break="random", seed=s) for s in range(9)
    } == {"a"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tie_break": "last"}, "tie_break must be"),
        ({"tie_break": "random"}, "needs a seed"),
        ({"tie_break": [1.0]}, "one score per answer"),
    ],
)
def test_majority_vote_rejects_bad_tie_break(kwargs, match):
    with pytest.raises(ValueError, match=match):
        scaling.majority_vote(["a", "b"], **kwargs)


# ---------------------------------------------------------------- majority@k


def test_majority_at_k_matches_enumeration_on_random_cases():
    rng = random.Random(0)
    for _ in range(150):
        n = rng.randint(1, 9)
        answers = [rng.choice([None, "a", "b", "c", "d"]) for _ in range(n)]
        gold = rng.choice("abc")
        ks = list(range(1, n + 1))
        exact = scaling.majority_at_k_exact(answers, gold, ks)
        for k, value in zip(ks, exact, strict=True):
            assert value == pytest.approx(float(brute_majority(answers, gold, k)), abs=1e-12)


@pytest.mark.parametrize(
    "answers",
    [["a", "b", "a", "b", None, "c"], ["a", "b", "c", "d", "a"], [None, "a", "b", "b", "a"]],
)
def test_uniform_tie_break_equals_first_vote_in_random_order(answers):
    # The documented tie rule: in a random order, "first" is a uniform tie-break.
    for k in range(1, len(answers) + 1):
        exact = scaling.majority_at_k_exact(answers, "a", [k])[0]
        assert exact == pytest.approx(float(brute_majority_ordered(answers, "a", k)), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(answer_lists, st.sampled_from(["a", "b"]))
def test_majority_at_k_properties(answers, gold):
    n = len(answers)
    curve = scaling.majority_at_k_exact(answers, gold, list(range(1, n + 1)))
    assert np.all((curve >= -1e-12) & (curve <= 1 + 1e-12))
    # majority@1 is the plain accuracy of one sample
    assert curve[0] == pytest.approx(answers.count(gold) / n)
    # majority@n is one vote over all samples
    counts = {a: answers.count(a) for a in set(answers) - {None}}
    if gold in counts and counts[gold] == max(counts.values()):
        tied = sum(m == counts[gold] for m in counts.values())
        assert curve[-1] == pytest.approx(1 / tied)
    else:
        assert curve[-1] == pytest.approx(0.0)
    # a vote can be no more right than "some voter is right"
    passes = [scaling.pass_at_k(n, answers.count(gold), k) for k in range(1, n + 1)]
    assert np.all(curve <= np.array(passes) + 1e-12)


def test_majority_at_k_grows_when_gold_is_the_plurality():
    # 40% gold, the rest split over 6 wrong answers: voting should climb towards 1.
    answers = ["g"] * 8 + ["w1", "w2", "w3", "w4", "w5", "w6"] * 2
    curve = scaling.majority_at_k_exact(answers, "g", range(1, 21))
    assert curve[0] == pytest.approx(0.4)
    odd = curve[::2]  # odd k: no even-split ties, so the curve rises until it reaches 1
    rising = odd[odd < 1.0]
    assert len(rising) >= 5 and np.all(np.diff(rising) > 0)
    assert curve[-1] == 1.0  # 8 gold votes against 2 for each wrong answer


def test_majority_at_k_agrees_with_monte_carlo():
    rng = random.Random(1)
    problems = [[rng.choice(["a", "a", "b", "c", None]) for _ in range(12)] for _ in range(6)]
    gold = ["a"] * 6
    exact = scaling.majority_at_k(problems, gold, 5)
    mean, se = scaling.majority_at_k_monte_carlo(problems, gold, 5, num_draws=2000, seed=0)
    assert se > 0
    assert abs(mean - exact) < 4 * se
    assert (mean, se) == scaling.majority_at_k_monte_carlo(
        problems, gold, 5, num_draws=2000, seed=0
    )


def test_majority_at_k_rejects_bad_input():
    with pytest.raises(ValueError, match="one gold answer per problem"):
        scaling.majority_at_k([["a"], ["b"]], ["a"], 1)
    with pytest.raises(ValueError, match="k must be <= n"):
        scaling.majority_at_k([["a", "b"]], ["a"], 3)
    with pytest.raises(ValueError, match="at least one sample"):
        scaling.majority_at_k([[]], ["a"], 1)
    with pytest.raises(ValueError, match="at least one problem"):
        scaling.majority_at_k([], [], 1)


# ---------------------------------------------------------------- best-of-N


def test_best_of_n_picks_the_first_highest_score():
    samples = ["x", "yy", "zz", "www"]
    assert scaling.best_of_n(samples, len, 4) == "www"
    assert scaling.best_of_n(samples, len, 3) == "yy"  # ties go to the earliest
    assert scaling.best_of_n(samples, len, 1) == "x"
    with pytest.raises(ValueError, match="n <= len"):
        scaling.best_of_n(samples, len, 5)


def test_best_of_n_at_k_matches_enumeration():
    rng = random.Random(2)
    for _ in range(100):
        n = rng.randint(1, 8)
        scores = [rng.choice([0.0, -1.0, -2.0, -0.5]) for _ in range(n)]
        correct = [rng.random() < 0.4 for _ in range(n)]
        ks = list(range(1, n + 1))
        got = scaling.best_of_n_at_k(scores, correct, ks)
        for k, value in zip(ks, got, strict=True):
            assert value == pytest.approx(float(brute_best_of(scores, correct, k)), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_best_of_n_with_an_oracle_verifier_is_pass_at_k(correct):
    n = len(correct)
    ks = list(range(1, n + 1))
    got = scaling.best_of_n_at_k([float(c) for c in correct], correct, ks)
    want = [scaling.pass_at_k(n, sum(correct), k) for k in ks]
    np.testing.assert_allclose(got, want, atol=1e-12)


# ---------------------------------------------------------------- cost


def test_cost_parallel_shares_wall_time_sequential_adds_up():
    tokens = [100, 300, 200]
    dollars_p, seconds_p = scaling.cost(
        tokens, price_per_million=2.0, tokens_per_s=50.0, parallel=True
    )
    dollars_s, seconds_s = scaling.cost(
        tokens, price_per_million=2.0, tokens_per_s=50.0, parallel=False
    )
    assert dollars_p == dollars_s == pytest.approx(600 * 2.0 / 1e6)  # same tokens, same bill
    assert seconds_p == pytest.approx(300 / 50.0)  # waits for the longest sample
    assert seconds_s == pytest.approx(600 / 50.0)  # waits for all of them in turn
    assert scaling.cost(250, price_per_million=4.0, tokens_per_s=10.0, parallel=True) == (
        pytest.approx(0.001),
        pytest.approx(25.0),
    )


@pytest.mark.parametrize(
    ("tokens", "kwargs", "match"),
    [
        ([], {}, "tokens is empty"),
        ([10, -1], {}, "tokens must be >= 0"),
        ([10], {"tokens_per_s": 0.0}, "tokens_per_s must be > 0"),
        ([10], {"price_per_million": -1.0}, "price_per_million must be >= 0"),
    ],
)
def test_cost_rejects_bad_input(tokens, kwargs, match):
    args = {"price_per_million": 1.0, "tokens_per_s": 10.0, "parallel": True} | kwargs
    with pytest.raises(ValueError, match=match):
        scaling.cost(tokens, **args)


# ---------------------------------------------------------------- experiments: a stand-in policy


class StandInPolicy:
    """The ``policy.sample`` interface with a known answer distribution, for math problems.

    Every sample wants to think for 20 tokens; it is right with probability
    ``0.3 + 0.5 * (tokens actually thought) / 20``, so capping the thinking costs accuracy.
    Wrong answers are gold + 1, 2 or 3 (so gold is the plurality), and a right answer gets a
    higher log-prob per token on average, so confidence carries some signal.
    """

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def sample(
        self,
        prompts,
        *,
        num_samples=1,
        temperature=1.0,
        seed=0,
        max_new_tokens=None,
        max_think_tokens=None,
        min_think_tokens=None,
    ):
        from types import SimpleNamespace

        self.calls.append({"prompts": len(prompts), "num_samples": num_samples, "seed": seed})
        rng = np.random.default_rng([seed, len(prompts)])
        completions, num_tokens, logprobs = [], [], []
        for prompt in prompts:
            a, b = (int(x) for x in prompt.rstrip("=").split("+"))
            for _ in range(num_samples):
                think = 20 if max_think_tokens is None else min(20, max_think_tokens)
                if min_think_tokens is not None:
                    think = max(think, min_think_tokens)
                ok = rng.random() < 0.3 + 0.5 * min(think, 20) / 20
                answer = a + b if ok else a + b + int(rng.integers(1, 4))
                text = f"<think>{'1' * think}</think>#### {answer}"
                n = think + 2 + 1 + len(str(answer)) + 1  # markers, answer prefix, digits, eos
                completions.append(text)
                num_tokens.append(n)
                logprobs.append(n * (-0.2 if ok else -0.5) + rng.normal())
        return SimpleNamespace(
            completions=completions, num_tokens=num_tokens, logprobs=torch.tensor(logprobs)
        )


@pytest.fixture(scope="module")
def math_problems():
    from reasonlab.world import tasks

    return tasks.make("math", 60, difficulty=(1, 3), seed=0, split="test")


def test_draw_is_seeded_and_judged_by_the_verifier(math_problems):
    policy = StandInPolicy()
    s = scaling.draw(policy, math_problems, num_samples=8, seed=3)
    assert s.correct.shape == s.tokens.shape == s.logprob.shape == (60, 8)
    again = scaling.draw(policy, math_problems, num_samples=8, seed=3)
    other = scaling.draw(policy, math_problems, num_samples=8, seed=4)
    assert s.answers == again.answers and np.array_equal(s.tokens, again.tokens)
    assert s.answers != other.answers
    # The vote key of every verified answer is GOLD, of every rejected one its number.
    for keys, oks, problem in zip(s.answers, s.correct, math_problems, strict=True):
        for key, ok in zip(keys, oks, strict=True):
            assert (key == scaling.GOLD) == ok
            if not ok:
                assert int(key) - int(problem.answer) in (1, 2, 3)
    assert 0.7 < s.correct.mean() < 0.9  # the stand-in's 0.8
    assert s.think.all()


def test_sweep_samples_once_per_budget_and_reuses_it_for_every_k(math_problems):
    policy = StandInPolicy()
    ks = [1, 2, 4, 8, 16]
    rows = scaling.sweep(policy, math_problems, ks=ks, budgets=[None, 4], seed=0, name="toy")
    assert [c["num_samples"] for c in policy.calls] == [16, 16]  # one batch per budget
    assert [(r["budget"], r["k"]) for r in rows] == [
        (b, k) for b in ("no limit", "think <= 4") for k in ks
    ]
    full, capped = rows[: len(ks)], rows[len(ks) :]
    # pass@1 is the stand-in's accuracy: 0.8 unlimited, 0.3 + 0.5 * 4 / 20 = 0.4 capped
    assert full[0]["pass_at_k"] == pytest.approx(0.8, abs=4 * full[0]["pass_at_k/se"] + 0.02)
    assert capped[0]["pass_at_k"] == pytest.approx(0.4, abs=4 * capped[0]["pass_at_k/se"] + 0.02)
    for table in (full, capped):
        p = [r["pass_at_k"] for r in table]
        m = [r["majority_at_k"] for r in table]
        assert p == sorted(p)  # more samples, more coverage
        assert all(mi <= pi + 1e-12 for mi, pi in zip(m, p, strict=True))
        assert m[0] == pytest.approx(p[0])  # a vote of one is one sample
        assert table[0]["tokens/total"] * 16 == pytest.approx(table[-1]["tokens/total"])
        # the right answer is the plurality, so voting helps
        assert m[-1] > m[0] + 0.1
        # confidence carries signal here: it beats one sample, but not the oracle
        c = [r["best_of_k/confidence"] for r in table]
        assert c[-1] > c[0] and c[-1] <= p[-1] + 1e-12
    assert capped[0]["tokens_per_answer"] < full[0]["tokens_per_answer"]
    # gold plus at most three wrong answers; the less accurate budget spreads over more of them
    assert 1 <= full[0]["answers/distinct"] < capped[0]["answers/distinct"] <= 4


def test_forced_longer_thinking_reaches_the_policy(math_problems):
    policy = StandInPolicy()
    budget = scaling.Budget(min_think_tokens=30, max_think_tokens=40)
    rows = scaling.sweep(policy, math_problems[:5], ks=[1], budgets=[budget], seed=0)
    assert rows[0]["budget"] == "think >= 30, think <= 40"
    assert rows[0]["tokens_per_answer"] > 33
    with pytest.raises(ValueError, match="min_think_tokens .* must be <="):
        scaling.Budget(min_think_tokens=5, max_think_tokens=4)


def test_sweep_rejects_bad_input(math_problems):
    policy = StandInPolicy()
    with pytest.raises(ValueError, match="every k must be <= num_samples"):
        scaling.sweep(policy, math_problems[:3], ks=[1, 8], num_samples=4, seed=0)
    with pytest.raises(ValueError, match="ks is empty"):
        scaling.sweep(policy, math_problems[:3], ks=[], seed=0)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        scaling.sweep(policy, math_problems[:3], ks=[1], seed=0, temperature=0.0)
    with pytest.raises(ValueError, match="budget must be >= 0"):
        scaling.sweep(policy, math_problems[:3], ks=[1], budgets=[-1], seed=0)


# ---------------------------------------------------------------- sequential revisions


def test_expected_max_matches_enumeration():
    rng = random.Random(3)
    for _ in range(30):
        values = [rng.randint(1, 50) for _ in range(rng.randint(1, 7))]
        for k in range(1, len(values) + 1):
            subsets = list(itertools.combinations(values, k))
            want = sum(max(s) for s in subsets) / len(subsets)
            assert scaling.expected_max_at_k(values, [k])[0] == pytest.approx(want)


def test_sequential_at_k_matches_enumeration_of_orders():
    rng = random.Random(4)
    for _ in range(30):
        n = rng.randint(1, 6)
        correct = [rng.random() < 0.4 for _ in range(n)]
        tokens = [rng.randint(1, 30) for _ in range(n)]
        ks = list(range(1, n + 1))
        accuracy, spent = scaling.sequential_at_k(correct, tokens, ks)
        for j, k in enumerate(ks):
            acc, tok = Fraction(0), Fraction(0)
            orders = list(itertools.permutations(range(n)))
            for order in orders:
                for i in order[:k]:  # pay for attempts until the first accepted one
                    tok += tokens[i]
                    if correct[i]:
                        acc += 1
                        break
            assert accuracy[j] == pytest.approx(float(acc / len(orders)))
            assert spent[j] == pytest.approx(float(tok / len(orders)))


def test_revise_stops_at_the_first_accepted_attempt_and_matches_the_estimate(math_problems):
    policy = StandInPolicy()
    out = scaling.revise(policy, math_problems, max_attempts=4, seed=0, budget=2)
    # one batch per attempt, each only over the problems still rejected
    sizes = [c["prompts"] for c in policy.calls]
    still_rejected = [60] + [int((out["attempts"] > a).sum()) for a in range(1, 4)]
    assert sizes == still_rejected
    assert np.all(np.diff(out["accuracy"]) >= 0) and np.all(np.diff(out["mean_tokens"]) >= 0)
    assert out["accepted"].mean() == out["accuracy"][-1]
    assert np.all(out["attempts"][~out["accepted"]] == 4)  # the rejected used every attempt
    # The loop and the estimate from one pooled batch agree (stand-in accuracy 0.35 here).
    pooled = scaling.draw(policy, math_problems, num_samples=16, seed=9, budget=2)
    est = [
        scaling.sequential_at_k(c, t, [1, 4])
        for c, t in zip(pooled.correct, pooled.tokens, strict=True)
    ]
    acc4 = np.mean([e[0][1] for e in est])
    tok4 = np.mean([e[1][1] for e in est])
    assert out["accuracy"][-1] == pytest.approx(acc4, abs=0.15)
    assert out["mean_tokens"][-1] == pytest.approx(tok4, rel=0.2)
    # and with a verifier, revising spends fewer tokens than 4 parallel samples
    assert out["mean_tokens"][-1] < 4 * pooled.tokens.mean()


# ---------------------------------------------------------------- cost and compute matching


def test_with_cost_follows_the_cost_model(math_problems):
    policy = StandInPolicy()
    s = scaling.draw(policy, math_problems[:10], num_samples=4, seed=0)
    rows = scaling.with_cost(scaling.curves(s, [4]), price_per_million=3.0, tokens_per_s=40.0)
    # k = n: the expectations are the actual samples, so the row must equal cost() summed.
    dollars, parallel_s, worst_sequential_s = 0.0, [], []
    for tokens in s.tokens.tolist():
        d, sec = scaling.cost(tokens, price_per_million=3.0, tokens_per_s=40.0, parallel=True)
        dollars += d
        parallel_s.append(sec)
        worst_sequential_s.append(
            scaling.cost(tokens, price_per_million=3.0, tokens_per_s=40.0, parallel=False)[1]
        )
    assert rows[0]["dollars"] == pytest.approx(dollars / 10)
    assert rows[0]["seconds/parallel"] == pytest.approx(np.mean(parallel_s))
    # Revisions stop at the first accepted attempt: never slower than running all four in turn.
    assert rows[0]["seconds/sequential"] == pytest.approx(rows[0]["tokens/sequential"] / 40.0)
    assert rows[0]["seconds/sequential"] <= np.mean(worst_sequential_s) + 1e-12
    with pytest.raises(ValueError, match="tokens_per_s must be > 0"):
        scaling.with_cost(rows, price_per_million=1.0, tokens_per_s=0.0)


def test_cheapest_and_frontier():
    rows = [
        {"k": 1, "tokens/total": 10.0, "acc": 0.50},
        {"k": 2, "tokens/total": 20.0, "acc": 0.48},  # dearer and worse: off the frontier
        {"k": 4, "tokens/total": 40.0, "acc": 0.70},
        {"k": 8, "tokens/total": 40.0, "acc": 0.72},  # same price, better
        {"k": 16, "tokens/total": 160.0, "acc": 0.72},  # dearer, no better
    ]
    assert [r["k"] for r in scaling.frontier(rows, metric="acc")] == [1, 8]
    assert [r["k"] for r in scaling.frontier(rows, metric="acc", min_gain=0.21)] == [1, 8]
    assert [r["k"] for r in scaling.frontier(rows, metric="acc", min_gain=0.22)] == [1]
    assert scaling.cheapest(rows, metric="acc", target=0.6)["k"] == 8
    assert scaling.cheapest(rows, metric="acc", target=0.5)["k"] == 1
    assert scaling.cheapest(rows, metric="acc", target=0.9) is None
    text = scaling.format_table(rows[:2], ["k", "acc"])
    assert text.splitlines() == ["k    acc", "1  0.500", "2  0.480"]


def test_sweep_reads_the_real_policy_output(math_problems):
    # An untrained policy is enough to check that sweep reads SampleOutput the right way round
    # (prompt-major rows, token counts, summed log-probs) and honours a thinking cap.
    from reasonlab.core.utils import set_seed
    from reasonlab.world.policy import Policy

    set_seed(0)
    policy = Policy()
    problems = math_problems[:4]
    s = scaling.draw(
        policy, problems, num_samples=3, seed=1, budget=scaling.Budget(max_think_tokens=2)
    )
    out = policy.sample([p.prompt for p in problems], num_samples=3, seed=1, max_think_tokens=2)
    assert s.completions[1][2] == out.completions[1 * 3 + 2]
    assert s.tokens[1, 2] == out.num_tokens[5]
    assert s.logprob[3, 0] == pytest.approx(float(out.logprobs[9]))
    assert np.all(s.logprob <= 0)
    for row in s.completions:
        for c in row:
            if "<think>" in c:  # at most 2 tokens inside the think block
                inside = c.split("<think>", 1)[1].split("</think>", 1)[0]
                assert len(policy.tokenizer.encode(inside)) <= 2


def test_plots_draw_sweep_tables(math_problems):
    from reasonlab.plots import scaling as scaling_plots

    policy = StandInPolicy()
    rows = scaling.sweep(policy, math_problems[:20], ks=[1, 2, 4], budgets=[0, 8, None], seed=0)
    fig = scaling_plots.plot_k_curves({"toy": rows}, budget="think <= 8")
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("k, samples") and "accuracy" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 2  # pass@k and majority@k of one policy
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]
    fig2 = scaling_plots.plot_budgets({"toy": rows}, k=2)
    assert [t.get_text() for t in fig2.axes[0].get_xticklabels()] == ["0", "8", "none"]
    line = fig2.axes[1].get_lines()[0]
    assert list(line.get_ydata()) == [r["tokens_per_answer"] for r in rows if r["k"] == 2]
    fig3 = scaling_plots.plot_compute_matched({"a": ([1, 10], [0.2, 0.4])}, target=0.3)
    assert fig3.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="no rows match"):
        scaling_plots.plot_k_curves({"toy": rows}, budget="think <= 99")


@pytest.mark.slow
def test_scaling_facts_of_the_zoo_policies():
    # The chapter's claims, on the shipped checkpoints (hard problems, where they differ most).
    import reasonlab as rl

    problems = rl.tasks.make("math", 60, difficulty=(3, 4), seed=1, split="test")
    rows = {
        name: scaling.sweep(
            rl.zoo.load(name), problems, ks=[1, 8], budgets=[None, 8], seed=0, name=name
        )
        for name in ("base", "rlvr")
    }
    (b1, b8, _, _), (r1, r8, r1_capped, _) = rows["base"], rows["rlvr"]
    assert (r1["k"], r1_capped["budget"]) == (1, "think <= 8")
    assert r1["pass_at_k"] > b1["pass_at_k"] + 0.3  # RL raises pass@1
    assert r1["think/usage"] > 0.9 > b1["think/usage"]  # by thinking
    assert r1_capped["pass_at_k"] < r1["pass_at_k"] - 0.3  # so cutting the chain hurts
    # The base thinks on a quarter of its samples and its direct answers above one digit are
    # never right: its right answers are scattered, so more voters lose to wrong ones (notebook
    # 05), while a verifier would find them (pass@8 far above pass@1).
    assert b8["majority_at_k"] < b1["majority_at_k"]
    assert b8["pass_at_k"] > b1["pass_at_k"] + 0.3
    assert r1["answers/distinct"] < b1["answers/distinct"]  # RL answers are narrower
    assert r8["pass_at_k"] >= r8["majority_at_k"] and b8["pass_at_k"] >= b8["majority_at_k"]
