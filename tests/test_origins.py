"""Where the reasoning comes from: the bases' recipes change one field, the redo check is what
it says, the summaries compute the intervals they claim, stale files are refused, and a slice
of the shipped runs is what the code produces."""

import json
import random
from dataclasses import asdict

import matplotlib
import pytest

matplotlib.use("Agg")

from reasonlab.core import artifacts, stats
from reasonlab.measurement import evaluation
from reasonlab.shipped import origins, zoo
from reasonlab.shipped import origins_summary as osum  # noqa: E402
from reasonlab.training import sft
from reasonlab.world import tasks
from reasonlab.world.tokenizer import CHECK, THINK

# ----------------------------------------------------------------------------- recipes


def test_prior_bases_change_think_frac_only_and_reuse_the_zoo_seed_bases():
    for s in origins.SEEDS:
        assert origins.prior_base(0.3, s) == zoo.seed_base(s)
        assert origins.prior_sft_config(0.3, s) == zoo.seed_sft_config(s)
        cfg, ref = asdict(origins.prior_sft_config(0.01, s)), asdict(zoo.seed_sft_config(s))
        assert {k for k in cfg if cfg[k] != ref[k]} == {"think_frac"}
    assert origins.prior_base(0.0, 2) in zoo.names()
    assert not zoo.recipe(origins.prior_base(0.1, 1)).shipped  # only their results ship


def test_new_sft_field_keeps_every_shipped_recipe_hash():
    assert "check_style" not in sft.recipe(sft.SFTConfig())
    assert sft.recipe(origins.check_sft_config(0.2, 1))["check_style"] == "redo"
    # The shipped bases are found under their old keys (their files exist in the package).
    for name in ("base", *map(zoo.seed_base, zoo.SEEDS), "base-multi"):
        assert zoo.path_of(name).parent == zoo.DATA_DIR, name


def test_redo_check_writes_the_step_again_and_revises_a_caught_slip():
    p = tasks.make("math", 1, difficulty=3, seed=4)[0]
    for seed in range(20):
        segs = tasks.demonstration(
            p, think=True, rng=random.Random(seed), check_rate=1.0, error_rate=0.5,
            check_style="redo",
        )  # fmt: skip
        text = "".join(t for t, _ in segs)
        assert text.endswith(tasks.ANSWER + p.answer)
        stats_ = evaluation.self_check_stats([text])
        assert stats_["checks_per_step"] == 1.0
        # Every wrong step is caught and fixed; a right one never raises an alarm.
        if stats_["step_error_rate"] < 1:
            assert stats_["false_alarms"] == 0.0
        if stats_["step_error_rate"] > 0:
            assert stats_["caught"] == 1.0 and stats_["fixed"] == 1.0
        # The wrong digits are never trained on.
        assert all(train or t.isdigit() for t, train in segs)
    with pytest.raises(ValueError, match="check_style"):
        tasks.demonstration(p, think=True, rng=random.Random(0), check_style="guess")
    # The default style is the book's subtraction check, unchanged.
    old = "".join(t for t, _ in tasks.demonstration(p, think=True, rng=random.Random(1),
                                                     check_rate=1.0))  # fmt: skip
    a, b = p.operands
    first = (a % 10 + b % 10) % 100
    assert old.startswith(f"{THINK}{a % 10}+{b % 10}={first}{CHECK}{first}-{b % 10}")


def test_narrow_prompts_are_distinct_training_prompts_fixed_by_seed():
    a = origins.narrow_prompts(16, 1)
    assert a == origins.narrow_prompts(16, 1) and a != origins.narrow_prompts(16, 2)
    assert len({p.prompt for p in a}) == 16
    assert all(p.split == "train" for p in a)


def test_items_and_recipes():
    its = origins.items()
    assert len(its) == len(set(its)) == 14
    r = origins.recipe("prior-t0.01")
    assert "seed" not in r["rl"] and len(r["bases"]) == len(origins.SEEDS)
    assert origins.recipe("controls-coin")["bases"] == origins.recipe("narrow-1")["bases"]
    with pytest.raises(KeyError, match="unknown origins item"):
        origins.recipe("prior-t0.5")


# ----------------------------------------------------------------------------- summaries


