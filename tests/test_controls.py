"""A lab's declarations (labs/controls.py): controls checked when made, their widgets, the grid."""

from __future__ import annotations

import pytest

from reasonlab.labs.controls import Control, grid


def test_control_rejects_bad_definitions():
    with pytest.raises(ValueError, match="default"):
        Control("a", "a", (1, 2), 3)
    with pytest.raises(ValueError, match="no values"):
        Control("a", "a", (), None)
    with pytest.raises(ValueError, match="kind"):
        Control("a", "a", (1,), 1, "knob")
    with pytest.raises(ValueError, match="labels"):
        Control("a", "a", (1, 2), 1, labels=("one",))


def test_control_widget_selects_values_by_index():
    import ipywidgets as w

    slider = Control("t", "t", (0.5, 2.0, 10.0), 2.0).make_widget()
    assert isinstance(slider, w.SelectionSlider)
    assert slider.index == 1  # an index, never a float compared for equality
    assert isinstance(Control("b", "b", ("x", "y"), "y", "dropdown").make_widget(), w.Dropdown)


def test_grid_is_every_combination_of_the_named_controls_the_rest_at_default():
    controls = [Control("a", "a", (1, 2, 3), 2), Control("b", "b", ("x", "y"), "x")]
    assert grid(controls, ("b",)) == [{"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert len(grid(controls, ("a", "b"))) == 6
    assert grid(controls, ("a", "b"))[-1] == {"a": 3, "b": "y"}  # the last control varies fastest
    with pytest.raises(ValueError, match="unknown controls"):
        grid(controls, ("c",))
