"""Rebuild the labs' artifacts from real runs: ``python -m reasonlab.labs build [lab ...]``.

With no lab named, every lab is rebuilt (a few minutes on 2 CPU cores). Each lab's ``build()``
trains or samples with fixed seeds, so a rebuild on the same machine gives the same file.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from . import LABS, store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reasonlab.labs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="rebuild lab artifacts in reasonlab/data/labs/")
    b.add_argument(
        "labs", nargs="*", metavar="LAB", help=f"labs to rebuild (default all): {', '.join(LABS)}"
    )
    args = parser.parse_args(argv)
    from ..core.utils import set_seed

    for name in args.labs or list(LABS):
        if name not in LABS:
            parser.error(f"unknown lab {name!r}; choose from {', '.join(LABS)}")
        set_seed(0)
        start = time.perf_counter()
        data = importlib.import_module(f"reasonlab.labs.{LABS[name]}").build()
        out = store.save(name, data)
        print(
            f"{name}: wrote {out.name} ({out.stat().st_size} bytes) "
            f"in {time.perf_counter() - start:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
