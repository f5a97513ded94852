"""The comparisons over paired seeds: the held-out set is what it says, histories survive the
compact format, the summaries compute the intervals they claim, arms of one seed are paired,
stale files are refused, the bands draw, and the shipped runs are what the code produces."""

import json
import math
from dataclasses import replace

import matplotlib
import pytest

matplotlib.use("Agg")

from reasonlab.core import artifacts, stats
from reasonlab.plots import experiments as ep
from reasonlab.shipped import experiments as ex  # noqa: E402
from reasonlab.shipped import experiments_seeds as xs  # noqa: E402
from reasonlab.shipped import seed_tables as st
from reasonlab.shipped import zoo
from reasonlab.world import tasks

EVAL_KEYS = [f"{p}/d{d}" if d else p for p in xs.EVAL_PREFIXES for d in (None, *xs.LEVELS)]


@pytest.fixture
def stand_in_bases(monkeypatch):
    """Every seed starts from the chapter's base (until the zoo has the seed bases)."""
    monkeypatch.setattr(xs, "base_name", lambda seed: "base")


# ----------------------------------------------------------------------------- the set-up


def test_held_out_set_is_distinct_and_has_every_one_digit_test_problem():
    probs = xs.held_out_set()
    sizes = xs.held_out_sizes(probs)
    assert sizes["distinct"] == len(probs)
    assert [sizes[f"d{d}"] for d in (2, 3, 4)] == [xs.HELD_OUT[d] for d in (2, 3, 4)]
    ones = {f"{a}+{b}=" for a in range(10) for b in range(10)}
    ones = {q for q in ones if tasks.split_of("math", q) == "test"}
    assert {p.prompt for p in probs if p.difficulty == 1} == ones
    assert sizes["d1"] == len(ones) == 21
    assert all(p.split == "test" for p in probs)
    assert xs.held_out_set() == probs  # fixed: the same set for every seed and arm


def test_arm_configs_change_one_field_and_the_seed():
    default = zoo.default_rl_config()
    for arm in xs.ARMS:
        cfg = xs.arm_config(arm, 3)
        assert (cfg.seed, cfg.eval_every, cfg.steps) == (3, xs.EVAL_EVERY, default.steps)
        if arm != "group":
            assert cfg == replace(ex.run_config(arm), seed=3, eval_every=xs.EVAL_EVERY)
    assert set(xs.ARMS) == {a for comp in ex.COMPARISONS.values() for a in comp.values()}
    for comp, ref in xs.REFERENCES.items():
        assert ref in ex.COMPARISONS[comp]
    with pytest.raises(KeyError, match="unknown arm"):
        xs.arm_config("nope", 1)
    # The recipe names no seed of its own: the seeds are a field of their own.
    assert "seed" not in xs.recipe("kl=0.1")["config"]
    assert "filter" in xs.recipe("difficulty-filtered")


# ----------------------------------------------------------------------------- formats


def _history(steps=6, every=5, v=0.5, slope=0.05):
    """A hand-made history logged as train_rlvr logs one (held-out values carried forward)."""
    rows, last = [], {}
    for s in range(steps + 1):
        row = {"step": s}
        if s:
            row.update({k: 0.5 + 0.01 * s for k in xs.TRAIN_KEYS})  # the same in every arm
        if s % every == 0 or s == steps:
            last = {"eval_step": s}
            for p in xs.EVAL_PREFIXES:
                for d in xs.LEVELS:
                    last[f"{p}/d{d}"] = v + slope * s / d
                last[p] = -1.0  # pooled over the set: compact replaces it by the balanced mean
        row.update(last)
        rows.append(row)
    return rows


def test_compact_keeps_every_step_and_the_evaluations_only():
    hist = _history()
    run = xs.compact(hist)
    assert run["train"]["step"] == list(range(7))
    assert run["eval"]["step"] == [0, 5, 6]
    assert run["train"]["reward/mean"][0] is None
    assert run["train"]["kl"][3] == pytest.approx(0.53)
    d = [hist[5][f"pass_rate/greedy/d{k}"] for k in xs.LEVELS]
    assert run["eval"]["pass_rate/greedy"][1] == pytest.approx(round(sum(d) / 4, xs.DIGITS))
    back = xs.expand(run)
    assert [r["step"] for r in back] == list(range(7))
    assert back[3]["eval_step"] == 0 and back[5]["eval_step"] == 5
    assert back[4]["pass_rate/greedy/d2"] == hist[0]["pass_rate/greedy/d2"]  # carried forward
    assert "reward/mean" not in back[0]
    per_difficulty = [k for k in EVAL_KEYS if "/d" in k]
    for r_new, r_old in zip(back, hist, strict=True):
        for k in [*xs.TRAIN_KEYS, *per_difficulty]:
            if k in r_old:
                assert r_new[k] == pytest.approx(r_old[k], abs=10**-xs.DIGITS)
    # Rounding: the file stays short.
    assert all(len(repr(v)) <= 7 for v in run["eval"]["pass_rate/greedy/d3"])


