"""Labs that still move without a kernel: frames precomputed over a grid, picked in the browser.

A live lab redraws its figure in Python every time a control moves. The static site has no
Python, so a static lab renders every frame ahead of time and puts them in an ipywidgets
``Stack`` (which shows one child at a time). Each control is linked to the stack *in the
browser* with ``jslink((control, "index"), (stack, "selected_index"))``: moving a control changes
which frame is visible, with no kernel. Several controls nest stacks: the outer stack is picked
by the first control, each of its children is a stack picked by the second, and so on.

A frame can depend on only some of the controls. A lab is split into *panels* (a figure, a text
read-out), each declaring the controls it depends on, so the number of frames is the product of
the sizes of those controls only, not of all of them. That keeps a page light.

The pieces: what a lab declares (:mod:`~reasonlab.labs.controls`), one frame as HTML
(:mod:`~reasonlab.labs.frames`), the live lab (:mod:`~reasonlab.labs.live`); this module builds
the kernel-free lab, holds the switch between the two, and gives a lab its ``widget``,
``static`` and ``show`` (:func:`lab_views`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

from .controls import Control, Layers, Panel, grid  # noqa: F401 (static.grid, as before)
from .frames import frame_alt, frame_key, to_html
from .live import LiveView, live, view_html  # noqa: F401 (static.LiveView, static.view_html)

#: The switch between "static in the book, live in a kernel". The project's executor sets it to
#: ``1`` (``scripts/execute_notebooks.py``, and the Makefile for nbval and the book build), so the
#: stored outputs and the site get the kernel-free versions. Anywhere else (Colab, JupyterLab,
#: VS Code) it is unset and a lab's ``show()`` gives the live lab.
STATIC_ENV = "REASONLAB_STATIC_WIDGETS"


def static_wanted() -> bool:
    """True when the kernel-free versions are asked for (``REASONLAB_STATIC_WIDGETS=1``)."""
    return os.environ.get(STATIC_ENV, "") == "1"


def missing_stack() -> str | None:
    """Why this kernel cannot build a kernel-free widget, or None if it can.

    The static versions pick one precomputed child at a time with ``ipywidgets.Stack``, which
    arrived in ipywidgets 8.0; Colab's runtime ships ipywidgets 7.
    """
    import ipywidgets as w

    if hasattr(w, "Stack"):
        return None
    return f"ipywidgets {w.__version__} has no Stack widget (it arrived in 8.0)"


def fallback_note(what: str, why: str) -> str:
    """The one line printed when a kernel-free version falls back to the live one."""
    return f"{what}: showing the live version instead of the kernel-free one: {why}."


def build_static(
    controls: Sequence[Control], panels: Sequence[Panel | Layers], *, head: str = ""
) -> Any:
    """A kernel-free lab: controls over nested Stacks of precomputed frames, linked in the browser.

    Args:
        controls: the lab's controls (each a row of widgets above the panels).
        panels: what to show, top to bottom; each panel gets nested Stacks over its
            ``depends_on`` controls; :class:`Layers` are drawn in one place, later on top.
        head: HTML shown once above the controls, e.g. a ``<style>`` every frame relies on
            (shipping CSS once instead of inline in hundreds of frames keeps the page light).

    Returns:
        An ``ipywidgets.VBox``; display it in a notebook and it survives into the static site.
        It needs ``ipywidgets.Stack`` (8.0 and later): call it through :func:`kernel_free`.
    """
    import ipywidgets as w

    by_name = {c.name: c for c in controls}
    control_layout = w.Layout(width="auto", max_width="640px")
    frame_layout = w.Layout(width="auto")  # one Layout model shared by every frame and stack
    widgets = {c.name: c.make_widget(control_layout) for c in controls}
    links = []

    def nest(panel: Panel, level: int, fixed: dict[str, Any]) -> Any:
        if level == len(panel.depends_on):
            params = {c.name: c.default for c in controls} | fixed
            names = panel.depends_on
            return w.HTML(
                to_html(
                    panel.render(params),
                    frame_key(params, names),
                    alt=lambda what: frame_alt(controls, params, names, what),
                ),
                layout=frame_layout,
            )
        control = by_name[panel.depends_on[level]]
        children = [nest(panel, level + 1, fixed | {control.name: v}) for v in control.values]
        stack = w.Stack(
            children, selected_index=control.values.index(control.default), layout=frame_layout
        )
        links.append(w.jslink((widgets[control.name], "index"), (stack, "selected_index")))
        return stack

    def view(item: Panel | Layers) -> Any:
        if isinstance(item, Panel):
            missing = [n for n in item.depends_on if n not in by_name]
            if missing:
                raise ValueError(f"panel depends on unknown controls {missing}")
            return nest(item, 0, {})
        layers = [view(p) for p in item.panels]
        for layer in layers:
            layer.layout = cell_layout
        # One grid cell holding every layer: later children are painted over earlier ones.
        return w.GridBox(layers, layout=w.Layout(grid_template_areas='"frame"', width="auto"))

    cell_layout = w.Layout(grid_area="frame", width="auto")
    views = [view(p) for p in panels]
    box = w.VBox([*([w.HTML(head)] if head else []), *widgets.values(), *views])
    box._reasonlab_links = links  # keep the links alive with the view (they are widgets too)
    return box


def kernel_free(build: Callable[[], Any], widget: Callable[[], Any], what: str) -> Any:
    """``build()`` (a kernel-free widget), or, where ipywidgets has no ``Stack`` (version 7, as
    in Colab), one printed line saying why and the live ``widget()``, which works there."""
    why = missing_stack()
    if why is not None:
        print(fallback_note(what, why))
        return widget()
    return build()


def show(static: Callable[[], Any], widget: Callable[[], Any]) -> Any:
    """One cell per lab: the kernel-free version when the project's executor runs the notebook
    (:data:`STATIC_ENV` is ``1``), the live one in any other kernel."""
    return static() if static_wanted() else widget()


def lab_views(
    module: str, what: str, *, head: str = ""
) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    """A lab module's ``widget``, ``static`` and ``show``: the same three functions for every lab.

    Args:
        module: the lab module's ``__name__``. It defines ``controls(static=False)`` (the
            kernel-free lab asks for ``static=True``) and ``panels()``. Each function looks
            these, and the module's ``widget`` and ``static``, up when it is called, so a
            stand-in put there (by a test) is the one used.
        what: the lab's name in the line printed when the kernel-free version falls back.
        head: HTML put once before the panels, in both versions.

    Returns:
        ``(widget, static, show)``: the live lab (needs a kernel), the kernel-free one (frames
        precomputed, picked in the browser), and the notebook's one cell (:func:`show`).
    """

    def lab() -> Any:
        return importlib.import_module(module)

    def widget() -> Any:
        """The live lab (needs a kernel): every move redraws the one output area."""
        return live(lab().controls(), lab().panels(), head=head)

    def static() -> Any:
        """The same lab for the book: frames precomputed, picked in the browser (no kernel)."""
        return kernel_free(
            lambda: build_static(lab().controls(static=True), lab().panels(), head=head),
            lab().widget,
            what,
        )

    def show_lab() -> Any:
        """The one cell of the lab's notebook: kernel-free when the project's executor runs it
        (``REASONLAB_STATIC_WIDGETS=1``: stored outputs, the book), live in any other kernel."""
        return show(lab().static, lab().widget)

    views = (widget, static, show_lab)
    for f, name in zip(views, ("widget", "static", "show"), strict=True):
        f.__module__, f.__name__, f.__qualname__ = module, name, name  # as if defined there
    return views
