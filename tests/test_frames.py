"""One frame of a lab as HTML (labs/frames.py): the PNG of a figure, its key and alt text."""

from __future__ import annotations

from reasonlab.labs import frames


def test_figure_png_is_small_deterministic_and_keeps_transparency():
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    def make(alpha):
        f = Figure(figsize=(4, 3))
        f.patch.set_alpha(alpha)
        ax = f.add_subplot()
        ax.plot(range(10), [x * x for x in range(10)])
        ax.set_title("t")
        return f

    a, b = frames.figure_png(make(1)), frames.figure_png(make(1))
    assert a == b  # same figure, same bytes: notebooks re-run to identical outputs
    assert len(a) < 15_000
    img = Image.open(io.BytesIO(a))
    assert img.mode == "P" and img.size == (4 * frames.FRAME_DPI, 3 * frames.FRAME_DPI)
    clear = Image.open(io.BytesIO(frames.figure_png(make(0))))
    assert clear.mode == "RGBA" and clear.getextrema()[3][0] == 0  # some pixels transparent
