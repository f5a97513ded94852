"""RL: the baselines compute what they claim, a short real run makes the policy think more and
score higher (unrewarded thinking grows), runs are bit-identical, successes are logged."""

from pathlib import Path

import pytest
import torch

from reasonlab.core import metrics
from reasonlab.core.utils import set_seed
from reasonlab.shipped import zoo
from reasonlab.training.rl import RLConfig, advantages, train_rlvr
from reasonlab.training.trajectories import read
from reasonlab.world import tasks

R = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])


def test_group_baseline_is_leave_one_out():
    a = advantages(R, "group")
    assert a[0].tolist() == pytest.approx([1 - 1 / 3, -2 / 3, -2 / 3, 1 - 1 / 3])
    assert a[1].tolist() == [0.0] * 4  # no signal in an all-wrong group
    assert a[2, 3] == pytest.approx(-1.0)


def test_grpo_zscores_and_zero_for_identical_groups():
    a = advantages(R, "group_std")
    assert a[0].tolist() == pytest.approx([1, -1, -1, 1], abs=1e-3)
    assert a[1].abs().max() == 0.0
    assert a.mean(1).abs().max() < 1e-5


def test_none_ema_critic():
    assert torch.equal(advantages(R, "none"), R)
    assert torch.equal(advantages(R, "ema", ema=0.25), R - 0.25)
    v = torch.tensor([0.5, 0.0, 0.75])
    assert torch.equal(advantages(R, "critic", values=v), R - v[:, None])
    with pytest.raises(ValueError, match="values"):
        advantages(R, "critic")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(baseline="median"), "unknown baseline"),
        (dict(ppo_epochs=2), "needs clip"),
        (dict(baseline="group", num_samples=1), "num_samples >= 2"),
        (dict(objective="dpo"), "unknown objective"),
        (dict(steps=0), "steps must be"),
    ],
)
def test_config_errors_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RLConfig(**kwargs)


SHORT = RLConfig(steps=6, prompts_per_step=16, num_samples=8, lr=1e-3, eval_every=6, eval_size=80)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("traj") / "log.jsonl"
    pol = zoo.load("base")
    probs = tasks.make("math", 200, seed=0)
    hist = train_rlvr(pol, probs, SHORT, trajectories=path, progress=False)
    return pol, hist, path


def test_short_run_raises_unrewarded_thinking_and_pass_rate(short_run):
    _, hist, _ = short_run
    first, last = hist[0], hist[-1]
    assert last["eval/think/usage"] > first["eval/think/usage"] + 0.2
    assert last["pass_rate/greedy"] > first["pass_rate/greedy"] + 0.1
    assert hist[-1]["think/usage"] > hist[1]["think/usage"]


def test_history_has_every_metric_every_step(short_run):
    _, hist, _ = short_run
    keys = {
        "step",
        "reward/mean",
        "reward/std",
        "pass_rate/greedy",
        "pass_rate/sampled",
        "frac_reward_zero_std",
        "coverage",
        "think/usage",
        "completion/mean_tokens",
        "kl",
        "entropy",
        "grad_norm",
        "wall_s",
        "pass_rate/greedy/d4",
    }
    for row in hist[1:]:
        assert keys <= set(row)
    assert [r["step"] for r in hist] == list(range(SHORT.steps + 1))
    assert hist[-1]["kl"] > 0


def test_trajectory_log_holds_verified_successes(short_run):
    pol, hist, path = short_run
    recs = read(path)
    assert len(recs) > 50
    assert {r["policy"] for r in recs} == {pol.name}
    assert {r["step"] for r in recs} <= set(range(1, SHORT.steps + 1))
    probs = [
        tasks.Problem("math", "add", r["prompt"], str(eval(r["prompt"][:-1])), 1) for r in recs[:40]
    ]
    assert tasks.rewards(probs, [r["completion"] for r in recs[:40]]) == [1.0] * len(probs)


@pytest.mark.parametrize(
    "extra", [dict(baseline="critic"), dict(clip=0.2, ppo_epochs=2, kl_coef=0.05)]
)
def test_same_seed_bit_identical(extra):
    cfg = RLConfig(steps=2, prompts_per_step=8, num_samples=4, eval_every=2, eval_size=16, **extra)
    probs = tasks.make("math", 50, seed=1)
    runs = []
    for _ in range(2):
        pol = zoo.load("base")
        hist = train_rlvr(pol, probs, cfg, progress=False)
        runs.append((hist, pol.model.state_dict()))
    strip = [{k: v for k, v in r.items() if k != "wall_s"} for r in runs[0][0]]
    assert strip == [{k: v for k, v in r.items() if k != "wall_s"} for r in runs[1][0]]
    for k, v in runs[0][1].items():
        assert torch.equal(v, runs[1][1][k]), k