# ----------------------------------------------------------------------------- summaries


def _arms():
    """Two arms over three seeds with a large seed effect; arm b is arm a plus 0.08, 0.10 and
    0.12 (seeds 1, 2, 3)."""
    noise = {1: 0.0, 2: 0.2, 3: -0.1}
    a = {s: _history(v=0.3 + noise[s]) for s in noise}
    b = {s: _history(v=0.3 + noise[s] + 0.1 + 0.02 * (s - 2)) for s in noise}
    return {"a": a, "b": b}


def test_arm_table_is_the_t_interval_over_seeds():
    arms = _arms()
    rows = st.arm_table(arms, ["pass_rate/greedy/d1", "kl"])
    assert [r["arm"] for r in rows] == ["a", "b"] and rows[0]["seeds"] == 3
    vals = [0.3 + n + 0.05 * 6 for n in (0.0, 0.2, -0.1)]  # d1 at the last step (6)
    iv = rows[0]["pass_rate/greedy/d1"]
    assert iv.mean == pytest.approx(sum(vals) / 3)
    assert iv == stats.mean_ci(st.per_seed(arms["a"], "pass_rate/greedy/d1").values())
    half = stats.t_quantile(0.975, 2) * iv.sd / math.sqrt(3)
    assert (iv.lo, iv.hi) == pytest.approx((iv.mean - half, iv.mean + half))
    # best, at a step, final
    h = arms["a"][1]
    assert st.value(h, "pass_rate/greedy/d1", "best") == pytest.approx(0.3 + 0.05 * 6)
    assert st.value(h, "pass_rate/greedy/d1", 5) == pytest.approx(0.3 + 0.05 * 5)
    assert st.value(h, "pass_rate/greedy/d1", 4) == st.value(h, "pass_rate/greedy/d1", 0)
    (row, _) = st.arm_table(arms, [("pass_rate/greedy/d1", "best"), ("pass_rate/greedy/d1", 5)])
    assert row["pass_rate/greedy/d1 (best)"].mean == pytest.approx(iv.mean)
    assert row["pass_rate/greedy/d1 @ 5"].mean == pytest.approx(iv.mean - 0.05)
    with pytest.raises(KeyError, match="step 99"):
        st.value(h, "kl", 99)
    with pytest.raises(KeyError, match="not logged"):
        st.value(h, "kl", 0)


def test_paired_differences_and_distinguishable():
    arms = _arms()
    rows = st.difference_table(arms, "a", ["pass_rate/greedy/d1", "kl"])
    assert [(r["arm"], r["metric"]) for r in rows] == [
        ("b - a", "pass_rate/greedy/d1"),
        ("b - a", "kl"),
    ]
    d1 = rows[0]["difference"]
    want = stats.mean_ci([0.08, 0.10, 0.12])
    assert (d1.mean, d1.lo, d1.hi) == pytest.approx((want.mean, want.lo, want.hi))
    # The seeds' spread (0.3) is far larger than the spread of the differences (0.1): paired,
    # the difference is told apart from zero; unpaired intervals overlap.
    assert rows[0]["distinguishable"] == "yes" and d1.lo > 0
    a, b = (st.arm_table(arms, ["pass_rate/greedy/d1"])[i]["pass_rate/greedy/d1"] for i in (0, 1))
    assert a.hi > b.lo
    # kl is the same function of the step in both arms: difference 0, not distinguishable.
    assert rows[1]["difference"].mean == pytest.approx(0.0)
    assert rows[1]["distinguishable"] == "no"
    with pytest.raises(KeyError, match="reference"):
        st.difference_table(arms, "zzz", ["kl"])
    with pytest.raises(ValueError, match="same seeds"):
        st.difference_table({"a": arms["a"], "b": {1: arms["b"][1]}}, "a", ["kl"])


