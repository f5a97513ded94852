"""Named, cached checkpoints: every policy of the book is trained at most once.

``rl.zoo.load("base")`` returns the pre-trained base policy, ``rl.zoo.load("rlvr")`` the base
after the default RLVR run; ``rl.zoo.load(rl.zoo.seed_base(s))`` (``"base-s1"`` .. ``"base-s5"``)
the same base recipe trained with seed ``s``, for experiments repeated over seeds.

Each name has a *recipe* (a config plus the function that trains it); the checkpoint file is
named by a hash of the recipe's config and its parents' keys, so changing either trains a new
checkpoint instead of loading a stale one. The package version is not hashed: a release changes
no weights, so it must not hide the shipped checkpoints.

Where a checkpoint is looked for, in order:

1. ``src/reasonlab/data/zoo/`` inside the package: the small default checkpoints ship with it
   (the artifacts ``zoo/<name>`` of ``python -m reasonlab.build``), so a reader never waits;
2. the cache folder (``$REASONLAB_CACHE``, default ``~/.cache/reasonlab``);
3. otherwise the recipe trains (with a progress bar) and the result goes to the cache. The
   reader is told first how long that took when the shipped copy was built; with
   ``REASONLAB_ARTIFACTS=strict`` (the book build, nbval) it is an error naming the command.

Checkpoints also store the training history, so notebooks can plot a run without redoing it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..core import artifacts
from ..core.artifacts import before_training, recipe_hash
from ..world.policy import Policy

DATA_DIR = artifacts.DATA_DIR / "zoo"


@dataclass(frozen=True)
class Recipe:
    """How to train one named checkpoint.

    Attributes:
        build: ``build(load) -> (policy, history)``; ``load`` fetches parent checkpoints.
        config: everything that determines the result (hashed into the file name).
        parents: names of the checkpoints ``build`` starts from.
        shipped: whether ``python -m reasonlab.build`` writes it into the package.
        weights: keep the weights; if False only the history is stored (a small JSON file), for
            runs a notebook plots but never samples from.
    """

    build: Callable[[Callable[[str], Policy]], tuple[Policy, list[dict]]]
    config: dict = field(default_factory=dict)
    parents: tuple[str, ...] = ()
    shipped: bool = False
    weights: bool = True


_RECIPES: dict[str, Recipe] = {}


def cache_dir() -> Path:
    """The cache folder: ``$REASONLAB_CACHE`` or ``~/.cache/reasonlab``."""
    return Path(os.environ.get("REASONLAB_CACHE") or Path.home() / ".cache" / "reasonlab")


def register(name: str, recipe: Recipe, *, replace: bool = False) -> None:
    """Add a named recipe (other modules register their students, ablations, ...)."""
    if name in _builtin_recipes() and not replace:
        raise ValueError(f"{name!r} is a built-in zoo name; pick another name")
    if name in _RECIPES and not replace:
        raise ValueError(f"a recipe named {name!r} is already registered (pass replace=True)")
    _RECIPES[name] = recipe


def names() -> list[str]:
    """Every name ``load`` knows."""
    return sorted({**_builtin_recipes(), **_RECIPES})


def recipe(name: str) -> Recipe:
    table = {**_builtin_recipes(), **_RECIPES}
    if name not in table:
        raise KeyError(f"unknown zoo name {name!r}; known: {sorted(table)}")
    return table[name]


def key(name: str) -> str:
    """Hash of the recipe config and the parents' keys (12 hex digits)."""
    r = recipe(name)
    return recipe_hash({"name": name, "config": r.config, "parents": [key(p) for p in r.parents]})


def path_of(name: str) -> Path:
    """Where the checkpoint of ``name`` is or would be (shipped copy first, else the cache)."""
    fname = f"{name}-{key(name)}.{'pt' if recipe(name).weights else 'json'}"
    shipped = DATA_DIR / fname
    return shipped if shipped.exists() else cache_dir() / fname


