"""The live lab (labs/live.py): the view of the current params, each frame drawn once."""

from __future__ import annotations

from reasonlab.labs import live
from reasonlab.labs.controls import Control, Layers, Panel


def toy_controls():
    return [Control("a", "a", (1, 2, 3), 2), Control("b", "b", ("x", "y"), "x", "dropdown")]


def test_live_view_shows_the_frames_of_the_current_params_and_reuses_them():
    calls = []

    def render(p):
        calls.append(dict(p))
        return f"<i>{p['a']}</i>"

    panels = [Layers((Panel(render, ("b",)), Panel(render, ("a", "b"))))]
    view = live.LiveView(toy_controls(), panels, head="<style></style>")
    assert len(calls) == 2  # the base layer of every b was drawn up front
    html = view({"a": 3, "b": "y"})
    assert html.startswith("<style></style>") and "display:grid" in html
    assert 'data-frame="b=y"' in html and 'data-frame="a=3|b=y"' in html
    assert len(calls) == 3  # only the overlay was new
    assert view({"a": 3, "b": "y"}) == html and len(calls) == 3  # nothing drawn twice
