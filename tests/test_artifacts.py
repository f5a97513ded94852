"""The artifact store: every shipped artifact is fresh by the one staleness rule, the rule
notices a changed recipe or file, a version bump retrains nothing, and a missing artifact is
announced (or, in strict mode, refused) before anything trains."""

import json
import os
import subprocess
import sys

import pytest
import torch

import reasonlab
from reasonlab import build
from reasonlab.core import artifacts
from reasonlab.core.artifacts import DATA_DIR
from reasonlab.shipped import experiments_seeds as xs
from reasonlab.shipped import zoo
from reasonlab.world.policy import ModelConfig, Policy


@pytest.mark.parametrize("name", list(build.by_name()))
def test_each_shipped_artifact_is_fresh(name):
    assert build.problems(name) == [], f"stale: run `python -m reasonlab.build {name}`"


def test_every_shipped_file_belongs_to_one_artifact():
    owned = [f.relative_to(DATA_DIR) for a in build.all_artifacts() for f in a.files()]
    assert len(owned) == len(set(owned))
    present = {f.relative_to(DATA_DIR) for f in DATA_DIR.rglob("*") if f.is_file()} - {
        artifacts.MANIFEST.relative_to(DATA_DIR)
    }
    assert present == set(owned)
    assert set(artifacts.read_manifest()) == set(build.by_name())


def test_build_order_puts_parents_first():
    names = list(build.by_name())
    stages = [n.split("/")[0] for n in names]
    assert stages == sorted(stages, key=build.STAGES.index)
    for a in build.all_artifacts():
        for p in a.parents:
            assert names.index(p) < names.index(a.name), (a.name, p)
    assert build.select(["distill/quarter-s1", "zoo"], build.by_name())[:8] == [
        "zoo/base",
        *(f"zoo/base-s{s}" for s in zoo.SEEDS),
        "zoo/base-multi",
        "zoo/rlvr",
    ]
    with pytest.raises(KeyError, match="unknown artifact"):
        build.select(["zoo/nope"], build.by_name())


def test_a_changed_recipe_or_file_is_stale(monkeypatch, tmp_path):
    monkeypatch.setitem(xs.ARMS, "ema", {"baseline": "ema", "lr": 1e-3})
    assert any("recipe" in p for p in build.problems("experiments/seeds/ema"))
    monkeypatch.setitem(xs.ARMS, "ema", {"baseline": "ema"})
    assert build.problems("experiments/seeds/ema") == []
    # A parent's recipe enters its children's: another base makes the experiments stale.
    key = zoo.key
    monkeypatch.setattr(zoo, "key", lambda n: "0" * 12 if n in ("base", "base-s2") else key(n))
    assert any("recipe" in p for p in build.problems("experiments/seeds/ema"))
    assert any("recipe" in p for p in build.problems("experiments/gradvar"))
    assert any("recipe" in p for p in build.problems("labs/tradeoffs"))
    monkeypatch.setattr(zoo, "key", key)
    # A file that differs from what the build wrote is stale too.
    copy = tmp_path / "data"
    (copy / "labs").mkdir(parents=True)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(artifacts.MANIFEST.read_text())
    shipped = DATA_DIR / "labs" / "chain.json"
    (copy / "labs" / "chain.json").write_bytes(shipped.read_bytes())
    recipe = build.recipe_of("labs/chain")
    assert artifacts.problems("labs/chain", recipe, data_dir=copy, path=manifest) == []
    (copy / "labs" / "chain.json").write_bytes(shipped.read_bytes() + b" ")
    got = artifacts.problems("labs/chain", recipe, data_dir=copy, path=manifest)
    assert got == ["labs/chain: labs/chain.json differs from what the build wrote"]


def test_a_version_bump_changes_no_recipe(monkeypatch):
    before = {n: build.recipe_of(n) for n in build.by_name()}
    keys = {n: zoo.key(n) for n in zoo.names()}
    monkeypatch.setattr(reasonlab, "__version__", "99.0.0")
    assert {n: build.recipe_of(n) for n in build.by_name()} == before
    assert {n: zoo.key(n) for n in zoo.names()} == keys


