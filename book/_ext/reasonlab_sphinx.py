"""Small Sphinx fixes for the reasonlab book (loaded through _config.yml ``local_extensions``).

jupyter-book 1.0 registers sphinx-thebe's inline set-up script twice; the second copy re-declares a
``const`` and throws a JavaScript error on every page. We never enable thebe, so dropping the
duplicate changes nothing else.
"""

from __future__ import annotations

from typing import Any


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
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after other handlers
    return {"parallel_read_safe": True, "parallel_write_safe": True}
