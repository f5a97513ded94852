"""reasonlab.core.tables: one cell format, text / markdown / HTML renderings of the same rows."""

import pytest

from reasonlab.core import stats, tables

ROWS = [
    {"arm": "grpo", "pass": 0.91234, "tokens": 12345, "ci": {"mean": 0.5, "ci95": [0.4, 0.6]}},
    {"arm": "<b>ppo</b>", "pass": float("nan"), "tokens": 7, "ci": None},
]


def test_cells():
    assert tables.cell(0.91234) == "0.912"
    assert tables.cell(12345) == "12,345"
    assert tables.cell(None) == "-"
    assert tables.cell(True) == "True"
    assert tables.cell({"mean": 0.5, "ci95": [0.4, 0.6]}, 2) == "0.50 [0.40, 0.60]"
    assert tables.cell(stats.mean_ci([1.0, 1.0])) == "1.000 [1.000, 1.000]"


def test_text_is_aligned():
    out = tables.text(ROWS, ["arm", "pass", "tokens"])
    lines = out.splitlines()
    assert len(lines) == 3 and len({len(x) for x in lines}) == 1
    assert lines[1].split() == ["grpo", "0.912", "12,345"]
    assert "nan" in lines[2]


def test_markdown_and_headers():
    md = tables.markdown(ROWS, ["arm", "ci"], headers={"ci": "pass (95% CI)"})
    assert md.splitlines()[0] == "| arm | pass (95% CI) |"
    assert "0.500 [0.400, 0.600]" in md


def test_the_text_and_markdown_of_a_table_are_the_functions_and_keep_its_caption():
    t = tables.show(ROWS, ["arm", "pass"], caption="After 60 steps", digits=2)
    assert repr(t) == t.text() == "After 60 steps\n" + tables.text(ROWS, ["arm", "pass"], digits=2)
    assert tables.text(ROWS, ["arm"], caption="c").splitlines()[0] == "c"
    md = tables.markdown(ROWS, ["arm", "pass"], caption="After 60 steps", digits=2)
    assert md.splitlines()[:3] == ["After 60 steps", "", "| arm | pass |"]
    assert md.endswith(tables.markdown(ROWS, ["arm", "pass"], digits=2))
    with pytest.raises(ValueError, match="not shown"):
        tables.text(ROWS, ["arm"], formats={"pass": ".2f"})


def test_html_escapes_and_captions():
    t = tables.show(ROWS, ["arm", "pass", "tokens"], caption="After <60> steps")
    h = t._repr_html_()
    assert h.startswith('<table class="reasonlab-table"')
    assert "&lt;b&gt;ppo&lt;/b&gt;" in h and "<b>ppo" not in h
    assert "After &lt;60&gt; steps" in h
    assert h.count("<tr>") == 3
    assert repr(t).splitlines()[0] == "After <60> steps"


def test_bad_columns():
    with pytest.raises(ValueError, match="at least one column"):
        tables.show(ROWS, [])


def test_column_formats():
    rows = [
        {
            "arm": "a",
            "gain": 0.04712,
            "var": 0.00858,
            "n": 12345,
            "ci": {"mean": 0.1, "lo": -0.02, "hi": 0.2},
        },
        {"arm": "b", "gain": -0.5, "var": None, "n": 7, "ci": stats.mean_ci([1.0, 1.0])},
    ]
    formats = {"gain": "+.3f", "var": ".2e", "n": "d", "ci": "+.2f"}
    lines = tables.text(rows, ["arm", "gain", "var", "n", "ci"], formats=formats).splitlines()
    assert lines[1].split() == ["a", "+0.047", "8.58e-03", "12345", "+0.10", "[-0.02,", "+0.20]"]
    assert lines[2].split() == ["b", "-0.500", "-", "7", "+1.00", "[+1.00,", "+1.00]"]
    # without a spec the defaults hold, and a {"mean", "lo", "hi"} dict is an interval too
    assert tables.cell({"mean": 0.5, "lo": 0.4, "hi": 0.6}) == "0.500 [0.400, 0.600]"
    assert tables.cell(0.5, spec="+.1f") == "+0.5"
    html = tables.show(rows, ["arm", "gain"], formats={"gain": "+.3f"})._repr_html_()
    assert "+0.047" in html and "-0.500" in html
    assert "+0.047" in tables.markdown(rows, ["gain"], formats={"gain": "+.3f"})
    with pytest.raises(ValueError, match="not shown"):
        tables.show(rows, ["arm"], formats={"gian": "+.3f"})
