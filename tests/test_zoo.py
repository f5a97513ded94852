"""Zoo: named checkpoints trained once and cached by a config hash; shipped defaults are small
and retraining them from their config gives the same policy: bit for bit on a machine with the
build's fingerprint, within the spread between seeds elsewhere."""

import pytest
import torch

from reasonlab.core import artifacts
from reasonlab.measurement.evaluation import evaluate
from reasonlab.shipped import zoo
from reasonlab.training.sft import recipe as sft_recipe
from reasonlab.training.sft import train_base
from reasonlab.world import tasks
from reasonlab.world.policy import ModelConfig, Policy

SEED_BASES = [zoo.seed_base(s) for s in zoo.SEEDS]
BASES = ["base", *SEED_BASES]  # one recipe, six seeds


def test_shipped_defaults_are_small_and_load():
    for name in ("base", *SEED_BASES, "base-multi", "rlvr"):
        path = zoo.path_of(name)
        assert path.parent == zoo.DATA_DIR, (
            f"{name} is not shipped: run python -m reasonlab.build zoo/{name}"
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


def test_seed_bases_are_the_base_recipe_with_another_seed():
    base = zoo.recipe("base").config["sft"]
    assert base["seed"] == 0  # the chapter's base keeps its seed
    for s in zoo.SEEDS:
        name = zoo.seed_base(s)
        assert name == f"base-s{s}" and zoo.recipe(name).shipped
        assert zoo.recipe(name).config["sft"] == {**base, "seed": s}
    with pytest.raises(ValueError, match="no seed base for seed 0"):
        zoo.seed_base(0)


def _sft_config(name):
    cfg = zoo.default_sft_config() if name == "base" else zoo.seed_sft_config(int(name[6:]))
    assert sft_recipe(cfg) == zoo.recipe(name).config["sft"]  # check_style left out at default
    return cfg


class _EnoughError(Exception):
    pass


def _first_losses(name: str, steps: int) -> dict[int, float]:
    """The loss of the first ``steps`` SFT steps of ``name``'s recipe (the full schedule's)."""
    losses = {}

    def stop(row):
        losses[row["step"]] = row["loss"]
        if len(losses) == steps:
            raise _EnoughError

    with pytest.raises(_EnoughError):
        train_base(_sft_config(name), progress=False, callback=stop)
    return losses


@pytest.mark.parametrize("name", ["base", SEED_BASES[-1]])
def test_a_retrained_slice_of_a_base_matches_the_shipped_history(name):
    """The first 41 SFT steps of the recipe, retrained, against the losses the build logged.

    Same fingerprint as the build (torch version, CPU kernels, threads): bit for bit. Another
    fingerprint: float32 rounds differently, so only agreement is asked, within the spread
    (max - min) of the same step's loss over the six shipped seeds, read from their histories
    (measured: 0.055, 0.070, 0.26, 0.31, 0.26 at steps 0-40; AVX2 instead of AVX-512 kernels
    moved base-s1's losses by at most 1.5e-6). That is the tolerance the chapter's claims can
    stand: another machine's base is another draw of the same recipe, as another seed is.
    """
    shipped = {r["step"]: r["loss"] for r in zoo.history(name) if r["step"] <= 40}
    assert len(shipped) >= 5  # the build keeps every 10th row
    mine = _first_losses(name, 41)
    if artifacts.same_machine(f"zoo/{name}"):
        assert {k: mine[k] for k in shipped} == shipped
        return
    seeds = [{r["step"]: r["loss"] for r in zoo.history(n)} for n in BASES]
    for k, loss in shipped.items():
        spread = max(h[k] for h in seeds) - min(h[k] for h in seeds)
        assert abs(mine[k] - loss) <= spread, (k, mine[k], loss, spread)


#: Spread (max - min) of the batch reward and thinking share at RL steps 1, 2, 3 over RL seeds
#: 0-4 from base-s1 (measured: reward 0.117, 0.129, 0.113; thinking 0.078, 0.078, 0.047), the
#: smallest of the three: what another seed changes this early. With AVX2 kernels instead of
#: AVX-512 the same three steps had identical rewards and thinking (losses differed by 1e-7).
RL_SEED_SPREAD = {"reward/mean": 0.11, "think/usage": 0.045}


def test_a_retrained_slice_of_rlvr_matches_the_shipped_history():
    """The first 3 steps of the default RL run from the shipped base, against the shipped log:
    bit for bit with the build's fingerprint; elsewhere within RL_SEED_SPREAD (float32 kernels
    that round differently flip a sampled token now and then, far less than a new seed does)."""
    from reasonlab.training.rl import train_rlvr

    shipped = zoo.history("rlvr")[1:4]
    rows = []

    def stop(row):
        rows.append(row)
        if row["step"] == 3:
            raise _EnoughError

    with pytest.raises(_EnoughError):
        train_rlvr(zoo.load("base"), zoo.rl_problems(), zoo.default_rl_config(), stop,
                   progress=False)  # fmt: skip
    mine = rows[1:4]
    if artifacts.same_machine("zoo/rlvr"):
        keys = ("reward/mean", "think/usage", "loss", "grad_norm", "kl", "entropy")
        assert [{k: r[k] for k in keys} for r in mine] == [{k: r[k] for k in keys} for r in shipped]
        return
    for a, b in zip(mine, shipped, strict=True):
        for k, tol in RL_SEED_SPREAD.items():
            assert abs(a[k] - b[k]) <= tol, (a["step"], k, a[k], b[k], tol)


def test_unknown_name_is_named():
    with pytest.raises(KeyError, match="unknown zoo name 'nope'"):
        zoo.load("nope")


def _same_weights(a: Policy, b: Policy) -> bool:
    sb = b.model.state_dict()
    return all(torch.equal(v, sb[k]) for k, v in a.model.state_dict().items())


@pytest.mark.slow
def test_retraining_from_config_reproduces_the_shipped_policies():
    """About two minutes on one core: base SFT, then the default RL run, both retrained.

    With the build's fingerprint (``artifacts.same_machine``) both are bit-identical to the
    shipped weights. Elsewhere a CPU with other float32 kernels (AVX2, AVX-512, another vendor's
    BLAS path) rounds differently, which 2,000 SFT steps amplify; since issue 13 the recipe no
    longer depends on when direct multi-digit addition "clicks", and over seeds 1-5 x {AVX2,
    AVX-512} the retrained bases' held-out greedy pass lay within 0.09 of each other (0.16 to
    0.25 on ``benchmarks/rlvr.py``'s 400 sums: the 1-digit sums, answered directly) and the
    default RL run from each reached 0.92 to 0.995. The tolerances are the issue's band for bases
    (0.10) and, for the RL run, which here starts from the shipped base so only the kernels
    differ, 0.05.
    """
    problems = tasks.make("math", 200, difficulty=(1, 4), seed=123, split="test")
    base, _ = zoo.train("base")
    shipped_base = zoo.load("base", train_if_missing=False)
    if artifacts.same_machine("zoo/base"):
        assert _same_weights(base, shipped_base)
    b = evaluate(base.in_float64(), problems, greedy=True)
    sb = evaluate(shipped_base.in_float64(), problems, greedy=True)
    assert abs(b["pass_rate"] - sb["pass_rate"]) <= 0.10, (b, sb)
    assert b["think/usage"] <= 0.3, b  # greedy answers directly: the base rarely thinks
    shipped = zoo.load("rlvr", train_if_missing=False)
    retrained, _ = zoo.train("rlvr")  # from the shipped base, as the shipped run was
    if artifacts.same_machine("zoo/rlvr"):
        assert _same_weights(retrained, shipped)
    r = evaluate(retrained.in_float64(), problems, greedy=True)
    s = evaluate(shipped.in_float64(), problems, greedy=True)
    assert abs(r["pass_rate"] - s["pass_rate"]) <= 0.05, (r, s)
    assert abs(r["think/usage"] - s["think/usage"]) <= 0.1, (r, s)
    assert r["pass_rate"] >= b["pass_rate"] + 0.5  # RL teaches what SFT left to it
