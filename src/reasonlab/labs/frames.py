"""One frame of a lab as HTML: a figure as a small PNG, or a read-out table, tagged with its key.

Every frame is wrapped in an element carrying ``data-frame="name=value|..."`` (its key), which is
how the browser tests check that the visible frame is the one precomputed for the controls. Its
image's alt text says the same in words, with the controls' labels (``frame_alt``), so a reader
who cannot see the figure learns which setting it belongs to. The live and the kernel-free labs
draw their frames with the same functions, so both show the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from typing import Any

from .controls import Control

#: Frames are small on purpose: dozens of them ship inside one page.
FRAME_DPI = 80
#: Colours kept per frame (PNG palette); matplotlib line art needs few, and it shrinks the file.
FRAME_COLOURS = 48


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
