"""Distillation: students have the promised sizes, cross-entropy on the tutor's traces teaches a
fresh student, the compute accounting is exact, metadata filters select what they say, and cheap
slices of the build reproduce the shipped log and tables bit for bit."""

import json

import matplotlib
import pytest
import torch

from reasonlab import distill, zoo
from reasonlab.distill_plots import plot_compare, plot_mix
from reasonlab.policy import ModelConfig, Policy
from reasonlab.rl import train_rlvr
from reasonlab.utils import set_seed

matplotlib.use("Agg")


@pytest.mark.parametrize("fraction", [0.25, 0.5])
def test_student_config_has_the_asked_share_of_parameters(fraction):
    tutor = ModelConfig()
    cfg = distill.student_config(fraction, tutor)
    share = Policy(cfg).num_parameters() / Policy(tutor).num_parameters()
    assert abs(share - fraction) < 0.02
    assert (cfg.n_layer, cfg.n_head, cfg.block_size) == (tutor.n_layer, tutor.n_head, 128)
    assert cfg.n_embd % cfg.n_head == 0


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_student_config_rejects_bad_fractions(bad):
    with pytest.raises(ValueError, match="fraction"):
        distill.student_config(bad)


RECORDS = [
    {"prompt": "1+2=", "completion": "#### 3", "step": 1, "meta": {"how": "####"}},
    {
        "prompt": "1+3=",
        "completion": "<think>1+3=4</think>#### 4",
        "step": 5,
        "meta": {"how": "####"},
    },
    {"prompt": "1+4=", "completion": "<think>1+4=5</think>5", "step": 9, "meta": {"how": "last"}},
]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, ["1+2=", "1+3=", "1+4="]),
        ({"min_step": 5}, ["1+3=", "1+4="]),
        ({"max_step": 5}, ["1+2=", "1+3="]),
        ({"think": True}, ["1+3=", "1+4="]),
        ({"think": False}, ["1+2="]),
        ({"how": "####"}, ["1+2=", "1+3="]),
        ({"min_step": 2, "how": "####"}, ["1+3="]),
    ],
)
def test_select_traces_filters_by_logged_metadata(kw, expected):
    assert [r["prompt"] for r in distill.select_traces(RECORDS, **kw)] == expected


def test_train_ce_spends_the_budget_and_mixes_sources_by_share():
    set_seed(0)
    pol = Policy(distill.student_config(0.25))
    tok = pol.tokenizer
    traces = distill.trace_examples(tok, RECORDS)
    plain = distill.plain_examples(tok, 5, domains=("logic",))
    per_step = 6 * pol.num_parameters() * 8 * 20  # a rough batch, to ask for a few steps
    seen = []
    h = distill.train_ce(
        pol,
        [traces, plain],
        flops=3 * per_step,
        shares=[0.0, 1.0],
        batch_size=8,
        callback=seen.append,
    )
    assert seen == h
    # Exactly enough steps: the budget is reached by the last step and not before it.
    assert h[-1]["flops"] >= 3 * per_step > (h[-2]["flops"] if len(h) > 1 else 0)
    # With share 1 on the logic source every token came from it (all prompts start "max(").
    logic_tokens = sorted({distill.example_tokens(tok, ex) for ex in plain})
    assert all(
        (b["tokens"] - a["tokens"]) >= 8 * logic_tokens[0] for a, b in zip(h, h[1:], strict=False)
    )
    assert h[0]["flops"] == 6 * pol.num_parameters() * h[0]["tokens"]


@pytest.mark.parametrize(
    ("shares", "match"),
    [([0.5], "summing to 1"), ([0.7, 0.7], "summing to 1"), ([1.5, -0.5], "non-negative")],
)
def test_train_ce_rejects_bad_shares(shares, match):
    pol = Policy(distill.student_config(0.25))
    ex = distill.trace_examples(pol.tokenizer, RECORDS)
    with pytest.raises(ValueError, match=match):
        distill.train_ce(pol, [ex, ex], flops=1.0, shares=shares)


