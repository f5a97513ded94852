"""Small Sphinx fixes for the reasonlab book (loaded through _config.yml ``local_extensions``).

jupyter-book 1.0 registers sphinx-thebe's inline set-up script twice; the second copy re-declares a
``const`` and throws a JavaScript error on every page. We never enable thebe, so dropping the
duplicate changes nothing else.

Build-time execution sometimes loses part of a notebook's widget state: in two cold builds of
about eight here, the scaling lab's page came out with 300-370 of its ~1,870 widget models missing
(a blank lab, no error anywhere). The cause sits between the kernel's messages and nbclient's
record of them, and we have not pinned it down. So every executed notebook is checked: each widget
view must find its model, and every model that one refers to, in the saved state. If not, the
notebook is executed again (up to three times, logged), and the build fails naming the notebook if
it never comes out whole.
"""

from __future__ import annotations

import copy
from typing import Any

from sphinx.util import logging

logger = logging.getLogger(__name__)

STATE_MIME = "application/vnd.jupyter.widget-state+json"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
ATTEMPTS = 3


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


def _title(notebook) -> str:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell.get("source", "")).strip()
            if text:
                return text.splitlines()[0].lstrip("# ")
    return "?"


def _checked(execute):
    """Wrap jupyter-cache's ``single_nb_execution``: re-run a notebook whose widgets came out
    incomplete, and fail loudly if it never comes out whole."""

    def run(notebook, *args, **kwargs):
        source = copy.deepcopy(notebook)
        for attempt in range(1, ATTEMPTS + 1):
            executed = copy.deepcopy(source)
            result = execute(executed, *args, **kwargs)
            missing = missing_widget_models(executed)
            if result.err is not None or not missing:
                break
            logger.info(
                f"reasonlab: {len(missing)} widget view(s) lost their state in execution "
                f"{attempt} of {ATTEMPTS}; executing the notebook again"
            )
        else:
            raise RuntimeError(
                f"notebook {_title(source)!r}: widget models {missing} have no saved state after "
                f"{ATTEMPTS} executions; its page would show blank widgets"
            )
        # The caller keeps using its own notebook object: give it the executed content.
        notebook.cells = executed.cells
        notebook.metadata = executed.metadata
        result.nb = notebook
        return result

    return run


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
    from myst_nb.core.execute import cache

    if not getattr(cache.single_nb_execution, "_reasonlab_checked", False):
        cache.single_nb_execution = _checked(cache.single_nb_execution)
        cache.single_nb_execution._reasonlab_checked = True
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after other handlers
    return {"parallel_read_safe": True, "parallel_write_safe": True}
