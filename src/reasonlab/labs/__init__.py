"""The three labs of the chapter, each live with a kernel and still moving in the static book.

Each lab module has the same four layers (ARCHITECTURE.md, "Labs"):

* ``compute(params) -> data``: pure, cached, fast; reads the lab's artifact (real runs).
* ``render(data)``: matplotlib figure and/or HTML, the current choice highlighted.
* ``widget()``: ipywidgets controls wired with ``interactive_output`` to one output area.
* ``static()``: the same controls over precomputed frames in ``Stack`` widgets, linked in the
  browser (:mod:`reasonlab.labs.static`).

The labs: :mod:`~reasonlab.labs.chain` (reasoning chain lab), :mod:`~reasonlab.labs.reward_explorer`
(RLVR reward explorer), :mod:`~reasonlab.labs.tradeoffs` (inference-time scaling trade-offs).
Their artifacts are rebuilt with ``python -m reasonlab.labs build [lab ...]``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Lab name -> module; the name is also the artifact's file name in ``data/labs``.
LABS = {"chain": "chain", "reward_explorer": "reward_explorer", "tradeoffs": "tradeoffs"}

__all__ = ["LABS", "chain", "reward_explorer", "tradeoffs", "static"]


def __getattr__(name: str) -> Any:
    # Lazy, like the package root: importing the labs must not import torch or matplotlib.
    if name in (*LABS, "static", "store"):
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'reasonlab.labs' has no attribute {name!r}")