def _fake(value: float) -> dict:
    ev = {f"{k}/d{d}": value for k in origins.EVAL_KEYS for d in origins.LEVELS}
    ev.update({k: value for k in origins.EVAL_KEYS}, tokens=10.0)
    return ev


def test_summaries_compute_paired_intervals():
    base = {"think": 0.1, "pass1": 0.3, "pass1/d1": 0.9, "pass_k": 0.8, "pass_k_think": 0.5}
    data = {
        f"prior-t{f:g}": {
            s: {"base": base, "rl": {"before": _fake(0.25), "after": _fake(0.25 + f + s / 100)}}
            for s in origins.SEEDS
        }
        for f in origins.THINK_FRACS
    }
    rows = osum.prior_rows(data)
    top = rows[-1]
    want = stats.mean_ci([0.3 + s / 100 for s in origins.SEEDS])
    assert top["rl_gain"].mean == pytest.approx(want.mean)
    assert top["rl_gain"].lo == pytest.approx(want.lo)
    assert rows[0]["seeds"] == len(origins.SEEDS)
    fig = osum.prior_figure(rows)
    assert len(fig.axes) == 3


# ----------------------------------------------------------------------------- shipped data


def _shipped(item: str) -> dict:
    if not origins.path(item).exists():
        pytest.skip(f"origins/{item} not built")
    return origins.read(item)


def test_shipped_files_are_fresh_and_have_every_seed():
    for item in origins.items():
        data = _shipped(item)
        assert sorted(map(int, data["seeds"])) == list(origins.SEEDS), item
        assert data["meta"]["recipe"] == json.loads(json.dumps(origins.recipe(item)))


def test_stale_file_is_refused(tmp_path):
    item = "controls-coin"
    data = _shipped(item)
    data["meta"]["recipe"]["bases"] = {"base-s1": "000000000000"}
    origins.path(item, tmp_path).write_text(json.dumps(data))
    with pytest.raises(ValueError, match="rebuild with"):
        origins.read(item, tmp_path)
    with pytest.raises(FileNotFoundError, match="python -m reasonlab.build origins/narrow-1"):
        origins.read("narrow-1", tmp_path)


@pytest.mark.slow  # about 15 s of CPU: two held-out evaluations and three RL steps
def test_a_slice_of_the_shipped_controls_reruns():
    """Three RL steps of the coin-flip control from seed 1's base: the same training columns
    and the same first evaluation as the shipped run (bit for bit on the building machine;
    elsewhere within a tolerance)."""
    item, seed, steps = "controls-coin", origins.SEEDS[0], 3
    ref = _shipped(item)["seeds"][str(seed)]["rl"]
    new = origins.run_item(item, seed, steps=steps)["rl"]
    exact = artifacts.same_machine(f"origins/{item}")
    for k, col in new["train"].items():
        if exact:
            assert col == ref["train"][k][:steps], k
    for k, v in new["before"].items():
        if exact:
            assert v == ref["before"][k], k
        elif k.startswith("pass_rate"):
            assert v == pytest.approx(ref["before"][k], abs=0.15), k


def test_benchmark_has_the_issue_schema():
    for item in origins.items():
        _shipped(item)
    out = osum.benchmark(origins.load())
    assert out["seeds"] == list(origins.SEEDS)
    assert [r["think_frac"] for r in out["prior"]] == list(origins.THINK_FRACS)
    for r in out["prior"]:
        assert set(r) >= {"think_frac", "base_think", "rl_pass", "rl_think"}
        assert len(r["rl_pass"]["ci95"]) == 2
    assert set(out["controls"]) == {"verifier", *origins.CONTROLS}
    for r in out["controls"].values():
        assert set(r) >= {"pass_before", "pass_after"}
    assert {(r["prompts"], r["method"]) for r in out["narrow"]} == {
        (n, m) for n in origins.NARROW_SIZES for m in origins.NARROW_METHODS
    }
    assert [r["check_rate"] for r in out["checks"]][:-1] == list(origins.CHECK_RATES)
    for r in out["checks"]:
        assert set(r) >= {"check_rate", "caught", "false_alarm", "fixed"}
        assert "checks_per_step_after_rl" in r
