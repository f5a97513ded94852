"""Browser tests of the three lab pages of the built site: every static control moves the frames.

For each lab page: every control is moved through every value, with the keyboard (sliders:
arrow keys; dropdowns: arrow keys; toggle buttons: Tab and Space) and with the mouse (a click on
the slider track, a click on a toggle button, a pick in the dropdown), and after each move the
*visible* frames must be exactly the ones precomputed for the controls' current values (each
frame carries its key in ``data-frame``). No JS error, no failed or foreign request. The page
weight is reported and kept under 3 MB of HTML.

Run after ``make book`` (``make test`` does).
"""

from __future__ import annotations

import pytest
from conftest import SITE

from reasonlab.labs import chain, reward_explorer, tradeoffs

pytestmark = pytest.mark.browser

LABS = {
    "notebooks/06_lab_reasoning_chain": chain,
    "notebooks/07_lab_reward_explorer": reward_explorer,
    "notebooks/08_lab_scaling_tradeoffs": tradeoffs,
}
MAX_PAGE_BYTES = 3_000_000
WIDGET_TIMEOUT_MS = 60_000

# The visible frames' keys, parsed: [{name: value-as-str}] (hidden Stack children have no box).
VISIBLE_FRAMES = """() => [...document.querySelectorAll('.rl-lab-frame')]
    .filter(e => e.getClientRects().length > 0)
    .map(e => e.dataset.frame)"""

# Control rows of the static lab, by their description label: kind and index in the DOM.
CONTROL_ROWS = """() => [...document.querySelectorAll(
        '.widget-slider, .widget-dropdown, .widget-toggle-buttons')]
    .filter(e => e.getClientRects().length > 0)
    .map(e => [e.querySelector('.widget-label').textContent.trim(),
               e.classList.contains('widget-slider') ? 'slider'
               : e.classList.contains('widget-dropdown') ? 'dropdown' : 'toggle'])"""


def visible(page) -> list[dict[str, str]]:
    keys = page.evaluate(VISIBLE_FRAMES)
    return [dict(part.split("=", 1) for part in key.split("|")) if key else {} for key in keys]


def check_frames(page, state: dict[str, str], num_frames: int, where: str) -> None:
    """Every visible frame is the one precomputed for ``state`` (name -> str(value))."""

    def agrees(frames) -> bool:
        return len(frames) == num_frames and all(
            state[n] == v for frame in frames for n, v in frame.items()
        )

    # The widget manager re-renders on the next tick or two: poll briefly, then judge.
    for _ in range(40):
        frames = visible(page)
        if agrees(frames):
            return
        page.wait_for_timeout(50)
    assert len(frames) == num_frames, f"{where}: {len(frames)} frames visible, not {num_frames}"
    wrong = [f for f in frames if any(state[n] != v for n, v in f.items())]
    raise AssertionError(f"{where}: visible frames {wrong} disagree with the controls {state}")


def row(page, description: str):
    return page.locator(
        ".widget-slider, .widget-dropdown, .widget-toggle-buttons",
        has=page.locator(".widget-label", has_text=description),
    ).first


@pytest.mark.parametrize("name", list(LABS))
def test_every_lab_control_moves_the_frames(page, site_url, name):
    lab = LABS[name]
    html_bytes = (SITE / f"{name}.html").stat().st_size
    print(f"\n{name}.html: {html_bytes / 1e6:.2f} MB")
    assert html_bytes < MAX_PAGE_BYTES, f"{name}.html is {html_bytes / 1e6:.2f} MB"
    page.goto(f"{site_url}/{name}.html", wait_until="load")
    page.wait_for_function(f"() => ({VISIBLE_FRAMES})().length > 0", timeout=WIDGET_TIMEOUT_MS)

    controls = lab.controls(static=True)
    state = {c.name: str(c.default) for c in controls}
    num_frames = len(visible(page))
    assert num_frames >= 2, "a lab shows at least a figure or chain and a read-out"
    check_frames(page, state, num_frames, "initial")
    rows = dict(page.evaluate(CONTROL_ROWS))
    assert set(rows) == {c.description for c in controls}, rows

    for c in controls:
        r = row(page, c.description)
        start = c.values.index(c.default)
        order = list(range(start + 1, len(c.values))) + list(range(len(c.values) - 2, -1, -1))
        # Keyboard: walk up to the last value and back down to the first.
        for i in order:
            if c.kind == "slider":
                r.locator(".noUi-handle").focus()
                page.keyboard.press("ArrowRight" if i > start else "ArrowLeft")
            elif c.kind == "dropdown":
                r.locator("select").focus()
                page.keyboard.press("ArrowDown" if i > start else "ArrowUp")
            else:
                r.locator("button").nth(i).focus()
                page.keyboard.press("Space")
            start = i
            state[c.name] = str(c.values[i])
            check_frames(page, state, num_frames, f"{c.name} -> {c.values[i]} (keyboard)")
        # Mouse: jump to the last value, then back to the default.
        for i in (len(c.values) - 1, c.values.index(c.default)):
            if c.kind == "slider":
                track = r.locator(".noUi-target")
                # noUiSlider ignores taps while the previous tap's animation runs.
                page.wait_for_function(
                    "() => !document.querySelector('.noUi-state-tap')", timeout=5_000
                )
                track.scroll_into_view_if_needed()  # mouse coordinates are the viewport's
                box = track.bounding_box()
                frac = i / (len(c.values) - 1) if len(c.values) > 1 else 0
                x = box["x"] + min(max(frac * box["width"], 1), box["width"] - 1)
                page.mouse.click(x, box["y"] + box["height"] / 2)
            elif c.kind == "dropdown":
                r.locator("select").select_option(index=i)
            else:
                r.locator("button").nth(i).click()
            state[c.name] = str(c.values[i])
            check_frames(page, state, num_frames, f"{c.name} -> {c.values[i]} (mouse)")
    assert not page.log.problems(), page.log.problems()