def test_spread_and_first_difference():
    arms = _arms()
    (row, _) = st.spread_table(arms, "pass_rate/greedy/d1")
    assert row["min-max"] == pytest.approx(0.3)
    assert [row[f"seed {s}"] for s in (1, 2, 3)] == pytest.approx([0.6, 0.8, 0.5])
    h = _history()
    other = [dict(r) for r in h]
    assert xs.first_difference(h, other) is None
    other[4]["think/usage"] += 0.01
    assert xs.first_difference(h, other) == 4
    rows = xs.twin_table({1: h, 2: h}, {1: h, 2: other}, names=("x", "y"))
    assert [r["same batches through step"] for r in rows] == [6, 3]
    assert rows[0]["min grad_norm, y"] == pytest.approx(0.51)


# ----------------------------------------------------------------------------- runs and files


def test_arms_of_one_seed_are_paired(stand_in_bases):
    a = xs.run("group", 1, steps=1)["run"]
    b = xs.run("kl=0.3", 1, steps=1)["run"]
    c = xs.run("group", 2, steps=1)["run"]
    assert a["eval"]["step"] == [0, 1]
    first = {k: v[0] for k, v in a["eval"].items()}
    assert first == {k: v[0] for k, v in b["eval"].items()}  # same base, same held-out set
    greedy = [k for k in first if k.startswith("pass_rate/greedy")]
    assert [first[k] for k in greedy] == [c["eval"][k][0] for k in greedy]  # no seed in it
    # Step 1: the same prompts and sampler seed from the same weights: the same batch.
    for k in ("reward/mean", "think/usage", "completion/mean_tokens"):
        assert a["train"][k][1] == b["train"][k][1]
    assert any(a["train"][k][1] != c["train"][k][1] for k in ("reward/mean", "think/usage"))
    assert a["eval"]["pass_rate/sampled"][0] != c["eval"]["pass_rate/sampled"][0] or (
        a["eval"]["eval/completion/mean_tokens"][0] != c["eval"]["eval/completion/mean_tokens"][0]
    )


def _fake_folder(tmp_path):
    """Files of every arm with hand-made runs, as the build would write them."""
    hist = _history(steps=10)
    for arm in xs.ARMS:
        seeds = {}
        for s in xs.SEEDS:
            seeds[str(s)] = {"run": xs.compact(hist)}
            if arm == "difficulty-filtered":
                seeds[str(s)]["difficulty_filter"] = {"kept": 500 + s, "total": 1000}
        meta = {
            "base_keys": {str(s): zoo.key(xs.base_name(s)) for s in xs.SEEDS},
            "recipe": xs.recipe(arm),
            "command": f"python -m reasonlab.build experiments/seeds/{arm}",
        }
        xs.path(arm, tmp_path).write_text(json.dumps({"meta": meta, "seeds": seeds}))
    return tmp_path


def test_load_groups_the_arms_and_refuses_stale_files(tmp_path, stand_in_bases):
    folder = _fake_folder(tmp_path)
    res = xs.load(folder)
    assert set(res["runs"]) == set(ex.COMPARISONS)
    assert set(res["runs"]["baselines"]["none"]) == set(xs.SEEDS)
    assert res["runs"]["kl"]["kl_coef=0"] is res["arms"]["group"]
    assert res["difficulty_filter"][3]["kept"] == 503
    path = xs.path("ema", folder)
    data = json.loads(path.read_text())
    data["meta"]["base_keys"]["2"] = "0" * 12
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="rebuild"):
        xs.load(folder)
    data["meta"]["base_keys"]["2"] = zoo.key("base")
    data["seeds"]["2"]["run"]["eval"]["pass_rate/greedy/d3"][0] += 0.01  # other weights
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="seed 2 starts from another evaluation"):
        xs.load(folder)
    xs.load(folder, check=False)
    summary = xs.summarize(res)
    assert set(summary) == set(ex.COMPARISONS)
    rows = summary["kl"]["differences"]
    assert len(rows) == 2 * len(xs.SUMMARY_COLUMNS)  # two arms against kl_coef=0
    assert {r["distinguishable"] for r in rows} == {"no"}  # the same runs everywhere
    assert [r["arm"] for r in summary["cost"]["arms"]] == list(ex.COMPARISONS["cost"])
    path.unlink()
    with pytest.raises(FileNotFoundError, match="build experiments/seeds/ema"):
        xs.load(folder)