@pytest.mark.parametrize("domain", ["logic", "code"])
def test_other_domains_run_through_the_loop(domain):
    """Logic goes through verify_logic, code through one sandboxed batch per step."""
    pol = zoo.load("base")
    probs = tasks.make(domain, 20, seed=0)
    cfg = RLConfig(steps=1, prompts_per_step=4, num_samples=2, eval_every=1, eval_size=4)
    hist = train_rlvr(pol, probs, cfg, progress=False)
    assert [r["step"] for r in hist] == [0, 1]
    assert 0.0 <= hist[1]["reward/mean"] <= 1.0
    assert "pass_rate/greedy/d4" in hist[1]


def test_plots_draw_from_the_history(short_run):
    import matplotlib.pyplot as plt

    from reasonlab.plots import history as plotting

    _, hist, _ = short_run
    fig = plotting.plot_history(hist, ["pass_rate/greedy", "think/usage"])
    lines = fig.axes[0].get_lines()
    assert [len(line.get_xdata()) for line in lines] == [2, SHORT.steps]  # evals at 0 and 6
    fig2 = plotting.plot_per_difficulty(hist)
    assert len(fig2.axes[0].get_lines()) == 4
    fig3 = plotting.plot_runs({"a": hist, "b": hist}, "think/usage")
    fig4 = plotting.plot_difficulty_bars({"start": hist[0], "end": hist[-1]}, "pass_rate/greedy")
    assert len(fig4.axes[0].patches) == 8
    with pytest.raises(KeyError, match="no row"):
        plotting.plot_history(hist, ["nope"])
    for f in (fig, fig2, fig3, fig4):
        plt.close(f)


def test_shipped_kl_runs_stay_closer_to_the_start():
    from reasonlab.shipped import experiments_seeds as xs

    runs = xs.load()["runs"]["kl"]  # {label: {seed: history}}
    assert list(runs) == ["kl_coef=0", "kl_coef=0.1", "kl_coef=0.3"]
    for seed in xs.SEEDS:  # in every seed, not only on average
        hists = [arm[seed] for arm in runs.values()]
        mean_kl = [sum(r["kl"] for r in h[1:]) / (len(h) - 1) for h in hists]
        assert mean_kl[0] > mean_kl[1] > mean_kl[2] > 0, (seed, mean_kl)


def test_critic_with_several_ppo_epochs_trains():
    """The critic learns from the first epoch's predictions (a later epoch used to find none)."""
    cfg = RLConfig(
        steps=2,
        prompts_per_step=4,
        num_samples=4,
        eval_every=2,
        eval_size=4,
        baseline="critic",
        clip=0.2,
        ppo_epochs=2,
    )
    hist = train_rlvr(zoo.load("base"), tasks.make("math", 20, seed=0), cfg, progress=False)
    assert [r["step"] for r in hist] == [0, 1, 2]


def test_length_buckets_are_the_cheapest_cut():
    """The update's buckets cover every row once and minimise padding plus a per-pass cost
    (checked against every way to cut a small sorted batch)."""
    import itertools
    import random

    from reasonlab.training.buckets import length_chunks

    rng = random.Random(0)
    for _ in range(20):
        lengths = [rng.choice([3, 4, 5, 20, 30, 41]) + rng.randrange(3) for _ in range(9)]
        overhead = rng.choice([0, 5, 40])
        got = length_chunks(lengths, 3, overhead)
        assert sorted(i for ch in got for i in ch) == list(range(len(lengths)))

        def cost(chunks, lengths=lengths, overhead=overhead):
            return sum(len(c) * max(lengths[i] for i in c) + overhead for c in chunks)

        if overhead == 0:  # equal-count cuts, as before
            assert [len(c) for c in got] == [3, 3, 3]
            continue
        order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
        best = min(
            cost([order[a:b] for a, b in zip((0, *cut), (*cut, len(order)), strict=True) if b > a])
            for k in range(3)
            for cut in itertools.combinations(range(1, len(order)), k)
        )
        assert cost(got) == best


