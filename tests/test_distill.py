"""Distillation: students have the promised sizes and the tutor's first RL steps reproduce the
shipped log bit for bit (the data: ``test_distill_data.py``; the budget and the cross-entropy
runs: ``test_distill_budget.py``; the per-seed students: ``test_distill_seeds.py``)."""

import json

import pytest

from reasonlab.shipped import distill, zoo
from reasonlab.training.rl import train_rlvr
from reasonlab.world.policy import ModelConfig, Policy


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
    from reasonlab.training.trajectories import read

    rerun = json.loads(json.dumps(read(path)))
    assert len(shipped) > 100
    assert rerun == shipped
