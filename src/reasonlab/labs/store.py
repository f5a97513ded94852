"""The labs' small shipped artifacts: JSON files in ``reasonlab/data/labs/``.

Each artifact is what one lab's ``build()`` returns (training histories, sweep tables, sampled
chains), written by ``python -m reasonlab.labs build``. Floats are rounded when built, and the
JSON is written with sorted keys, so a rebuild on this machine gives the same bytes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ..core import artifacts

DATA = artifacts.DATA_DIR / "labs"


def path(name: str) -> Path:
    return DATA / f"{name}.json"


def dumps(data: Any) -> str:
    """The exact text written for an artifact (compact, sorted keys, one trailing newline)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def save(name: str, data: Any) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    out = path(name)
    out.write_text(dumps(data))
    load.cache_clear()
    return out


@functools.lru_cache(maxsize=8)
def load(name: str) -> Any:
    """The stored artifact ``name`` (cached: labs read it on every update)."""
    p = path(name)
    if not p.exists():
        raise FileNotFoundError(
            f"lab artifact {p} is missing: run `python -m reasonlab.labs build {name}`"
        )
    return json.loads(p.read_text())
