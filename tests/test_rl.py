"""RL: the baselines compute what they claim, a short real run makes the policy think more and
score higher (unrewarded thinking grows), runs are bit-identical, successes are logged."""

import pytest
import torch

from reasonlab import tasks, zoo
from reasonlab.rl import RLConfig, advantages, train_rlvr
from reasonlab.trajectories import read

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

    from reasonlab import plotting

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