# ----------------------------------------------------------------------------- figures


def test_bands_draw_the_mean_and_the_interval():
    arms = _arms()
    fig = ep.plot_bands(arms, ["pass_rate/greedy/d1", "kl"])
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    assert ax.lines[0].get_xdata().tolist() == [0, 5, 6]  # evaluated steps only
    mean6 = sum(0.3 + n + 0.3 for n in (0.0, 0.2, -0.1)) / 3
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(mean6)
    assert len(fig.axes[1].lines[0].get_xdata()) == 6  # a training metric: every update
    with pytest.raises(KeyError, match="never logged"):
        ep.plot_bands(arms, ["nope"])
    fig = ep.plot_difficulty_bands(arms)
    assert [len(ax.lines) for ax in fig.axes] == [4, 4]
    fig = ep.plot_final_by_difficulty_ci(arms, ["pass_rate/greedy"])
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[:4] == pytest.approx([0.3 + 0.1 / 3 + 0.3 / d for d in (1, 2, 3, 4)])
    assert len(heights) == 8


# ----------------------------------------------------------------------------- shipped data


def test_shipped_arms_cover_every_seed_and_evaluation():
    res = xs.load()
    steps = zoo.default_rl_config().steps
    evals = list(range(0, steps + 1, xs.EVAL_EVERY))
    for arm, seeds in res["arms"].items():
        assert sorted(seeds) == list(xs.SEEDS), arm
        for s, hist in seeds.items():
            assert [r["step"] for r in hist] == list(range(steps + 1)), (arm, s)
            assert sorted({r["eval_step"] for r in hist}) == evals, (arm, s)
    for meta in res["meta"].values():
        assert meta["held_out_sizes"]["d1"] == 21
        assert meta["held_out_sizes"]["distinct"] == len(xs.held_out_set())
    assert set(xs.SEEDS) <= set(getattr(zoo, "SEEDS", xs.SEEDS))


@pytest.mark.slow
def test_shipped_seed_run_is_reproduced_by_a_short_rerun():
    """The first five updates (and the evaluations at 0 and 5) of one arm and seed, rerun now,
    match the shipped file: bit for bit (after the file's rounding) on a machine with the
    building machine's fingerprint (the manifest's ``made_with``: torch version, CPU kernels,
    threads), else within a
    tolerance (other kernels round float32 differently, and a flipped token changes a batch)."""
    arm, seed, steps = "cost=0.01", xs.SEEDS[0], xs.EVAL_EVERY
    shipped = xs.read(arm)
    ref = shipped["seeds"][str(seed)]["run"]
    new = xs.run(arm, seed, steps=steps)["run"]
    exact = artifacts.same_machine(f"experiments/seeds/{arm}")
    for k, col in new["train"].items():
        if exact:
            assert col == ref["train"][k][: steps + 1], k
        elif k in ("reward/mean", "think/usage"):
            mean = lambda xs_: sum(xs_[1:]) / steps  # noqa: E731
            assert mean(col) == pytest.approx(mean(ref["train"][k][: steps + 1]), abs=0.1), k
    for k, col in new["eval"].items():
        got, want = col, ref["eval"][k][: len(col)]
        if exact:
            assert got == want, k
        elif k.startswith("pass_rate"):
            assert got == pytest.approx(want, abs=0.15), k


def test_tables_show_intervals_and_differences():
    arms = _arms()
    t = ep.show_arms(arms, ["pass_rate/greedy/d1", ("kl", 5)], caption="After 6 steps")
    html = t._repr_html_()
    assert "After 6 steps: mean over 3 paired seeds [95% t-interval]" in html
    assert "kl @ 5" in html and html.count("[") >= 4
    iv = st.arm_table(arms, ["pass_rate/greedy/d1"])[0]["pass_rate/greedy/d1"]
    assert iv.text() in repr(t)
    t = ep.show_differences(arms, "a", ["pass_rate/greedy/d1"])
    assert "distinguishable at 3 seeds?" in repr(t) and "yes" in repr(t)
    assert "b - a" in t._repr_html_()
    t = ep.show_spread(arms, "pass_rate/greedy/d1")
    assert [r["arm"] for r in t.rows] == ["a", "b"] and "seed 3" in t.columns
