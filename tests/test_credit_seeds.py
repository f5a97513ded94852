"""Notebook 12's shipped runs: the methods differ only in their own settings, the probe and the
histories say what they claim, the benchmark has the issue's schema, and a slice of the shipped
runs (one seed, a few updates) is what the code produces."""

import math

import pytest

from reasonlab.core import artifacts
from reasonlab.shipped import credit_microscope, zoo
from reasonlab.shipped import credit_seeds as cs
from reasonlab.shipped import credit_summary as csum
from reasonlab.shipped import experiments_seeds as xs
from reasonlab.world import tasks

TIMES = ("wall_s", "cpu_s")


def test_methods_share_everything_but_their_own_change():
    for m in cs.METHODS:
        cfg = cs.method_config(m, 3)
        assert cfg.seed == 3
        for k, v in cs.COMMON.items():
            assert getattr(cfg, k) == v, (m, k)
    assert set(cs.MAIN) <= set(cs.METHODS)
    assert set(cs.LENGTH_ARMS.values()) <= set(cs.METHODS)
    assert set(csum.MICROSCOPE_OF) == set(cs.METHODS)
    hack = cs.hack_config("format", 0.2, 2)
    assert (hack.reward, hack.kl_coef, hack.algorithm, hack.steps) == (
        "format",
        0.2,
        "grpo",
        cs.HACK_STEPS,
    )
    with pytest.raises(KeyError, match="unknown method"):
        cs.method_config("nope", 1)
    assert "seed" not in cs.recipe("grpo")["config"]
    assert cs.parts()[-len(cs.PROXIES) :] == [f"hacking-{p}" for p in cs.PROXIES]


def test_probe_counts_exploits_as_paid_by_the_proxy_and_rejected_by_the_verifier():
    probs = xs.held_out_set()[:40]
    row = cs.probe(zoo.load("base"), probs, seed=0, keep=3)
    assert row["pass"] == row["reward/verifier"]
    for p in cs.PROXIES:
        assert len(row[f"exploits/{p}"]) <= 3
        for ex in row[f"exploits/{p}"]:
            problem = next(q for q in probs if q.prompt == ex["prompt"])
            assert tasks.verify_batch([problem], [ex["completion"]])[0].reward == 0
    # the format proxy pays at least what the verifier pays (a right answer has the format)
    assert row["reward/format"] >= row["pass"]
    again = cs.probe(zoo.load("base"), probs, seed=0, keep=3)
    assert again == row


def test_history_accumulates_tokens_and_carries_probes_forward():
    run = {
        "eval": {"step": [0, 2], "pass_rate/greedy": [0.1, 0.5]},
        "train": {
            "step": [0, 1, 2],
            "generated_tokens": [0, 10, 30],
            "wall_s": [0.0, 1.0, 2.0],
            "cpu_s": [0.5, 1.5, 2.5],
            **{
                k: [None, 0.2, 0.3]
                for k in ("reward/mean", "reward/verified", "completion/mean_tokens", "think/usage")
            },
        },
        "probe": {"0": {"pass": 0.1, "exploits/format": []}, "2": {"pass": 0.4}},
    }
    h = cs.history(run)
    assert [r["generated_tokens"] for r in h] == [0, 10, 40]
    assert [r["probe/pass"] for r in h] == [0.1, 0.1, 0.4]
    assert [r["pass_rate/greedy"] for r in h] == [0.1, 0.1, 0.5]
    assert "probe/exploits/format" not in h[0]


def test_warm_value_models_snapshot_the_one_model_warm_value_model_trains():
    policy = zoo.load("base")
    probs = tasks.make("math", 32, seed=0)
    snaps = {}
    for steps, value in credit_microscope.warm_value_models(policy, probs, (0, 2), seed=1):
        snaps[steps] = float(value.head.bias.detach())
    assert snaps[0] == 0.0
    direct = credit_microscope.warm_value_model(policy, probs, steps=2, seed=1)
    assert float(direct.head.bias.detach()) == pytest.approx(snaps[2], abs=0)


