"""How fast the labs answer: one live update (compute + render + encode) for every control value.

Usage: python benchmarks/labs.py [--json] [--static]

For each lab, each control is moved through every value it can take (the others at their
defaults), and each move is timed as the live widget does it: ``compute(params)`` with the
lab's caches cleared (so nothing is served from an earlier identical move), ``render(data)``,
and the figure drawn and encoded to the HTML the output area shows (``p50_ms``, ``p95_ms``);
``compute_render_p95_ms`` stops when ``render`` has returned the Figure, before any pixel is
drawn. The artifact itself stays loaded (a live session reads it once). The budget is
p95 < 100 ms per update. The machine is shared: run it twice and read the lower figures.

``--static`` also builds every static lab (as the book does) and reports the seconds it took
and the size of its widget state (what the page ships); the budget is 60 s for all three.

``--json`` prints one JSON object ``{"<lab>": {"p50_ms": ..., "p95_ms": ..., "updates": ...}}``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time

import numpy as np

from reasonlab.labs import LABS
from reasonlab.labs.static import view_html
from reasonlab.utils import set_seed


def clear_caches(module) -> None:
    for obj in vars(module).values():
        if callable(getattr(obj, "cache_clear", None)):
            obj.cache_clear()


def time_updates(module) -> tuple[list[float], list[float]]:
    """Per update: (seconds for compute + render + drawing to HTML, seconds to the Figure)."""
    controls = module.controls()
    defaults = {c.name: c.default for c in controls}
    module.compute(defaults)  # warm up: imports, the artifact, matplotlib's font cache
    view_html(module.render(module.compute(defaults)))
    full, to_figure = [], []
    for c in controls:
        for value in c.values:
            clear_caches(module)
            start = time.perf_counter()
            view = module.render(module.compute(defaults | {c.name: value}))
            mid = time.perf_counter()
            view_html(view)  # the figure is drawn here, as the output area needs it
            full.append(time.perf_counter() - start)
            to_figure.append(mid - start)
    return full, to_figure


def time_static(module) -> tuple[float, int]:
    import ipywidgets as w
    from ipywidgets.embed import embed_data

    w.Widget.close_all()
    clear_caches(module)
    start = time.perf_counter()
    box = module.static()
    seconds = time.perf_counter() - start
    state = embed_data(views=[box])["manager_state"]
    w.Widget.close_all()
    return seconds, len(json.dumps(state))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument("--static", action="store_true", help="also time the static builds")
    args = parser.parse_args()
    set_seed(0)
    results = {}
    for name, modname in LABS.items():
        module = importlib.import_module(f"reasonlab.labs.{modname}")
        full, to_figure = (1000 * np.array(t) for t in time_updates(module))
        results[name] = {
            "p50_ms": round(float(np.percentile(full, 50)), 1),
            "p95_ms": round(float(np.percentile(full, 95)), 1),
            "updates": int(full.size),
            # compute + render only (the Figure built, not yet drawn to pixels)
            "compute_render_p95_ms": round(float(np.percentile(to_figure, 95)), 1),
        }
        if args.static:
            seconds, size = time_static(module)
            results[name] |= {"static_s": round(seconds, 1), "static_state_kb": size // 1024}
    if args.json:
        print(json.dumps(results))
        return
    print(f"{'lab':16s} {'p50 ms':>8s} {'p95 ms':>8s} {'updates':>8s} {'p95 to Figure':>14s}")
    for name, r in results.items():
        extra = f"  static {r['static_s']} s, {r['static_state_kb']} KiB" if args.static else ""
        print(
            f"{name:16s} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['updates']:8d}"
            f" {r['compute_render_p95_ms']:14.1f}{extra}"
        )


if __name__ == "__main__":
    main()
