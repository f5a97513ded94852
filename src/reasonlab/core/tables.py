"""Result tables a reader can read: HTML in the book and in Jupyter, aligned text elsewhere.

A notebook cell that shows results should say *which* results, not how to lay them out::

    show(rows, ["baseline", "pass_rate", "think/usage"], caption="After 60 steps")

:class:`Table` is what :func:`show` returns: Jupyter, Colab and the built book display its
``_repr_html_`` (a compact table that wraps its headers and fits the page's text column),
a plain console prints its ``__repr__`` (the same fixed-width text :func:`text` gives). Cells
format themselves: floats to ``digits`` decimals, integers with thousands separators, a
:class:`reasonlab.core.stats.Interval`, a ``{"mean", "ci95"}`` or a ``{"mean", "lo", "hi"}`` dict as
``mean [lo, hi]``, ``None`` as a dash; a column's own format spec (``formats=``) overrides
``digits``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from .stats import Interval

__all__ = ["Table", "cell", "markdown", "show", "text"]

_STYLE = (
    "border-collapse:collapse;font-size:0.85em;line-height:1.3;margin:0.4em 0;"
    "font-variant-numeric:tabular-nums;max-width:100%"
)
_TH = "border-bottom:1px solid #888;padding:2px 8px;text-align:right;vertical-align:bottom"
_TD = "padding:2px 8px;text-align:right;white-space:nowrap"


def cell(value: Any, digits: int = 3, spec: str | None = None) -> str:
    """One cell's text; ``spec`` (a format spec such as ``"+.3f"`` or ``".2e"``) overrides
    ``digits`` for every number of the cell."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    num = (lambda x: format(x, spec)) if spec else (lambda x: f"{x:.{digits}f}")
    if isinstance(value, Interval):
        return (
            value.text(digits)
            if not spec
            else f"{num(value.mean)} [{num(value.lo)}, {num(value.hi)}]"
        )
    if isinstance(value, Mapping) and "mean" in value and ("ci95" in value or "lo" in value):
        lo, hi = value["ci95"] if "ci95" in value else (value["lo"], value["hi"])
        return f"{num(value['mean'])} [{num(lo)}, {num(hi)}]"
    if isinstance(value, int):
        return format(value, spec) if spec else f"{value:,}"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else num(value)
    return str(value)


def _body(
    rows: Sequence[Mapping],
    columns: Sequence[str],
    digits: int,
    formats: Mapping[str, str] | None = None,
) -> list[list[str]]:
    if not columns:
        raise ValueError("a table needs at least one column")
    unknown = sorted(set(formats or {}) - set(columns))
    if unknown:
        raise ValueError(f"formats for columns not shown: {unknown}")
    specs = [(formats or {}).get(c) for c in columns]
    return [[cell(r.get(c), digits, f) for c, f in zip(columns, specs, strict=True)] for r in rows]


def text(rows: Sequence[Mapping], columns: Sequence[str], **options: Any) -> str:
    """A fixed-width text table, columns right-aligned (for consoles and logs); ``options`` are
    :class:`Table`'s (``digits``, ``headers``, ``formats``, ``caption``)."""
    return Table(rows, columns, **options).text()


def markdown(rows: Sequence[Mapping], columns: Sequence[str], **options: Any) -> str:
    """A Markdown (pipe) table, for READMEs and reports; ``options`` as for :func:`text`."""
    return Table(rows, columns, **options).markdown()


class Table:
    """Rows and the columns to show; displays as HTML in notebooks and as text in a console.

    Args:
        rows: one mapping per row; a missing cell shows as a dash.
        columns: the keys to show, in order.
        digits: decimals of every float.
        headers: a column's header where it is not the key itself.
        caption: a line above the table.
        formats: a column's format spec for its numbers (``{"gain": "+.3f"}`` for signed
            differences, ``{"variance": ".2e"}``), in place of ``digits``; it applies to both
            ends of an interval too.
    """

    def __init__(
        self,
        rows: Sequence[Mapping],
        columns: Sequence[str],
        *,
        digits: int = 3,
        headers: Mapping[str, str] | None = None,
        caption: str | None = None,
        formats: Mapping[str, str] | None = None,
    ) -> None:
        self.rows = [dict(r) for r in rows]
        self.columns = list(columns)
        self.digits = digits
        self.headers = dict(headers or {})
        self.caption = caption
        self.formats = dict(formats or {})
        _body(self.rows, self.columns, digits, self.formats)  # fail early on bad columns

    def _names(self) -> list[str]:
        return [self.headers.get(c, c) for c in self.columns]

    def _cells(self) -> list[list[str]]:
        return _body(self.rows, self.columns, self.digits, self.formats)

    def text(self) -> str:
        """Fixed-width text, columns right-aligned, under the caption (if any)."""
        names, body = self._names(), self._cells()
        widths = [
            max(len(n), *(len(b[j]) for b in body)) if body else len(n) for j, n in enumerate(names)
        ]
        lines = [self.caption] if self.caption else []
        lines += ["  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(b, widths, strict=True)) for b in body]
        return "\n".join(lines)

    def markdown(self) -> str:
        """A Markdown (pipe) table, under the caption (if any) and a blank line."""
        lines = [self.caption, ""] if self.caption else []
        lines += ["| " + " | ".join(self._names()) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(b) + " |" for b in self._cells()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(
            f'<th style="{_TH}">{esc(n).replace("/", "/<wbr>")}</th>' for n in self._names()
        )
        body = "".join(
            "<tr>" + "".join(f'<td style="{_TD}">{esc(v)}</td>' for v in row) + "</tr>"
            for row in self._cells()
        )
        cap = (
            f'<caption style="caption-side:top;text-align:left;font-weight:600">'
            f"{esc(self.caption)}</caption>"
            if self.caption
            else ""
        )
        return (
            f'<table class="reasonlab-table" style="{_STYLE}">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def show(rows: Sequence[Mapping], columns: Sequence[str], **options: Any) -> Table:
    """The table to display as a cell's last expression (HTML in notebooks, text elsewhere);
    ``options`` are :class:`Table`'s (``digits``, ``headers``, ``caption``, ``formats``)."""
    return Table(rows, columns, **options)
