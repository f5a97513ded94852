"""The kernel-free lab (labs/static.py): nested Stacks of precomputed frames, linked in a page."""

from __future__ import annotations

import itertools
import sys
import types

import pytest

from reasonlab.labs import static
from reasonlab.labs.controls import Control, Layers, Panel


def toy_controls():
    return [
        Control("a", "a", (1, 2, 3), 2),
        Control("b", "b", ("x", "y"), "x", "dropdown"),
    ]


def frames_of(widget) -> list[str]:
    """Every frame's HTML inside a static lab, depth first."""
    import ipywidgets as w

    if isinstance(widget, w.HTML):
        return [widget.value] if "rl-lab-frame" in widget.value else []
    return [f for child in getattr(widget, "children", ()) for f in frames_of(child)]


def test_build_static_nests_one_stack_level_per_control_and_links_each():
    import ipywidgets as w

    calls = []

    def render(p):
        calls.append(p)
        return f"<i>{p['a']}{p['b']}</i>"

    box = static.build_static(toy_controls(), [Panel(render, ("a", "b"))])
    sliders = [c for c in box.children if isinstance(c, (w.SelectionSlider, w.Dropdown))]
    assert len(sliders) == 2
    outer = box.children[-1]
    assert isinstance(outer, w.Stack) and len(outer.children) == 3
    assert outer.selected_index == 1  # the default value 2
    assert all(isinstance(c, w.Stack) and len(c.children) == 2 for c in outer.children)
    frames = frames_of(box)
    assert len(frames) == 6 == len(calls)
    # Frame (i, j) of the nested stacks is the one rendered for (values[i], values[j]).
    for (i, a), (j, b) in itertools.product(enumerate((1, 2, 3)), enumerate(("x", "y"))):
        html = outer.children[i].children[j].value
        assert f'data-frame="a={a}|b={b}"' in html and f"<i>{a}{b}</i>" in html
    # One link from control a to the outer stack, one from b to each inner stack.
    links = box._reasonlab_links
    assert len(links) == 4
    assert {(lk.source[0].description, lk.target[0] is outer) for lk in links} == {
        ("a", True),
        ("b", False),
    }
    assert all(lk.source[1] == "index" and lk.target[1] == "selected_index" for lk in links)


def test_panel_frames_only_over_its_controls_and_layers_share_a_cell():
    import ipywidgets as w
    from matplotlib.figure import Figure

    def fig(p, alpha=1):
        f = Figure(figsize=(2, 1))
        f.patch.set_alpha(alpha)
        f.add_subplot().plot([0, 1], [0, p["a"]])
        return f

    box = static.build_static(
        toy_controls(),
        [
            Layers((Panel(fig, ("b",)), Panel(lambda p: fig(p, 0), ("a",)))),
        ],
    )
    grid = box.children[-1]
    assert isinstance(grid, w.GridBox)
    assert [c.layout.grid_area for c in grid.children] == ["frame", "frame"]
    frames = frames_of(box)
    assert len(frames) == 2 + 3
    assert all("data:image/png;base64," in f for f in frames)
    with pytest.raises(ValueError, match="unknown controls"):
        static.build_static(toy_controls(), [Panel(fig, ("c",))])


def test_lab_views_give_the_kernel_free_lab_when_asked_and_the_live_one_otherwise(monkeypatch):
    import ipywidgets as w

    asked = []

    def controls(static=False):
        asked.append(static)
        return toy_controls()

    lab = types.ModuleType("toy_lab")
    lab.controls = controls
    lab.panels = lambda: [Panel(lambda p: f"<i>{p['a']}</i>", ("a",))]
    monkeypatch.setitem(sys.modules, "toy_lab", lab)
    lab.widget, lab.static, lab.show = static.lab_views("toy_lab", "toy lab")
    assert (lab.show.__module__, lab.show.__name__) == ("toy_lab", "show")
    box = lab.static()
    assert asked == [True] and isinstance(box.children[-1], w.Stack)
    assert len(frames_of(box)) == 3
    monkeypatch.setenv(static.STATIC_ENV, "1")
    assert isinstance(lab.show().children[-1], w.Stack)
    monkeypatch.setenv(static.STATIC_ENV, "0")
    live = lab.show()
    assert isinstance(live.children[-1], w.Output) and asked[-1] is False
    # show() looks the lab's static and widget up when called: a stand-in there is used.
    monkeypatch.setattr(lab, "widget", lambda: "stand-in")
    assert lab.show() == "stand-in"
