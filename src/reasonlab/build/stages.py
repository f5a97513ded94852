"""The table of the chapter's shipped artifacts: each one's recipe, files and maker, in build order.

Each :class:`Artifact` names what determines it (its ``recipe``, hashed with its parents'
recipes by :func:`recipe_of`), the files it writes under ``data/`` and the function that makes
them; :func:`all_artifacts` lists them parents first (the stages of :mod:`reasonlab.build`, in
the order of the data flow), and :func:`problems` says why one is not fresh. Nothing here
trains: the scheduler and the command line of :mod:`reasonlab.build` call ``make``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..core import artifacts
from ..core.artifacts import DATA_DIR, recipe_hash

STAGES = ("zoo", "testtime", "experiments", "distill", "credit", "origins", "labs")


@dataclass(frozen=True)
class Artifact:
    """One shipped artifact: what determines it, what it writes, how it is made.

    Attributes:
        name: ``<stage>/<item>``, e.g. ``"experiments/seeds/kl=0.1"``.
        recipe: returns everything that determines the result (hashed; cheap, no training).
        files: returns the paths under ``data/`` that ``make`` writes.
        make: builds the files.
        parents: artifacts it starts from; their recipe hashes enter this one's.
    """

    name: str
    recipe: Callable[[], dict]
    files: Callable[[], list[Path]]
    make: Callable[[], None]
    parents: tuple[str, ...] = ()

    @property
    def stage(self) -> str:
        return self.name.split("/", 1)[0]


def _defaults(fn) -> dict:
    """Keyword defaults of ``fn``: a build that calls it with defaults depends on them."""
    sig = inspect.signature(fn)
    return {k: p.default for k, p in sig.parameters.items() if p.default is not p.empty}


# ----------------------------------------------------------------------------- zoo


def _zoo(name: str) -> Artifact:
    def recipe() -> dict:
        from ..shipped import zoo

        return {"key": zoo.key(name)}

    def files() -> list[Path]:
        from ..shipped import zoo

        return [zoo.DATA_DIR / zoo.path_of(name).name]

    def make() -> None:
        from ..shipped import zoo

        zoo.build([name])

    return Artifact(f"zoo/{name}", recipe, files, make)


# ----------------------------------------------------------------------------- testtime


def _testtime(item: str) -> Artifact:
    def module():
        if item == "trained":
            from ..shipped import adaptive_thinking

            return adaptive_thinking
        return None

    def recipe() -> dict:
        from ..shipped import testtime

        mod = module()
        return mod.recipe() if mod else testtime.recipe(item)

    def files() -> list[Path]:
        from ..shipped import testtime

        return [testtime.path(item)]

    def make() -> None:
        from ..shipped import testtime

        mod = module()
        mod.write() if mod else testtime.write(item)

    return Artifact(f"testtime/{item}", recipe, files, make, ("zoo/base", "zoo/rlvr"))


# ----------------------------------------------------------------------------- experiments


def _experiment(item: str) -> Artifact:
    def recipe() -> dict:
        from ..shipped import experiments as ex

        return {"item": item, "gradient_variance": _defaults(ex.gradient_variance)}

    def files() -> list[Path]:
        from ..shipped import experiments as ex

        return [ex.results_path(item)]

    def make() -> None:
        from ..shipped import experiments as ex

        ex.write_item(item)

    return Artifact(f"experiments/{item}", recipe, files, make, ("zoo/base",))


def _written(name: str, module, item: str, parents: tuple[str, ...]) -> Artifact:
    """The artifact of a module that writes one JSON result per item: ``module.recipe(item)``,
    ``module.path(item)`` and ``module.write(item)`` (the seed comparisons, credit, origins)."""

    def make() -> None:
        module.write(item)

    return Artifact(name, lambda: module.recipe(item), lambda: [module.path(item)], make, parents)


def _experiment_seeds(arm: str) -> Artifact:
    """One arm of the comparisons over its paired seeds, each from that seed's base."""
    from ..shipped import experiments_seeds as xs

    parents = tuple(f"zoo/{xs.base_name(s)}" for s in xs.SEEDS)
    return _written(f"experiments/seeds/{arm}", xs, arm, parents)


# ----------------------------------------------------------------------------- distillation

#: The :class:`~reasonlab.shipped.distill.DistillConfig` fields each part reads (a sweep's budget
#: multiple does not change the tutor's log, so changing it must not make the log stale).
_MEASURE = ("eval_size", "logic_eval_size", "seed")
_STUDENT = (*_MEASURE, "base_steps", "rl_steps", "batch_size", "lr", "distill_multiples")
_EXTRAS = ("plain_pool", "mix_ratios", "sweep_multiple", "late_from", "filter_multiple")


def _distill_parts() -> list[str]:
    from ..shipped import distill_results

    return ["tutor", *distill_results.parts()]


