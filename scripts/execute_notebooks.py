"""Execute notebooks in place and store their outputs (and widget state) for nbval and the book.

Usage: python scripts/execute_notebooks.py [--env NAME=VALUE ...] notebooks/01_rlvr_objective.ipynb

The book is built from these stored outputs (it executes nothing) and nbval compares them with a
fresh run, so this script is the one place outputs come from. Cells tagged ``skip-execution``
(the Colab set-up cell) are left unexecuted, as in nbval. Widget state is stored in the
notebook's metadata, which is what lets the static site render sliders without a kernel; a
notebook whose widget views come out without their state is an error (its page would be blank).

The kernel inherits this process's environment, plus any ``--env NAME=VALUE``; by default
``REASONLAB_ARTIFACTS=strict``, so a notebook that would train in place of a shipped artifact
fails naming the build command instead of storing the outputs of a retrained model. The kernel
always runs with ``REASONLAB_STATIC_WIDGETS=1``, so each lab's and the quiz's ``show()`` cell
stores the kernel-free version (``reasonlab.labs.static.STATIC_ENV``) that the site needs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
from reasonlab_sphinx import missing_widget_models  # noqa: E402 (the book build's own check)

#: Tags of the Colab set-up cell: not run by the book build or nbval, hidden in the site.
SETUP_TAGS = ["colab-setup", "skip-execution", "nbval-skip", "remove-cell"]
#: Set for the kernel unless the caller's environment or ``--env`` says otherwise.
DEFAULT_ENV = {"REASONLAB_ARTIFACTS": "strict"}
#: Set for the kernel whatever the environment says: the stored outputs are the static views.
FORCED_ENV = {"REASONLAB_STATIC_WIDGETS": "1"}


def tag_setup_cell(nb: nbformat.NotebookNode) -> None:
    """Give the first cell the set-up tags if it is the Colab set-up cell."""
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "code" and "google.colab" in first.source:
        tags = first.metadata.setdefault("tags", [])
        tags.extend(t for t in SETUP_TAGS if t not in tags)


def kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: the defaults, this process's, the forced switch, then ``extra``."""
    return {**DEFAULT_ENV, **os.environ, **FORCED_ENV, **(extra or {})}


def execute(path: Path, timeout: int = 900, env: dict[str, str] | None = None) -> float:
    """Run one notebook from its own folder; returns the wall time in seconds.

    Raises:
        RuntimeError: if a widget view's model (or one it refers to) has no stored state.
    """
    nb = nbformat.read(path, as_version=4)
    tag_setup_cell(nb)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
        skip_cells_with_tag="skip-execution",
    )
    start = time.perf_counter()
    client.execute(env=kernel_env(env))  # passed on to the kernel manager's start_kernel
    wall = time.perf_counter() - start
    missing = missing_widget_models(nb)
    if missing:
        raise RuntimeError(
            f"{path}: {len(missing)} widget model(s) have no stored state (e.g. {missing[0]}); "
            "the notebook was not written"
        )
    nbformat.write(nb, path)
    return wall


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--env", type=_pair, action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file() or path.suffix != ".ipynb":
            parser.error(f"not a notebook file: {path}")
    for path in args.notebooks:
        wall = execute(path, env=dict(args.env))
        print(f"{path}: executed in {wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