def test_distilling_tutor_traces_teaches_a_fresh_student():
    """A random quarter-size student, a few seconds of cross-entropy on the tutor's shipped
    log: the held-out loss on traces it never saw falls by more than half."""
    set_seed(0)
    traces = distill.tutor_traces()
    train, held = traces[:-200], traces[-200:]
    pol = Policy(distill.student_config(0.25))
    tok = pol.tokenizer
    held_ex = distill.trace_examples(tok, held)

    def held_loss() -> float:
        with torch.no_grad():
            return float(
                distill.bucketed_cross_entropy(pol, *map(list, zip(*held_ex, strict=True)))
            )

    before = held_loss()
    ex = distill.trace_examples(tok, train)
    distill.train_ce(pol, [ex], flops=6 * pol.num_parameters() * 64 * 35 * 60, lr=3e-3)
    after = held_loss()
    assert after < 0.5 * before, (before, after)


def test_rl_flops_counts_sampling_and_training_per_update():
    cfg = zoo.default_rl_config()
    hist = [{"step": 0}, {"step": 1, "completion/mean_tokens": 10.0}]
    n = 1000
    expected = 8 * n * cfg.prompts_per_step * cfg.num_samples * (6.0 + 10.0)
    assert distill.rl_flops(hist, cfg, n, prompt_tokens=6.0) == expected


def test_table_formats_numbers():
    rows = [{"arm": "x", "params": 28110, "pass_rate": 0.5, "flops": 1.23456e12}]
    text = distill.table(rows, ["arm", "params", "pass_rate", "flops"])
    assert text.splitlines()[2] == "| x | 28,110 | 0.500 | 1.23e+12 |"


# ----------------------------------------------------------------------------- shipped results


def test_tutor_log_reproduces_from_the_first_rl_steps(tmp_path):
    """Rerunning the tutor's RL for two updates from the shipped base logs exactly the shipped
    log's records of steps 1 and 2 (same prompts, completions, metadata)."""
    shipped = [r for r in distill.tutor_traces() if r["step"] <= 2]
    policy = zoo.load("base")
    policy.name = distill.TUTOR
    from dataclasses import replace

    cfg = replace(zoo.default_rl_config(), steps=2, eval_size=2)  # evaluation is not training
    path = tmp_path / "log.jsonl"
    train_rlvr(policy, distill.rl_problems(), cfg, trajectories=path, progress=False)
    from reasonlab.trajectories import read

    rerun = json.loads(json.dumps(read(path)))
    assert len(shipped) > 100
    assert rerun == shipped


def test_shipped_student_reproduces_its_table_row():
    """The shipped quarter student is the distill arm at its largest budget: measuring it again
    gives that row's numbers exactly."""
    results = distill.load_results()
    cfg = results["config"]
    row = next(
        r
        for r in results["compare"]
        if (r["size"], r["arm"], r["budget_multiple"])
        == ("quarter", "distill", max(cfg.distill_multiples))
    )
    again = distill.measure(distill.load_student("quarter"), cfg)
    for key, val in again.items():
        assert row[key] == val, key