def _distill(part: str) -> Artifact:
    """``distill/tutor`` (the tutor's trace log), then ``distill/<size>-s<seed>``: one student
    size at one seed, every arm (:mod:`reasonlab.shipped.distill_seeds`)."""

    def recipe() -> dict:
        from ..shipped import distill, distill_results, distill_seeds

        if part == "tutor":
            cfg = asdict(distill.DistillConfig())
            return {"part": part, **{k: cfg[k] for k in _MEASURE}}
        size, seed = distill_results.split_part(part)
        cfg = asdict(distill.DistillConfig(seed=seed))
        fields = (*_STUDENT, *(_EXTRAS if size == "quarter" else ()))
        return {"part": part, "head": distill_seeds.HEAD_STEPS, **{k: cfg[k] for k in fields}}

    def files() -> list[Path]:
        from ..shipped import distill_results

        rel = ["tutor_traces.jsonl.gz", "tutor.json"] if part == "tutor" else None
        rel = rel or distill_results.part_files(part)
        return [DATA_DIR / "distill" / f for f in rel]

    def make() -> None:
        from ..shipped import distill_seeds

        distill_seeds.build_part(part)

    # A student's base is the zoo's base recipe at the student's size: zoo/base's recipe enters.
    parents = ("zoo/base", "zoo/rlvr") if part == "tutor" else ("zoo/base", "distill/tutor")
    return Artifact(f"distill/{part}", recipe, files, make, parents)


# ----------------------------------------------------------------------------- credit


def _credit(part: str) -> Artifact:
    """``credit/<method>``, ``credit/microscope``, ``credit/hacking-<proxy>``: notebook 12's
    shipped results over the paired seeds (:mod:`reasonlab.shipped.credit_seeds`)."""
    from ..shipped import credit_seeds as cs
    from ..shipped import zoo

    return _written(f"credit/{part}", cs, part, tuple(f"zoo/{zoo.seed_base(s)}" for s in cs.SEEDS))


# ----------------------------------------------------------------------------- origins


def _origins(item: str) -> Artifact:
    """``origins/<item>``: one setting of notebook 13 over the paired seeds
    (:mod:`reasonlab.shipped.origins`; its bases other than ``zoo/base-s*`` train into the
    cache)."""
    from ..shipped import origins

    parents = tuple(f"zoo/{b}" for b in origins.bases(item) if b.startswith("base-s"))
    return _written(f"origins/{item}", origins, item, parents)


# ----------------------------------------------------------------------------- labs

#: Per lab: the module constants that determine its data, and the checkpoints it loads.
_LAB_RECIPES = {
    "chain": (("RUN", "DOMAINS", "DIFFICULTIES", "MAX_ATTEMPTS"), ("zoo/base",)),
    "reward_explorer": (
        ("RUN", "DOMAINS", "BASES", "BASELINES", "GROUP_SIZES"),
        ("zoo/base", "zoo/base-multi"),
    ),
    "tradeoffs": (("SWEEP", "POLICIES", "BUDGETS", "KS"), ("zoo/base", "zoo/rlvr")),
}


def _lab(name: str) -> Artifact:
    constants, parents = _LAB_RECIPES[name]

    def module():
        from ..labs import LABS

        return importlib.import_module(f"reasonlab.labs.{LABS[name]}")

    def recipe() -> dict:
        mod = module()
        return {"lab": name, **{c: getattr(mod, c) for c in constants}}

    def files() -> list[Path]:
        from ..labs import store

        return [store.path(name)]

    def make() -> None:
        from ..core.utils import set_seed
        from ..labs import store

        set_seed(0)
        store.save(name, module().build())

    return Artifact(f"labs/{name}", recipe, files, make, parents)


# ----------------------------------------------------------------------------- the list


def all_artifacts() -> list[Artifact]:
    """Every shipped artifact, in build order (parents before children)."""
    from ..labs import LABS
    from ..shipped import experiments as ex
    from ..shipped import experiments_seeds as xs
    from ..shipped import zoo
    from ..shipped.credit_seeds import parts as credit_parts
    from ..shipped.testtime import ARTIFACTS as TESTTIME

    order = ("base", *map(zoo.seed_base, zoo.SEEDS), "base-multi", "rlvr")
    out = [_zoo(n) for n in order if zoo.recipe(n).shipped]
    out += [_testtime(n) for n in (*TESTTIME, "trained")]
    out += [_experiment(n) for n in ex.TABLES]
    out += [_experiment_seeds(arm) for arm in xs.ARMS]
    out += [_distill(p) for p in _distill_parts()]
    out += [_credit(p) for p in credit_parts()]
    out += [_origins(item) for item in _origins_items()]
    out += [_lab(n) for n in LABS]
    return out


def _origins_items() -> list[str]:
    from ..shipped import origins

    return origins.items()


def by_name() -> dict[str, Artifact]:
    return {a.name: a for a in all_artifacts()}


def recipe_of(name: str, table: dict[str, Artifact] | None = None) -> str:
    """The recipe hash of artifact ``name``: its recipe and its parents' hashes."""
    table = table or by_name()
    a = table[name]
    return recipe_hash({"recipe": a.recipe(), "parents": [recipe_of(p, table) for p in a.parents]})


def problems(name: str, table: dict[str, Artifact] | None = None) -> list[str]:
    """Why ``name`` is not fresh (empty: fresh)."""
    return artifacts.problems(name, recipe_of(name, table))
