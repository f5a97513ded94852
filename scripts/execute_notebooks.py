"""Execute notebooks in place and store their outputs (and widget state) for nbval and the book.

Usage: python scripts/execute_notebooks.py notebooks/01_rlvr_objective.ipynb [...]

Cells tagged ``skip-execution`` (the Colab set-up cell) are left unexecuted, as in the book build.
Widget state is stored in the notebook's metadata, which is what lets the static site render
sliders without a kernel. The kernels run with ``REASONLAB_STATIC_WIDGETS=1``, so each lab's and
the quiz's ``show()`` cell stores the kernel-free version (``reasonlab.labs.static.STATIC_ENV``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

#: Tags of the Colab set-up cell: not run by the book build or nbval, hidden in the site.
SETUP_TAGS = ["colab-setup", "skip-execution", "nbval-skip", "remove-cell"]


def tag_setup_cell(nb: nbformat.NotebookNode) -> None:
    """Give the first cell the set-up tags if it is the Colab set-up cell."""
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "code" and "google.colab" in first.source:
        tags = first.metadata.setdefault("tags", [])
        tags.extend(t for t in SETUP_TAGS if t not in tags)


def execute(path: Path, timeout: int = 900) -> float:
    """Run one notebook from its own folder; returns the wall time in seconds."""
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
    client.execute()
    wall = time.perf_counter() - start
    nbformat.write(nb, path)
    return wall


def main(argv: list[str]) -> int:
    os.environ["REASONLAB_STATIC_WIDGETS"] = "1"  # kernels inherit it: stored outputs are static
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv:
        path = Path(name)
        if not path.is_file() or path.suffix != ".ipynb":
            print(f"not a notebook file: {name}", file=sys.stderr)
            return 2
        wall = execute(path)
        print(f"{path}: executed in {wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