def test_added_ppo_column_equals_the_step_tables_own():
    policy = zoo.load("base")
    probs = tasks.make("math", 2, difficulty=3, seed=5)
    value = credit_microscope.warm_value_model(policy, probs, steps=1)
    kw = dict(num_samples=2, k_true=2, vine_k=1, seed=3, lam=0.9)
    table, _ = credit_microscope.step_table(policy, probs, value_model=value, **kw)
    credit_microscope.add_ppo_column(table, policy, value, "again", lam=0.9)
    for row in table:
        assert row["again"] == pytest.approx(row["ppo_gae"], abs=1e-6)
        assert len(row["dr_grpo"]) == len(row["reinforce"]) == len(row["true"])


def _shipped(part):
    try:
        return cs.read(part)
    except (FileNotFoundError, ValueError) as e:
        pytest.skip(str(e))


@pytest.mark.parametrize("method", ["grpo", "vineppo"])
def test_a_slice_of_the_shipped_method_runs_reproduces(method):
    """Seed 1, the first evaluation's updates: the same bits on the build's machine, close
    elsewhere."""
    ref = _shipped(method)["seeds"]["1"]
    steps = cs.EVAL_EVERY
    new = cs.method_run(method, 1, steps=steps)
    exact = artifacts.same_machine(f"credit/{method}")
    for k, col in new["train"].items():
        if k in TIMES:
            continue
        if exact:
            assert col == ref["train"][k][: steps + 1], k
    for k, col in new["eval"].items():
        want = ref["eval"][k][: len(col)]
        if exact:
            assert col == want, k
        elif k.startswith("pass_rate"):
            assert col == pytest.approx(want, abs=0.15), k
    if exact:
        assert new["probe"] == {s: ref["probe"][s] for s in new["probe"]}


def test_a_slice_of_the_shipped_hacking_runs_reproduces():
    ref = _shipped("hacking-format")["seeds"]["no KL"]["1"]
    steps = cs.EVAL_EVERY
    new = cs.hack_run("format", "no KL", 1, steps=steps)
    if not artifacts.same_machine("credit/hacking-format"):
        pytest.skip("built on another machine")
    for k, col in new["train"].items():
        if k not in TIMES:
            assert col == ref["train"][k][: steps + 1], k
    for s, row in new["probe"].items():
        for k, v in ref["probe"][s].items():
            assert row[k] == v, (s, k)


def test_benchmark_has_the_issues_schema():
    for part in cs.parts():
        _shipped(part)
    out = csum.benchmark()
    assert out["seeds"] == list(cs.SEEDS)
    assert set(cs.MAIN) <= set(out["methods"])
    for m in out["methods"].values():
        assert set(m) == {
            "step_value_corr",
            "blames_first_error",
            "pass_rate_greedy",
            "generated_tokens",
            "wall_s",
        }
        lo, hi = m["pass_rate_greedy"]["ci95"]
        assert lo <= m["pass_rate_greedy"]["mean"] <= hi
        assert isinstance(m["generated_tokens"], int) and m["generated_tokens"] > 0
        assert math.isfinite(m["step_value_corr"])
    assert len(out["hacking"]) >= 2
    for h in out["hacking"].values():
        assert set(h) == {"proxy_reward_final", "true_pass_final"}
        assert 0 <= h["true_pass_final"] <= 1 and 0 <= h["proxy_reward_final"] <= 1
    vine, grpo = out["methods"]["vineppo"], out["methods"]["grpo"]
    assert vine["generated_tokens"] > grpo["generated_tokens"]  # its value rollouts cost tokens


@pytest.mark.slow
def test_the_shipped_microscope_of_seed_1_reproduces():
    """The step table of seed 1 (without the critic columns): the same bits on the build's
    machine. About half a minute on one thread."""
    ref = _shipped("microscope")["seeds"]["1"]["table"]
    if not artifacts.same_machine("credit/microscope"):
        pytest.skip("built on another machine")
    m = cs.MICROSCOPE
    table, _ = credit_microscope.step_table(
        zoo.load(zoo.seed_base(1)),
        cs.microscope_problems(1),
        num_samples=m["num_samples"],
        k_true=m["k_true"],
        vine_k=m["vine_k"],
        seed=1,
    )
    assert [r["completion"] for r in table] == [r["completion"] for r in ref]
    for new, old in zip(table, ref, strict=True):
        for k in ("true", "vineppo", "grpo", "reinforce"):
            assert [cs._r(v) for v in new[k]] == old[k], k
        assert new["first_wrong"] == old["first_wrong"]