def _tiny_recipe(calls):
    def make(load):
        calls.append(1)
        torch.manual_seed(0)
        return Policy(ModelConfig(n_layer=1, n_embd=16)), [{"step": 0}]

    return zoo.Recipe(make, {"width": 16})


def test_strict_mode_refuses_to_train_and_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONLAB_CACHE", str(tmp_path))
    monkeypatch.setenv(artifacts.MODE_ENV, "strict")
    monkeypatch.setattr(zoo, "_RECIPES", {})
    calls = []
    zoo.register("tiny", _tiny_recipe(calls))
    with pytest.raises(artifacts.MissingArtifactError, match="strict forbids training"):
        zoo.load("tiny")
    assert calls == []
    # A shipped name that went missing names the build command.
    monkeypatch.setattr(zoo, "DATA_DIR", tmp_path / "nothing-shipped")
    with pytest.raises(artifacts.MissingArtifactError, match="python -m reasonlab.build zoo/base"):
        zoo.load("base")


def test_reader_is_told_how_long_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REASONLAB_CACHE", str(tmp_path))
    monkeypatch.delenv(artifacts.MODE_ENV, raising=False)
    monkeypatch.setattr(zoo, "_RECIPES", {})
    calls = []
    recipe = _tiny_recipe(calls)

    def make(load):
        told = capsys.readouterr().err  # what the reader saw before training started
        assert "training it now" in told and "never measured" in told, told
        return recipe.build(load)

    zoo.register("tiny", zoo.Recipe(make, recipe.config))
    zoo.load("tiny")
    assert calls == [1]
    # For a shipped recipe the message gives the recorded build time.
    monkeypatch.setattr(zoo, "DATA_DIR", tmp_path / "nothing-shipped")
    took = artifacts.seconds("zoo/base-multi")
    monkeypatch.setattr(zoo, "train", lambda name: (_ for _ in ()).throw(RuntimeError("stop")))
    with pytest.raises(RuntimeError, match="stop"):
        zoo.load("base-multi")
    assert f"about {took:.0f} s" in capsys.readouterr().err


def test_manifest_records_what_a_build_wrote(tmp_path):
    f = tmp_path / "x" / "a.json"
    f.parent.mkdir()
    f.write_text(json.dumps({"a": 1}))
    m = tmp_path / "manifest.json"
    entry = artifacts.record("x/a", "abc", [f], 1.54, data_dir=tmp_path, path=m)
    assert entry["files"] == {"x/a.json": artifacts.file_hash(f)}
    assert entry["seconds"] == 1.5
    assert artifacts.problems("x/a", "abc", data_dir=tmp_path, path=m) == []
    assert artifacts.problems("x/b", "abc", data_dir=tmp_path, path=m) == ["x/b was never built"]
    # The entry names the machine that made it; this process has that fingerprint.
    assert entry["made_with"] == artifacts.fingerprint() == artifacts.made_with("x/a", path=m)
    assert artifacts.same_machine("x/a", path=m)
    other = {**artifacts.fingerprint(), "cpu_capability": "ANOTHER"}
    artifacts.record("x/a", "abc", [f], 1.54, data_dir=tmp_path, path=m, made_with=other)
    assert not artifacts.same_machine("x/a", path=m)
    assert artifacts.problems("x/a", "abc", data_dir=tmp_path, path=m) == []  # not stale
    assert artifacts.made_with("x/b", path=m) is None