def test_shipped_tables_are_complete_and_consistent():
    results = distill.load_results()
    cfg, tutor = results["config"], results["tutor"][0]
    rows = results["compare"]
    arms = {(r["size"], r["arm"]) for r in rows}
    assert arms == {(s, a) for s in distill.SIZES for a in distill.ARMS}
    for size in distill.SIZES:
        rl_row = next(r for r in rows if (r["size"], r["arm"]) == (size, "rlvr"))
        dist = [r for r in rows if (r["size"], r["arm"]) == (size, "distill")]
        assert [r["budget_multiple"] for r in dist] == list(cfg.distill_multiples)
        for r in rows:
            assert r["params"] < tutor["params"]
            if r["size"] == size and r["arm"] in ("distill", "sft"):
                # Equal compute: each arm stops within one batch of its share of the RL budget.
                target = r["budget_multiple"] * rl_row["flops"]
                assert target <= r["flops"] < target * 1.05
    # A zero share of plain data draws exactly the distill arm's batches: same numbers.
    mix0 = next(r for r in results["mix"] if r["plain_share"] == 0.0)
    twin = next(
        r
        for r in rows
        if (r["size"], r["arm"], r["budget_multiple"])
        == ("quarter", "distill", results["mix_multiple"])
    )
    for key in ("pass_rate", "tokens_per_answer", "think/usage", "steps", "flops"):
        assert mix0[key] == twin[key], key
    assert [r["plain_share"] for r in results["mix"]] == list(cfg.mix_ratios)
    for r in results["filter"]:  # each selection spent the filter budget, within one batch
        target = results["filter_multiple"] * results["budget"]
        assert target <= r["flops"] < target * 1.05


def test_plots_draw_every_arm():
    results = distill.load_results()
    one_budget = [r for r in results["compare"] if r["budget_multiple"] <= 1.0]
    fig = plot_compare(one_budget, results["tutor"][0])
    labels = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert len(labels) == 5 and labels[0].startswith("tutor")
    fig = plot_mix(results["mix"])
    assert fig.axes[0].get_xlabel().startswith("share of plain")


# ----------------------------------------------------------------------------- orchestration


@pytest.mark.slow  # about 15 s of CPU: five short trainings
def test_build_orchestration_runs_every_student_part_in_order(tmp_path, monkeypatch):
    """The build's student parts on a tiny recipe: ``quarter`` writes the budget, the table and
    the student; ``mix`` and ``filter`` spend that budget; a share 0 of plain data draws the
    distill arm's batches exactly, so its row equals the distill row at the same budget."""
    import shutil

    monkeypatch.setenv("REASONLAB_CACHE", str(tmp_path / "cache"))
    cfg = distill.DistillConfig(
        base_steps=3,
        rl_steps=1,
        eval_size=8,
        logic_eval_size=8,
        plain_pool=40,
        mix_ratios=(0.0, 0.5),
        distill_multiples=(1.0, 2.0),
        sweep_multiple=2.0,
        filter_multiple=1.0,
    )
    out = tmp_path / "data"
    out.mkdir()
    with pytest.raises(FileNotFoundError, match="distill/quarter"):
        distill.build("mix", out_dir=out, cfg=cfg)  # no budget yet: an error, not a wait
    shutil.copy(distill.DATA_DIR / distill.TRACES_FILE, out / distill.TRACES_FILE)
    distill.build("quarter", out_dir=out, cfg=cfg)
    assert {p.name for p in out.iterdir()} >= {
        "budget-quarter.json",
        "compare-quarter.json",
        "student-quarter.pt",
    }
    rows = json.loads((out / "compare-quarter.json").read_text())["rows"]
    assert [r["arm"] for r in rows] == ["base", "rlvr", "sft", "distill", "distill"]
    budget = json.loads((out / "budget-quarter.json").read_text())["budget"]
    assert rows[1]["flops"] == budget > 0
    distill.build("mix", out_dir=out, cfg=cfg)
    distill.build("filter", out_dir=out, cfg=cfg)
    mix = json.loads((out / "mix.json").read_text())
    assert mix["budget"] == 2.0 * budget
    assert [r["plain_share"] for r in mix["rows"]] == [0.0, 0.5]
    twin = next(r for r in rows if r["arm"] == "distill" and r["budget_multiple"] == 2.0)
    for key in ("pass_rate", "think/usage", "steps", "flops"):
        assert mix["rows"][0][key] == twin[key], key
    filt = json.loads((out / "filter.json").read_text())["rows"]
    assert len(filt) == 2 and sum(r["n_traces"] for r in filt) == len(distill.tutor_traces())
