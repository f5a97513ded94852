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

Every frame is wrapped in an element carrying ``data-frame="name=value|..."`` (its key), which is
how the browser tests check that the visible frame is the one precomputed for the controls. Its
image's alt text says the same in words, with the controls' labels (``frame_alt``), so a reader
who cannot see the figure learns which setting it belongs to.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: The switch between "static in the book, live in a kernel". The project's executor sets it to
#: ``1`` (``scripts/execute_notebooks.py``, and the Makefile for nbval and the book build), so the
#: stored outputs and the site get the kernel-free versions. Anywhere else (Colab, JupyterLab,
#: VS Code) it is unset and a lab's ``show()`` gives the live lab.
STATIC_ENV = "REASONLAB_STATIC_WIDGETS"

#: Frames are small on purpose: dozens of them ship inside one page.
FRAME_DPI = 80
#: Colours kept per frame (PNG palette); matplotlib line art needs few, and it shrinks the file.
FRAME_COLOURS = 48


@dataclass(frozen=True)
class Control:
    """One control of a lab: its parameter name, the values it can take, how it is shown.

    Attributes:
        name: the key of this parameter in ``params`` (passed to ``compute``).
        description: the label shown beside the control.
        values: the values the control can take, in display order.
        default: the initial value (must be one of ``values``).
        kind: ``"slider"`` (ordered values), ``"dropdown"`` or ``"toggle"`` (a few choices).
        labels: how each value is shown (default ``str(value)``).
    """

    name: str
    description: str
    values: tuple
    default: Any
    kind: str = "slider"
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"control {self.name!r} has no values")
        if self.default not in self.values:
            raise ValueError(
                f"control {self.name!r}: default {self.default!r} is not one of {self.values}"
            )
        if self.kind not in ("slider", "dropdown", "toggle"):
            raise ValueError(f"control {self.name!r}: unknown kind {self.kind!r}")
        if self.labels is not None and len(self.labels) != len(self.values):
            raise ValueError(f"control {self.name!r}: {len(self.labels)} labels for values")

    @property
    def shown(self) -> tuple[str, ...]:
        return self.labels if self.labels is not None else tuple(str(v) for v in self.values)

    def make_widget(self, layout: Any = None) -> Any:
        """The ipywidgets control; its ``index`` selects ``values[index]`` (never a float)."""
        import ipywidgets as w

        options = list(zip(self.shown, range(len(self.values)), strict=True))
        kw: dict[str, Any] = {
            "options": options,
            "index": self.values.index(self.default),
            "description": self.description,
            "style": {"description_width": "initial"},
        }
        if layout is not None:
            kw["layout"] = layout
        if self.kind == "slider":
            return w.SelectionSlider(continuous_update=True, **kw)
        if self.kind == "toggle":
            return w.ToggleButtons(**kw)
        return w.Dropdown(**kw)


@dataclass(frozen=True)
class Panel:
    """A part of a lab's view that depends on some of the controls.

    Attributes:
        render: ``params -> Figure | str`` (an HTML string); it must read only ``depends_on``.
        depends_on: names of the controls this panel changes with, outermost first.
    """

    render: Callable[[dict[str, Any]], Any]
    depends_on: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Layers:
    """Panels drawn on top of each other: a figure, then transparent overlays (a marker).

    Redrawing a whole figure for every position of a marker is what makes a static lab slow to
    build and heavy to ship. Instead the figure is one panel over few controls, and the marker
    is a transparent image of the *same size and axes* over more controls: cheap to draw (no
    text) and a few hundred bytes each. Both are stacked in one CSS grid cell.
    """

    panels: tuple[Panel, ...]


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


def frame_key(params: dict[str, Any], names: Sequence[str]) -> str:
    """The label of one frame, e.g. ``"domain=math|steps=20"`` (values as ``str``)."""
    return "|".join(f"{n}={params[n]}" for n in names)


def frame_alt(
    controls: Sequence[Control], params: dict[str, Any], names: Sequence[str], what: str = "Figure"
) -> str:
    """The alt text of one frame: what it is and the control values it was drawn for, e.g.
    ``"Figure for domain: math, RL passes (steps): 24"`` (labels as the controls show them)."""
    by_name = {c.name: c for c in controls}
    parts = []
    for name in names:
        c = by_name[name]
        value = params[name]
        shown = c.shown[c.values.index(value)] if value in c.values else str(value)
        parts.append(f"{c.description}: {shown}")
    return f"{what} for {', '.join(parts)}" if parts else what


def _is_overlay(fig: Any) -> bool:
    return fig.patch.get_alpha() == 0


def figure_png(fig: Any, dpi: int = FRAME_DPI, *, small: bool = True) -> bytes:
    """A matplotlib figure as a PNG: a palette image, or RGBA if it is transparent.

    The figure is drawn once with Agg and its pixels handed straight to PIL (no PNG round trip).
    A figure whose background is transparent (an overlay) keeps its alpha channel.

    Args:
        fig: the figure.
        dpi: resolution.
        small: squeeze the bytes (palette, best compression) for frames that ship in a page;
            ``False`` encodes fast instead, for a live update that is shown once.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    w, h = canvas.get_width_height()
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    if not small:
        img.save(out, format="PNG", compress_level=1)
        return out.getvalue()
    if _is_overlay(fig):
        out_img = img.copy()  # transparent overlay: mostly empty, compresses to little
    else:
        # Palette quantisation: line plots have few colours, so this is near-lossless and ~3x
        # smaller than full colour.
        out_img = img.convert("RGB").quantize(
            colors=FRAME_COLOURS, method=Image.Quantize.MEDIANCUT, dither=0
        )
    out_img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def to_html(
    output: Any,
    key: str = "",
    dpi: int = FRAME_DPI,
    *,
    small: bool = True,
    alt: str | Callable[[str], str] | None = None,
) -> str:
    """A rendered frame (Figure or HTML string) as HTML tagged with its ``data-frame`` key.

    Args:
        alt: the image's alt text, or a function of what the image is (``"Figure"``, or
            ``"Marker"`` for a transparent overlay) giving it; default the key.
    """
    attr = html.escape(key, quote=True)
    if isinstance(output, str):
        return f'<div class="rl-lab-frame" data-frame="{attr}">{output}</div>'
    if callable(alt):
        alt = alt("Marker" if _is_overlay(output) else "Figure")
    text = html.escape(alt if alt is not None else key, quote=True)
    png = base64.b64encode(figure_png(output, dpi, small=small)).decode("ascii")
    return (
        f'<div class="rl-lab-frame" data-frame="{attr}">'
        f'<img src="data:image/png;base64,{png}" alt="{text}" style="max-width:100%"></div>'
    )


def readout(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column HTML table of (what, value) pairs: a lab's numbers for the current choice."""
    cells = "".join(
        f"<tr><td style='padding-right:1em'>{html.escape(a)}</td>"
        f"<td><b>{html.escape(b)}</b></td></tr>"
        for a, b in rows
    )
    return f"<table class='rl-lab-readout'>{cells}</table>"


def grid(controls: Sequence[Control], names: Sequence[str]) -> list[dict[str, Any]]:
    """Every combination of the named controls' values (others at their default)."""
    by_name = {c.name: c for c in controls}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown controls {unknown}; the lab has {list(by_name)}")
    base = {c.name: c.default for c in controls}
    return [
        base | dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(by_name[n].values for n in names))
    ]


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
