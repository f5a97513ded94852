"""Experiments: the tables say what they claim, stale shipped tables are refused, figures
draw. (The comparison runs over seeds: test_experiments_seeds.py.)"""

import json
import math
import shutil

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from reasonlab.plots import experiments as ep
from reasonlab.shipped import experiments as ex  # noqa: E402
from reasonlab.shipped import zoo
from reasonlab.training.rl import BASELINES  # noqa: E402
from reasonlab.world import tasks


@pytest.fixture(scope="module")
def base():
    return zoo.load("base")


@pytest.fixture(scope="module")
def held_out():
    return ex.held_out_problems(80, seed=0)


def test_base_thinks_rarely_but_thinking_pays_on_hard_problems(base, held_out):
    table = ex.behaviour_by_difficulty(base, held_out, num_samples=4, seed=0)
    assert [r["difficulty"] for r in table] == [1, 2, 3, 4, "all"]
    overall = table[-1]
    assert overall["think/usage"] < 0.5  # thinking is a minority habit of the base policy
    for r in table[2:4]:  # 3 and 4 digits
        assert r["pass_rate/think"] > r["pass_rate/direct"] + 0.2
    assert overall["n/think"] + overall["n/direct"] == len(held_out) * 4
    mixed = (overall["n/think"] * overall["pass_rate/think"]) + (
        overall["n/direct"] * overall["pass_rate/direct"]
    )
    assert mixed / (len(held_out) * 4) == pytest.approx(overall["pass_rate"])
    # Same seed, same table.
    assert ex.behaviour_by_difficulty(base, held_out, num_samples=4, seed=0) == table


def test_filter_by_difficulty_keeps_prompts_with_signal(base):
    probs = tasks.make("math", 40, seed=5)
    kept, summary = ex.filter_by_difficulty(base, probs, num_samples=4, seed=2)
    assert summary["kept"] + summary["always"] + summary["never"] == summary["total"] == 40
    assert summary["kept"] == len(kept) > 0
    assert summary["always"] > 0 and summary["never"] > 0
    # Re-sampling with the same seed: every kept prompt has a mixed group.
    out = base.sample([p.prompt for p in probs], num_samples=4, seed=2)
    rows = [p for p in probs for _ in range(4)]
    r = torch.tensor(tasks.rewards(rows, out.completions)).view(40, 4).mean(1)
    mixed = [p for p, x in zip(probs, r.tolist(), strict=True) if 0 < x < 1]
    assert kept == mixed
    with pytest.raises(ValueError, match="low < high"):
        ex.filter_by_difficulty(base, probs, low=0.5, high=0.5)


def test_self_checks_rows(base, held_out):
    table = ex.self_checks({"base": base}, held_out[:40], num_samples=2, seed=0)
    (row,) = table
    assert row["policy"] == "base"
    assert 0 <= row["think/usage"] <= 1 and 0 <= row["pass_rate"] <= 1
    assert row["steps"] > 0


def test_tables_and_errors():
    runs = {"a": [{"step": 0, "x": 1.0}, {"step": 1, "x": 2.0}], "b": [{"step": 1, "x": 3.0}]}
    assert ex.final_table(runs, ["x"]) == [{"run": "a", "x": 2.0}, {"run": "b", "x": 3.0}]
    with pytest.raises(KeyError, match="'y'"):
        ex.final_table(runs, ["y"])
    text = ex.format_table([{"k": "a", "v": 0.12345}, {"k": "bb", "v": float("nan")}], ["k", "v"])
    assert text.splitlines() == [" k      v", " a  0.123", "bb    nan"]
    with pytest.raises(KeyError, match="unknown run"):
        ex.run_config("nope")
    with pytest.raises(ValueError, match="unknown item"):
        ex.build_item("nope")


# ----------------------------------------------------------------------------- shipped results
# (the comparison runs over seeds: tests/test_experiments_seeds.py)


def test_shipped_tables_load():
    res = ex.load_results()
    assert [r["baseline"] for r in res["tables"]["gradient_variance"]] == list(BASELINES)
    assert res["config"] == zoo.default_rl_config().recipe()


def test_stale_tables_are_refused(tmp_path):
    for name in ex.TABLES:
        shutil.copy(ex.results_path(name), tmp_path)
    ex.load_results(tmp_path)  # a faithful copy loads
    path = ex.results_path("gradvar", tmp_path)
    data = json.loads(path.read_text())
    data["meta"]["base_key"] = "0" * 12
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="rebuild"):
        ex.load_results(tmp_path)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="build experiments/gradvar"):
        ex.load_results(tmp_path)


# ----------------------------------------------------------------------------- figures


def _hist(n=3, v=0.5):
    rows = []
    for s in range(n):
        row = {"step": s, "eval_step": s, "pass_rate/greedy": v + 0.1 * s, "think/usage": v}
        row.update({f"pass_rate/greedy/d{d}": v / d for d in (1, 2, 3, 4)})
        rows.append(row)
    return rows


def test_figures_draw_what_they_are_given():
    runs = {"a": _hist(), "b": _hist(v=0.2)}
    fig = ep.plot_runs_panels(runs, ["pass_rate/greedy", "think/usage", "pass_rate/greedy/d4"])
    assert len(fig.axes) == 4  # three panels and one switched off
    assert [len(ax.lines) for ax in fig.axes[:3]] == [2, 2, 2]
    assert fig.axes[0].lines[1].get_ydata().tolist() == pytest.approx([0.2, 0.3, 0.4])
    with pytest.raises(KeyError, match="never logged"):
        ep.plot_runs_panels(runs, ["kl"])
    fig = ep.plot_difficulty_panels(runs)
    assert [len(ax.lines) for ax in fig.axes] == [4, 4]
    table = [
        {"baseline": b, "var/total": v, "snr": 1 / v} for b, v in (("none", 2.0), ("group", 1.0))
    ]
    fig = ep.plot_gradient_variance(table)
    assert [p.get_height() for p in fig.axes[0].patches] == [2.0, 1.0]
    beh = [
        {"difficulty": d, "think/usage": 0.1 * d, "pass_rate/think": 0.9, "pass_rate/direct": 0.5}
        for d in (1, 2)
    ] + [{"difficulty": "all", "think/usage": 0.15, "pass_rate/think": 0.9}]
    fig = ep.plot_behaviour({"base": beh, "rl": beh})
    assert len(fig.axes[0].patches) == 4 and len(fig.axes[1].patches) == 8
    adv = [
        {"baseline": b, "difficulty": d, "adv/think": 0.1, "adv/direct": -0.1}
        for b in ("ema", "group")
        for d in (1, 2)
    ]
    fig = ep.plot_advantages(adv)
    assert len(fig.axes) == 2 and all(len(ax.patches) == 4 for ax in fig.axes)
    assert not math.isnan(fig.axes[0].patches[0].get_height())


def test_final_by_difficulty_bars_read_the_last_rows():
    runs = {"a": _hist(), "b": _hist(v=0.2)}
    fig = ep.plot_final_by_difficulty(runs, ["pass_rate/greedy"])
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx(
        [0.5 / d for d in (1, 2, 3, 4)] + [0.2 / d for d in (1, 2, 3, 4)]
    )