def test_fingerprint_names_torch_the_kernels_and_the_threads(monkeypatch):
    fp = artifacts.fingerprint()
    assert fp["torch"] == torch.__version__
    assert fp["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert set(fp) == {"torch", "cpu_capability", "aten_cpu_capability", "threads", "kernels"}
    assert fp["kernels"] == artifacts.kernel_probe() and len(fp["kernels"]) == 16
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    assert artifacts.fingerprint()["aten_cpu_capability"] == "avx2"


def test_every_zoo_checkpoint_records_its_fingerprint():
    for a in build.all_artifacts():
        if a.stage == "zoo":
            assert artifacts.made_with(a.name) is not None, a.name


def _fake_table(tmp_path):
    """Four artifacts: b and c start from a, d shares c's file (so never builds beside it)."""

    def art(name, parents=(), file=None):
        path = tmp_path / (file or name)
        return build.Artifact(name, dict, lambda: [path], lambda: None, parents)

    return {
        "a": art("a"),
        "b": art("b", ("a",)),
        "c": art("c", ("a",), file="shared"),
        "d": art("d", (), file="shared"),
    }


def test_parallel_build_starts_an_artifact_only_after_its_parents(tmp_path):
    table = _fake_table(tmp_path)
    assert build._ready(["a", "b", "c", "d"], {}, table) == "a"
    # while a builds, its children wait, and d (no parents) may start
    assert build._ready(["b", "c", "d"], {"a": None}, table) == "d"
    # c and d write the same file: never at once
    assert build._ready(["c"], {"d": None}, table) is None
    assert build._ready(["b", "c"], {"d": None}, table) == "b"


def test_parallel_build_records_each_artifact_and_stops_at_a_failure(tmp_path, monkeypatch):
    table = _fake_table(tmp_path)
    log = tmp_path / "order.txt"
    recorded = []
    monkeypatch.setattr(build, "recipe_of", lambda name, table=None: name)
    monkeypatch.setattr(
        build.artifacts, "record",
        lambda name, recipe, files, seconds: recorded.append(name) or {"files": []},
    )  # fmt: skip

    def command(name, result):
        fail = "raise SystemExit(3)" if name == "b" else "pass"
        code = (
            f"import json, time; open({str(log)!r}, 'a').write('{name}\\n'); time.sleep(0.2); "
            f"{fail}; open({result!r}, 'w').write(json.dumps({{'seconds': 0.2}}))"
        )
        return [sys.executable, "-c", code]

    assert build.build_parallel(["a", "c", "d"], table, 2, command) == 0
    assert sorted(recorded) == ["a", "c", "d"]
    order = log.read_text().split()
    assert order.index("a") < order.index("c")
    recorded.clear()
    assert build.build_parallel(["a", "b", "c"], table, 1, command) == 1
    assert "b" not in recorded and "c" not in recorded  # nothing starts after the failure


def test_a_shipped_result_names_its_build_command_when_missing_or_stale(tmp_path):
    p = artifacts.write_result(tmp_path / "x" / "arm.json", {"meta": {"recipe": {"lr": 0.1}}})
    assert p.read_text().count("\n") == 1  # one compact line
    assert artifacts.read_result(p, "experiments/seeds/arm", {"recipe": {"lr": 0.1}})["meta"]
    with pytest.raises(ValueError, match=r"rebuild with `python -m reasonlab.build exp/arm`"):
        artifacts.read_result(p, "exp/arm", {"recipe": {"lr": 0.2}})
    assert artifacts.read_result(p, "exp/arm", None)  # unchecked: read as it is
    with pytest.raises(FileNotFoundError, match=r"run `python -m reasonlab.build exp/gone`"):
        artifacts.read_result(tmp_path / "gone.json", "exp/gone")


def _probe_in_a_new_process(**env) -> str:
    code = "from reasonlab.core import artifacts; print(artifacts.kernel_probe())"
    out = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_kernel_probe_is_stable_and_tells_other_kernels_apart():
    here = artifacts.kernel_probe()
    assert _probe_in_a_new_process() == here  # another process, same kernels: same digest
    if torch.backends.cpu.get_cpu_capability() == "AVX512":
        # The AVX2 kernels round some float32 sums differently: the probe must see it.
        assert _probe_in_a_new_process(ATEN_CPU_CAPABILITY="avx2") != here