def _loop_on_the_page():
    """The source of notebook 04's cell tagged ``rl-loop-on-the-page``."""
    import json

    nb = json.loads((Path(__file__).parents[1] / "notebooks/04_reinforce_grpo.ipynb").read_text())
    cells = [c for c in nb["cells"] if "rl-loop-on-the-page" in c["metadata"].get("tags", [])]
    assert len(cells) == 1, "notebook 04 has one cell tagged rl-loop-on-the-page"
    return "".join(cells[0]["source"])


def test_the_loop_on_the_page_is_the_package_loop():
    """Notebook 04 writes the RL loop out in ~35 lines; with the default config it must make
    the same updates as train_rlvr (same rewards step by step, losses equal to float
    rounding: the package sums the loss over length chunks)."""
    space: dict = {}
    exec(compile(_loop_on_the_page(), "notebook 04: rl_loop", "exec"), space)
    problems = zoo.rl_problems()
    cfg = RLConfig(steps=4, eval_every=100, eval_size=8)
    set_seed(cfg.seed)
    page = space["rl_loop"](zoo.load("base"), problems, cfg, progress=False)
    set_seed(cfg.seed)
    package = train_rlvr(zoo.load("base"), problems, cfg, progress=False)[1:]
    assert [r["reward"] for r in page] == [r[metrics.REWARD_MEAN] for r in package]
    for mine, ref in zip(page, package, strict=True):
        assert mine["loss"] == pytest.approx(ref[metrics.LOSS], rel=1e-4, abs=1e-6)


def test_the_pieces_still_answer_in_rl():
    """Notebooks, benchmarks and shipped code reach the loop's pieces as ``rl.rl.<name>``."""
    from reasonlab.training import rl, rl_batch, rl_update

    for mod, names in (
        (rl_batch, ("Batch", "rollout", "verify", "successes", "sample_weights", "log_row")),
        (rl_update, ("Critic", "Learner", "accumulate_gradients", "update", "update_critic")),
    ):
        for name in names:
            assert getattr(rl, name) is getattr(mod, name), name


# ------------------------------------------------------------------- benchmarks/rl_step_history


@pytest.mark.slow  # two fresh processes, each a warm-up step and one timed step: about 15 s
def test_step_history_benchmark_runs_both_sides_at_equal_work():
    """The step timed now and at the commit the speed target was set against, from the same
    checkpoint: both sides generate the same amount (equal work) and report every piece."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    script = root / "benchmarks" / "rl_step_history.py"
    ref = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "469e9ed^{commit}"],
        capture_output=True,
    )
    if ref.returncode != 0:
        pytest.skip("a shallow clone: the commit the benchmark compares against is not here")

    def trees() -> str:
        return subprocess.run(
            ["git", "-C", str(root), "worktree", "list"], capture_output=True, text=True
        ).stdout

    before = trees()
    out = subprocess.run(
        [sys.executable, str(script), "--json", "--rounds", "1", "--steps", "1"],
        capture_output=True, text=True, timeout=900, check=True,
    )  # fmt: skip
    got = json.loads(out.stdout)
    assert got["equal_work"], got["mean_completion_tokens"]
    for side in ("then", "now"):
        (run,) = got[side]
        assert all(run[k] > 0 for k in ("cpu_s_per_step", "rollout", "verify", "update")), run
        assert run["rollout"] + run["verify"] + run["update"] <= run["cpu_s_per_step"] * 1.01
    assert len(got["paired_speedups"]) == 1 and got["paired_speedups"][0] > 0
    assert trees() == before  # the temporary worktree is gone


# -------------------------------------------------------------------- benchmarks/decode_compile


@pytest.mark.slow  # one compilation of the decode step (about 10 s) and one call a side
def test_decode_compile_benchmark_times_both_sides_on_the_same_batch():
    """torch.compile's decode step against the eager one: both sample the RL batch with the
    same seed and (up to a rare rounding flip) the same tokens, and both are timed."""
    import json
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "decode_compile.py"
    out = subprocess.run(
        [sys.executable, str(script), "--json", "--calls", "1", "--warmup", "1"],
        capture_output=True, text=True, timeout=900, check=True,
    )  # fmt: skip
    got = json.loads(out.stdout)
    assert got["rows"] == RLConfig().prompts_per_step * RLConfig().num_samples
    assert got["rows_identical"][0] >= 0.9, got["rows_identical"]
    (tokens,) = got["tokens"]
    assert abs(tokens["eager"] - tokens["compiled"]) <= 0.05 * tokens["eager"], tokens
    assert got["compile_cpu_s"] > 0 and got["eager_median"] > 0 and got["compiled_median"] > 0
