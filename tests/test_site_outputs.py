"""The built site shows the notebooks' stored outputs, the ones nbval checks: each page embeds
exactly the widget state stored in its notebook, and every stored widget view. Needs `make book`
(marker ``browser``, which `make browser` runs after the build)."""

import json
import re

import pytest
from conftest import ROOT, SITE

STATE = re.compile(
    r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S
)
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STUDENT_SITE = SITE.parent / "student"


def built_page(path, site=SITE, how="make book"):
    """The built page of a notebook, or a failure saying which build to run."""
    page = site / "notebooks" / f"{path.stem}.html"
    if not page.exists():
        pytest.fail(f"{page} is missing: run `{how}` first")
    return page


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_page_embeds_the_stored_widget_state(path):
    page = built_page(path)
    html = page.read_text()
    nb = json.loads(path.read_text())
    stored = (
        nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    )
    found = STATE.search(html)
    if stored is None:
        assert found is None
        return
    assert found is not None, f"{page.name} has no widget state"
    assert json.loads(found.group(1))["state"] == stored["state"]
    views = [
        o["data"][VIEW_MIME]["model_id"]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if VIEW_MIME in o.get("data", {})
    ]
    for model_id in views:
        assert model_id in html, (page.name, model_id)


SECTION_NUMBER = re.compile(r'<h1><span class="section-number">(\d+)\. </span>')


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_page_shows_the_notebook_file_number_as_its_section_number(path):
    page = built_page(path)
    found = SECTION_NUMBER.search(page.read_text())
    assert found, f"{page.name}: the title has no section number"
    assert int(found.group(1)) == int(path.stem.split("_")[0]), (page.name, found.group(1))


@pytest.mark.browser
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_has_no_solutions_and_the_book_has_them(path):
    """`make book STUDENT=1` builds _build/student without the solutions the book shows."""
    book = built_page(path)
    student = built_page(path, STUDENT_SITE, "make book STUDENT=1")
    cells = json.loads(path.read_text())["cells"]
    markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    expected = markdown.count("<summary>Solution")
    assert book.read_text().count("<summary>Solution") == expected
    html = student.read_text()
    assert "<summary>Solution" not in html
    assert ("Exercises" in html) == ("Exercises" in book.read_text())