def _save(path: Path, policy: Policy, history: list[dict], name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".json":  # history only
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(history, sort_keys=True))
        os.replace(tmp, path)
        return
    state = policy.state()
    state["name"] = name
    # A string keeps torch.load(weights_only=True) happy; long SFT histories are thinned to at
    # most ~200 rows (plus the last) so the shipped file stays small.
    stride = max(1, len(history) // 200)
    kept = history[::stride] + ([history[-1]] if (len(history) - 1) % stride else [])
    state["history"] = json.dumps(kept)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one


def _read(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def train(name: str) -> tuple[Policy, list[dict]]:
    """Train ``name`` from its recipe, now, ignoring any cached copy (parents may load)."""
    r = recipe(name)
    policy, history = r.build(load)
    policy.name = name
    return policy, history


def load(name: str, *, train_if_missing: bool = True) -> Policy:
    """The policy called ``name``: loaded from the package or the cache, else trained once.

    Args:
        name: a zoo name (see :func:`names`), e.g. ``"base"`` or ``"rlvr"``.
        train_if_missing: train (and cache) when no checkpoint exists; else raise.

    Returns:
        a fresh :class:`Policy` in eval mode; changing it never changes the stored checkpoint.
    """
    if not recipe(name).weights:
        raise ValueError(f"{name!r} stores only its training history: use zoo.history({name!r})")
    path = path_of(name)
    if not path.exists():
        if not train_if_missing:
            raise FileNotFoundError(f"no checkpoint for {name!r} at {path}")
        _announce(name)
        policy, history = train(name)
        _save(path, policy, history, name)
    policy = Policy.from_state(_read(path))
    policy.model.eval()
    return policy


def _announce(name: str) -> None:
    before_training(f"zoo/{name}", f"zoo checkpoint {name!r}", shipped=recipe(name).shipped)


def history(name: str) -> list[dict]:
    """The training history stored with ``name``'s checkpoint (trains it first if needed)."""
    path = path_of(name)
    if not path.exists():
        if recipe(name).weights:
            load(name)
        else:
            _announce(name)
            policy, hist = train(name)
            _save(path, policy, hist, name)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return json.loads(_read(path)["history"])


# ----------------------------------------------------------------------------- built-in recipes


def default_sft_config():
    from ..training.sft import SFTConfig

    return SFTConfig()


def default_rl_config():
    from ..training.rl import RLConfig

    return RLConfig()


#: Training problems of the default RL run (math, 1-4 digits, train split).
RL_PROBLEMS = {"domain": "math", "n": 4000, "difficulty": (1, 4), "seed": 0}


def rl_problems() -> list:
    """The training problems of the default RL run (:data:`RL_PROBLEMS`), built in one place."""
    from ..world import tasks

    spec = RL_PROBLEMS
    return tasks.make(spec["domain"], spec["n"], difficulty=spec["difficulty"], seed=spec["seed"])


def _sft_recipe(cfg) -> dict:
    """An SFT config as hashed in a recipe (``sft.recipe``: later fields at defaults left out)."""
    from ..training.sft import recipe as sft_recipe

    return sft_recipe(cfg)


def _build_base(load_parent):
    from ..training.sft import train_base

    return train_base(default_sft_config(), name="base")


#: Seeds of the extra bases the multi-seed experiments start from (the chapter's ``base`` is
#: seed ``default_sft_config().seed``, 0): the same recipe, another draw of weights and data.
SEEDS = (1, 2, 3, 4, 5)


def seed_base(seed: int) -> str:
    """The zoo name of the base trained with ``seed`` (``zoo.load(zoo.seed_base(3))``)."""
    if seed not in SEEDS:
        raise ValueError(f"no seed base for seed {seed}; the zoo has seeds {SEEDS}")
    return f"base-s{seed}"


def seed_sft_config(seed: int):
    """The base recipe with another seed."""
    from dataclasses import replace

    return replace(default_sft_config(), seed=seed)


def _seed_base_recipe(seed: int) -> Recipe:
    def build_(load_parent):
        from ..training.sft import train_base

        return train_base(seed_sft_config(seed), name=seed_base(seed))

    return Recipe(build_, {"sft": _sft_recipe(seed_sft_config(seed))}, (), shipped=True)


def multi_sft_config():
    """The base recipe on every task domain. The chapter's base is taught math only; the reward
    explorer lab also trains on logic and code, which needs a base that has seen them (RL cannot
    start where every sample fails).

    Of the issue-13 recipe it takes what concerns math direct answers (``direct_max_difficulty``
    only ever mutes math digits) and keeps the learning rate of before, 5e-3: the higher rate
    was chosen to make math skills land early, and the lab uses this base for logic and code
    only, which the old rate trained as the lab expects."""
    from dataclasses import replace

    from ..world.tasks import DOMAINS

    return replace(default_sft_config(), domains=DOMAINS, lr=5e-3)


def _build_base_multi(load_parent):
    from ..training.sft import train_base

    return train_base(multi_sft_config(), name="base-multi")


def _build_rlvr(load_parent):
    from ..training.rl import train_rlvr

    policy = load_parent("base")
    policy.name = "rlvr"
    return policy, train_rlvr(policy, rl_problems(), default_rl_config())


def _builtin_recipes() -> dict[str, Recipe]:
    # Built lazily: the configs import torch-side modules, and the hash must see their values.
    table = {
        "base": Recipe(_build_base, {"sft": _sft_recipe(default_sft_config())}, (), shipped=True),
        **{seed_base(s): _seed_base_recipe(s) for s in SEEDS},
        "base-multi": Recipe(
            _build_base_multi, {"sft": _sft_recipe(multi_sft_config())}, (), shipped=True
        ),
        "rlvr": Recipe(
            _build_rlvr,
            {"rl": default_rl_config().recipe(), "problems": RL_PROBLEMS},
            ("base",),
            shipped=True,
        ),
    }
    return table


def build(names_: list[str] | None = None, out_dir: Path = DATA_DIR) -> list[Path]:
    """Retrain the shipped checkpoints (or ``names_``) into ``out_dir``; returns their paths.

    Names are rebuilt in order and parents are loaded the usual way (package first), so with
    the default ``out_dir`` a chain rebuilds consistently: base, then rlvr from the new base.
    """
    todo = names_ or [n for n in names() if recipe(n).shipped]
    written = []
    for n in todo:
        stem = f"{n}-" + "[0-9a-f]" * 12  # the key, so "base" never matches "base-multi-..."
        for old in [*out_dir.glob(f"{stem}.pt"), *out_dir.glob(f"{stem}.json")]:
            old.unlink()  # one file per name: a stale key would otherwise ship forever
        policy, hist = train(n)
        path = out_dir / path_of(n).name
        _save(path, policy, hist, n)
        written.append(path)
    return written


if __name__ == "__main__":  # the old command: one stage of the one build command
    import sys

    from reasonlab.build import stage_main

    sys.exit(stage_main("zoo", sys.argv[1:]))
