"""The live lab, for a kernel: the controls wired with ``interactive_output`` to one output area.

Every move of a control redraws the lab's panels (the same :class:`~reasonlab.labs.controls.Panel`
list the kernel-free lab takes) through a :class:`LiveView`, which draws each frame once and
keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .controls import Control, Layers, Panel, grid
from .frames import frame_alt, frame_key, to_html

#: Live frames look like the static ones.
LIVE_DPI = 80


def view_html(view: Any, dpi: int = LIVE_DPI) -> str:
    """A lab's rendered view (a Figure, an HTML string, or a tuple of them) as one HTML string."""
    parts = view if isinstance(view, tuple) else (view,)
    return "".join(p if isinstance(p, str) else to_html(p, dpi=dpi, small=False) for p in parts)


class LiveView:
    """``params -> HTML`` of a lab's panels for the live widget, frames cached by their key.

    The live lab shows the same panels as the static one. Each frame is drawn the first time it
    is needed and kept (a frame depends only on its panel's controls, so its key says when it
    can be reused). The base figures of :class:`Layers` are few, and the slowest to draw, so they
    are all drawn when the view is made: a live update then draws only overlays (a marker, no
    text) and read-outs, which keeps it well under 100 ms.

    Args:
        controls: the lab's controls (``params`` holds a value for each).
        panels: the same list ``build_static`` takes.
        head: HTML put before the panels (e.g. the ``<style>`` the frames use).
        prewarm: draw every base figure now.
    """

    def __init__(
        self,
        controls: Sequence[Control],
        panels: Sequence[Panel | Layers],
        *,
        head: str = "",
        prewarm: bool = True,
    ) -> None:
        self.controls, self.panels, self.head = list(controls), list(panels), head
        self.defaults = {c.name: c.default for c in controls}
        self._frames: dict[tuple[int, str], str] = {}
        if prewarm:
            for item in self.panels:
                if isinstance(item, Layers):
                    base = item.panels[0]
                    for params in grid(self.controls, base.depends_on):
                        self.frame(base, params)

    def frame(self, panel: Panel, params: dict[str, Any]) -> str:
        params = self.defaults | params
        key = (id(panel), frame_key(params, panel.depends_on))
        if key not in self._frames:
            names = panel.depends_on
            self._frames[key] = to_html(
                panel.render(params),
                key[1],
                alt=lambda what: frame_alt(self.controls, params, names, what),
            )
        return self._frames[key]

    def __call__(self, params: dict[str, Any]) -> str:
        parts = [self.head]
        for item in self.panels:
            if isinstance(item, Panel):
                parts.append(self.frame(item, params))
            else:  # layers: one CSS grid cell, later layers painted on top
                cells = "".join(
                    f"<div style='grid-area:1/1'>{self.frame(p, params)}</div>" for p in item.panels
                )
                parts.append(f"<div style='display:grid'>{cells}</div>")
        return "".join(parts)


def live(controls: Sequence[Control], panels: Sequence[Panel | Layers], *, head: str = "") -> Any:
    """A live lab: the same controls, wired with ``interactive_output`` to one output area.

    Args:
        controls: the lab's controls.
        panels: what to show (as for :func:`build_static`), drawn by a :class:`LiveView`.
        head: HTML put before the panels.

    ``interactive_output`` clears the output area before each call, so the view is redrawn in
    place, not stacked.
    """
    import ipywidgets as w
    from IPython.display import HTML, display

    layout = w.Layout(width="auto", max_width="640px")
    widgets = {c.name: c.make_widget(layout) for c in controls}
    by_name = {c.name: c for c in controls}
    view = LiveView(controls, panels, head=head)

    def update(**indices: int) -> None:
        # This is the widget layer: showing the view in its output area is its whole job.
        display(HTML(view({n: by_name[n].values[i] for n, i in indices.items()})))

    # interactive_output passes each widget's ``value``; with (label, index) options that is the
    # index, which maps back to the value without float round-trips.
    out = w.interactive_output(update, widgets)
    return w.VBox([*widgets.values(), out])
