"""What a lab is made of, live or static: its controls, its panels, and the grid of their values.

A lab declares its :class:`Control` s (a parameter, its values, how it is shown) and its
:class:`Panel` s (a figure or a read-out, each naming the controls it depends on; a
:class:`Layers` stacks a figure and its transparent overlays). The live view
(:mod:`reasonlab.labs.live`) and the kernel-free one (:mod:`reasonlab.labs.static`) both draw
from these declarations, so the two show the same lab.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


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

    @classmethod
    def dropdown(
        cls, name: str, description: str, options: Sequence[tuple[Any, str]], default: Any
    ) -> Control:
        """A dropdown over ``(value, label)`` pairs, e.g. a lab's table of named choices."""
        values = tuple(value for value, _ in options)
        return cls(name, description, values, default, "dropdown", tuple(t for _, t in options))

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
