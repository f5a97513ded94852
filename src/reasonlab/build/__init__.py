"""Build the chapter's shipped artifacts, in order: ``python -m reasonlab.build [name ...]``.

The order is the data flow (each stage starts from the ones before it):

1. ``zoo/*``: the checkpoints (``base``, its other-seed twins ``base-s1`` .. ``base-s5`` and
   ``base-multi`` by SFT, then ``rlvr`` from ``base``);
2. ``testtime/*``: the per-difficulty sweeps and the large-k sweep of notebook 11, sampled from
   ``zoo/base`` and ``zoo/rlvr``, and the short RL runs with a difficulty-scaled token cost
   (before the labs, which may read them);
3. ``experiments/*``: the comparison runs of notebooks 03-04 over five paired seeds
   (``experiments/seeds/<arm>``, each seed from its own base ``zoo/base-s<seed>``) and the
   gradient-variance table (``experiments/gradvar``, from ``zoo/base``);
4. ``distill/*``: the tutor's trace log (a logged rerun of ``zoo/rlvr``), then every arm of
   each student size at each of its seeds (``distill/quarter-s1`` ... ``distill/half-s5``);
5. ``credit/*``: notebook 12's credit-assignment runs over five paired seeds (one artifact per
   method, the credit microscope, the reward-hacking runs per proxy), each seed from its base
   ``zoo/base-s<seed>`` (:mod:`reasonlab.shipped.credit_seeds`);
6. ``origins/*``: notebook 13's runs over five paired seeds (bases with other priors or
   self-checks, reward controls, narrow practice; :mod:`reasonlab.shipped.origins`);
7. ``labs/*``: the labs' data, from the zoo's checkpoints.

With no name, every artifact that is not fresh (see :mod:`reasonlab.core.artifacts`) is built;
names may be artifacts (``zoo/base``) or stages (``distill``); ``--force`` rebuilds them even
when fresh, ``--list`` prints each artifact's state and recorded build time, ``--jobs N``
builds up to N at once (:func:`build_parallel`). Builds are deterministic on one machine: a
rebuild gives the same bytes, one at a time or in parallel.

The table of artifacts (each one's recipe, files, maker and parents) is
:mod:`reasonlab.build.stages`; this module schedules and runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..core import artifacts
from ..core.artifacts import DATA_DIR
from .stages import STAGES, Artifact, all_artifacts, by_name, problems, recipe_of

__all__ = [
    "STAGES",
    "Artifact",
    "all_artifacts",
    "build",
    "build_parallel",
    "by_name",
    "main",
    "make_only",
    "problems",
    "recipe_of",
    "select",
    "stage_main",
]


def build(name: str, table: dict[str, Artifact] | None = None) -> dict:
    """Make artifact ``name`` now and record it in the manifest; returns its entry."""
    from ..core.utils import set_seed

    table = table or by_name()
    a = table[name]
    set_seed(0)  # pins the thread count: the shipped bits depend on it
    start = time.perf_counter()
    a.make()
    took = time.perf_counter() - start
    return artifacts.record(name, recipe_of(name, table), a.files(), took)


def select(names: list[str], table: dict[str, Artifact]) -> list[str]:
    """Artifact names for ``names`` (artifacts or stages), in build order."""
    wanted = set()
    for n in names:
        hits = [a for a in table if a == n or a.split("/", 1)[0] == n]
        if not hits:
            raise KeyError(f"unknown artifact or stage {n!r}; known: {', '.join(table)}")
        wanted.update(hits)
    return [a for a in table if a in wanted]


def make_only(name: str) -> float:
    """Make artifact ``name``'s files without touching the manifest; returns the seconds it took
    (the child process of :func:`build_parallel`, which records the entry itself)."""
    from ..core.utils import set_seed

    a = by_name()[name]
    set_seed(0)
    start = time.perf_counter()
    a.make()
    return time.perf_counter() - start


def _ready(todo: list[str], running: dict, table: dict[str, Artifact]) -> str | None:
    """The first artifact of ``todo`` none of whose parents is still to build or building, and
    that shares no file with one building now (None if every candidate waits)."""
    busy = {f for n in running for f in table[n].files()}
    for n in todo:
        waits = [p for p in table[n].parents if p in todo or p in running]
        if not waits and not busy & set(table[n].files()):
            return n
    return None


def _child(name: str, result: str) -> list[str]:
    return [sys.executable, "-m", "reasonlab.build", "--make-only", name, "--result", result]


def build_parallel(
    todo: list[str],
    table: dict[str, Artifact],
    jobs: int,
    command: Callable[[str, str], list[str]] = _child,
) -> int:
    """Build ``todo`` with up to ``jobs`` child processes, each artifact after its parents.

    Each child runs :func:`make_only` (same seed pinning and thread count as a sequential build,
    so the same bytes); this process writes the manifest, one entry at a time. A failed child
    stops new starts; the ones running finish, then the build exits 1 naming the failure.
    ``command(name, result_path)`` is the child's command line (a test passes its own).
    """
    todo, running, failed = list(todo), {}, []
    try:
        _schedule(todo, running, failed, table, jobs, command)
    finally:  # an interrupted build leaves no orphan training in the background
        for proc, result in running.values():
            proc.kill()
            proc.wait()
            result.unlink(missing_ok=True)
    if failed or todo:
        left = f"; not started: {', '.join(todo)}" if todo else ""
        print(f"build failed: {', '.join(failed) or 'none'}{left}", file=sys.stderr)
        return 1
    return 0


def _schedule(todo, running, failed, table, jobs, command) -> None:
    while todo or running:
        nxt = _ready(todo, running, table) if not failed and len(running) < jobs else None
        if nxt is not None:
            todo.remove(nxt)
            fd, result = tempfile.mkstemp(prefix="reasonlab-build-", suffix=".json")
            os.close(fd)
            running[nxt] = (subprocess.Popen(command(nxt, result)), Path(result))
            print(f"{nxt}: started", flush=True)
            continue
        if not running:  # nothing can start: a failure, or parents that cannot be built
            break
        finished = _wait_any(running)
        proc, result = running.pop(finished)
        out = result.read_text()
        result.unlink()
        if proc.returncode != 0 or not out:
            failed.append(finished)
            print(f"{finished}: FAILED (exit {proc.returncode})", file=sys.stderr, flush=True)
            continue
        seconds = json.loads(out)["seconds"]
        entry = artifacts.record(
            finished, recipe_of(finished, table), table[finished].files(), seconds
        )
        sizes = sum((DATA_DIR / f).stat().st_size for f in entry["files"]) / 1024
        print(f"{finished}: built in {seconds:.0f} s ({sizes:.0f} KiB)", flush=True)


def _wait_any(running: dict) -> str:
    """The name of the first of ``running``'s processes to exit (polls every 0.2 s)."""
    while True:
        for name, (proc, _) in running.items():
            if proc.poll() is not None:
                return name
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reasonlab.build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("names", nargs="*", help=f"artifacts or stages ({', '.join(STAGES)})")
    parser.add_argument("--force", action="store_true", help="rebuild even if fresh")
    parser.add_argument("--list", action="store_true", help="print each artifact's state")
    parser.add_argument(
        "-j", "--jobs", type=int, default=1, help="artifacts built at once (child processes)"
    )
    parser.add_argument("--make-only", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--result", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.make_only:  # a child of build_parallel: it records the manifest entry
        seconds = make_only(args.make_only)
        Path(args.result).write_text(json.dumps({"seconds": seconds}))
        return 0
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    table = by_name()
    try:
        todo = select(args.names, table) if args.names else list(table)
    except KeyError as e:
        parser.error(str(e.args[0]))
    if args.list:
        for n in todo:
            why = problems(n, table)
            took = artifacts.seconds(n)
            state = "fresh" if not why else "STALE: " + "; ".join(why)
            print(f"{n:32s} {'-' if took is None else f'{took:.0f} s':>7s}  {state}")
        return 0
    if not args.force:
        for n in [n for n in todo if not problems(n, table)]:
            print(f"{n}: fresh")
            todo.remove(n)
    if args.jobs > 1:
        return build_parallel(todo, table, args.jobs)
    for n in todo:
        entry = build(n, table)
        sizes = sum((DATA_DIR / f).stat().st_size for f in entry["files"]) / 1024
        print(f"{n}: built in {entry['seconds']:.0f} s ({sizes:.0f} KiB)", flush=True)
    return 0


def stage_main(stage: str, argv: list[str]) -> int:
    """The older per-stage commands, ``python -m reasonlab.<stage> build [item ...]`` (and
    ``list``): the same as ``python -m reasonlab.build --force <stage>/<item> ...``."""
    parser = argparse.ArgumentParser(prog=f"python -m reasonlab.{stage}")
    parser.add_argument("command", choices=("build", "list"))
    parser.add_argument("items", nargs="*", help=f"items of the {stage} stage (default: all)")
    args = parser.parse_args(argv)
    names = [f"{stage}/{i}" for i in args.items] or [stage]
    return main(["--list" if args.command == "list" else "--force", *names])
