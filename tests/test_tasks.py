"""Tasks: seeded, balanced over difficulty, a held-out split that never meets training, and
demonstrations the verifiers accept."""

import random

import pytest

from reasonlab.world import tasks


@pytest.mark.parametrize(
    "domain,kind", [("math", None), ("logic", None), ("logic", "countdown"), ("code", None)]
)
def test_same_seed_same_problems_and_balanced(domain, kind):
    a = tasks.make(domain, 40, seed=5, kind=kind)
    b = tasks.make(domain, 40, seed=5, kind=kind)
    c = tasks.make(domain, 40, seed=6, kind=kind)
    assert a == b
    assert a != c
    assert [p.difficulty for p in a[:8]] == [1, 2, 3, 4, 1, 2, 3, 4]
    assert all(p.domain == domain for p in a)


@pytest.mark.parametrize("domain", ["math", "logic", "code"])
def test_held_out_split_never_overlaps_train(domain):
    train = {p.prompt for s in range(3) for p in tasks.make(domain, 2000, seed=s)}
    test = {p.prompt for s in range(3) for p in tasks.make(domain, 500, seed=s, split="test")}
    assert test and train
    assert not train & test
    assert all(tasks.split_of(domain, q) == "test" for q in test)


def test_math_difficulty_is_digits():
    for d in (1, 2, 3, 4):
        for p in tasks.make("math", 20, difficulty=d, seed=0):
            a, b = p.operands
            assert len(str(a)) == len(str(b)) == d
            assert p.answer == str(a + b)
            assert p.prompt == f"{a}+{b}="


@pytest.mark.parametrize(
    "domain,kind", [("math", None), ("logic", None), ("logic", "countdown"), ("code", None)]
)
def test_demonstrations_verify(domain, kind):
    probs = tasks.make(domain, 24, seed=1, kind=kind)
    for think in (False, True):
        comps = [tasks.demonstration_text(p, think=think) for p in probs]
        assert tasks.rewards(probs, comps) == [1.0] * len(probs)
    # A wrong answer is rejected by the same path.
    wrong = ["#### 12345678" for _ in probs]
    assert sum(tasks.rewards(probs, wrong)) == 0.0


def test_thinking_demonstration_shows_carries():
    p = tasks.Problem("math", "add", "347+589=", "936", 3, (347, 589))
    assert tasks.demonstration_text(p, think=True) == (
        "<think>7+9=16,4+8+1=13,3+5+1=9</think>#### 936"
    )


def test_self_checks_and_revisions_are_correct_and_wrong_digits_untrained():
    rng = random.Random(0)
    probs = tasks.make("math", 200, difficulty=4, seed=2)
    saw_wait = 0
    for p in probs:
        segs = tasks.demonstration(p, think=True, rng=rng, check_rate=0.5, error_rate=0.5)
        text = "".join(t for t, _ in segs)
        assert tasks.rewards([p], [text]) == [1.0]
        if "<wait>" in text:
            saw_wait += 1
            untrained = [t for t, train in segs if not train]
            assert untrained and all(t.isdigit() for t in untrained)
    assert saw_wait > 20


def test_trap_comparisons_are_present():
    probs = tasks.make("logic", 200, seed=0)
    traps = [p for p in probs if p.a.split(".")[0] == p.b.split(".")[0] and len(p.a) != len(p.b)]
    assert len(traps) > 30
    assert all(float(p.answer) == max(float(p.a), float(p.b)) for p in probs)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(domain="chess", n=1), "unknown domain"),
        (dict(domain="math", n=1, split="val"), "unknown split"),
        (dict(domain="math", n=1, difficulty=(0, 2)), "difficulty"),
        (dict(domain="math", n=1, difficulty=(3, 2)), "difficulty"),
        (dict(domain="math", n=-1), "n must"),
        (dict(domain="logic", n=1, kind="sudoku"), "unknown kind"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tasks.make(**kwargs)


def test_verify_never_raises_on_garbage():
    probs = (
        tasks.make("math", 2, seed=0)
        + tasks.make("logic", 2, seed=0)
        + tasks.make("code", 2, seed=0)
    )
    garbage = ["", "<think>", "#### ", "#### __import__('os')", "\x00" * 10, "#### 1/0"]
    results = tasks.verify_batch(probs, garbage)
    assert [r.reward for r in results] == [0.0] * 6


def test_every_kind_is_registered_and_an_unknown_one_is_a_named_error():
    from reasonlab.world.tasks import KINDS, Problem, demonstration, kind_of

    assert set(KINDS) == {
        ("math", "add"),
        ("logic", "compare"),
        ("logic", "countdown"),
        ("code", "function"),
    }
    for (domain, kind), entry in KINDS.items():
        p = tasks.make(domain, 1, difficulty=2, seed=0, kind=kind)[0]
        assert kind_of(p) is entry and p.kind == kind
    odd = Problem("math", "multiply", "3*4=", "12", 1, (3, 4))
    with pytest.raises(ValueError, match="no task kind math/multiply"):
        demonstration(odd, think=True)
    assert demonstration(odd, think=False) == [("#### 12", True)]  # no steps needed
