"""Small Sphinx fixes and checks for the reasonlab book (loaded through _config.yml
``local_extensions``).

jupyter-book 1.0 registers sphinx-thebe's inline set-up script twice; the second copy re-declares a
``const`` and throws a JavaScript error on every page. We never enable thebe, so dropping the
duplicate changes nothing else.

The book is built from the notebooks' stored outputs (``execute_notebooks: off``), the outputs
nbval checks; ``scripts/execute_notebooks.py`` writes them, with the widget state the static
labs need. Before Sphinx reads anything, every notebook is checked: each widget view must find
its model, and every model that one refers to, in the stored state. A view without its state
would be a blank lab on the site, so the build fails naming the notebook instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def missing_widget_models(notebook) -> list[str]:
    """Model ids that ``notebook``'s widget views need but its saved state lacks.

    A view needs its own model and every model that one refers to (``"IPY_MODEL_<id>"`` anywhere
    in its state: children, layouts, links), transitively. Losing a single child blanks the view.
    """
    state = notebook.get("metadata", {}).get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    todo = [
        output["data"][VIEW_MIME]["model_id"]
        for cell in notebook.get("cells", [])
        for output in cell.get("outputs", [])
        if VIEW_MIME in output.get("data", {})
    ]
    seen: set[str] = set()
    missing: list[str] = []
    while todo:
        model_id = todo.pop()
        if model_id in seen:
            continue
        seen.add(model_id)
        if model_id not in state:
            missing.append(model_id)
            continue
        todo.extend(_references(state[model_id].get("state", {})))
    return sorted(missing)


def _references(value) -> list[str]:
    if isinstance(value, str):
        return [value[len("IPY_MODEL_") :]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    return []


def check_stored_widget_state(paths) -> None:
    """Raise if a notebook's widget views lack stored state (the page would show blanks)."""
    import json

    broken = []
    for path in paths:
        missing = missing_widget_models(json.loads(Path(path).read_text()))
        if missing:
            broken.append(f"{path} ({len(missing)} model(s), e.g. {missing[0]})")
    if broken:
        raise ExtensionError(
            "widget views without stored state, re-execute with `make notebooks`: "
            + "; ".join(broken)
        )


def _check_notebooks(app) -> None:
    env = app.env
    check_stored_widget_state(
        Path(env.doc2path(doc))
        for doc in sorted(env.found_docs)
        if str(env.doc2path(doc)).endswith(".ipynb")
    )


def _dedupe_scripts(app, pagename, templatename, context: dict[str, Any], doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        # The copies differ in priority and in None vs "" filename: compare what the browser runs.
        key = (script.filename or "", script.attributes.get("body", ""))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: Sphinx keeps using this list object


def setup(app) -> dict[str, Any]:
    app.connect("env-before-read-docs", lambda app, env, docnames: _check_notebooks(app))
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after other handlers
    return {"parallel_read_safe": True, "parallel_write_safe": True}
