"""Zoo: named checkpoints trained once and cached by a config hash; shipped defaults are small
and reproducible bit for bit from their config."""

import pytest
import torch

from reasonlab import zoo
from reasonlab.policy import ModelConfig, Policy


def test_shipped_defaults_are_small_and_load():
    for name in ("base", "rlvr"):
        path = zoo.path_of(name)
        assert path.parent == zoo.DATA_DIR, (
            f"{name} is not shipped: run python -m reasonlab.zoo build"
        )
        assert path.stat().st_size < 700_000  # well under a megabyte
        pol = zoo.load(name, train_if_missing=False)
        assert isinstance(pol, Policy) and pol.name == name
        assert len(zoo.history(name)) > 10


def test_load_gives_independent_copies():
    a, b = zoo.load("base"), zoo.load("base")
    with torch.no_grad():
        a.model.wte.weight.zero_()
    assert b.model.wte.weight.abs().sum() > 0
    assert zoo.load("base").model.wte.weight.abs().sum() > 0


def test_train_once_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(zoo, "_RECIPES", {})
    calls = []

    def build(load):
        calls.append(1)
        torch.manual_seed(0)
        return Policy(ModelConfig(n_layer=1, n_embd=16)), [{"step": 0}]

    zoo.register("tiny", zoo.Recipe(build, {"width": 16}))
    a = zoo.load("tiny")
    b = zoo.load("tiny")
    assert len(calls) == 1
    assert zoo.path_of("tiny").parent == tmp_path
    assert torch.equal(a.model.wte.weight, b.model.wte.weight)
    assert zoo.history("tiny") == [{"step": 0}]
    # A different config is a different key, hence a new training run.
    old = zoo.key("tiny")
    zoo.register("tiny", zoo.Recipe(build, {"width": 17}), replace=True)
    assert zoo.key("tiny") != old
    zoo.load("tiny")
    assert len(calls) == 2
    # A history-only recipe keeps a small JSON file and refuses to hand out weights.
    zoo.register("tiny-run", zoo.Recipe(build, {"width": 16}, weights=False))
    assert zoo.history("tiny-run") == [{"step": 0}]
    assert zoo.path_of("tiny-run").suffix == ".json"
    assert len(calls) == 3
    assert zoo.history("tiny-run") == [{"step": 0}] and len(calls) == 3
    with pytest.raises(ValueError, match="only its training history"):
        zoo.load("tiny-run")
    with pytest.raises(ValueError, match="already registered"):
        zoo.register("tiny", zoo.Recipe(build))
    with pytest.raises(ValueError, match="built-in"):
        zoo.register("base", zoo.Recipe(build))


def test_unknown_name_is_named():
    with pytest.raises(KeyError, match="unknown zoo name 'nope'"):
        zoo.load("nope")


@pytest.mark.slow
def test_retraining_reproduces_shipped_weights_bit_for_bit():
    """Takes a few minutes: base SFT, then the default RL run, both retrained from config."""
    for name in ("base", "rlvr"):
        shipped = zoo.load(name, train_if_missing=False).model.state_dict()
        retrained, _ = zoo.train(name)
        for key, value in retrained.model.state_dict().items():
            assert torch.equal(value, shipped[key]), f"{name}: {key} differs"
