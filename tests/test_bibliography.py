"""The book's citations and reading list: every `{cite}` key used on a page or in a notebook has
an entry in book/references.bib, every entry is well formed, and every further-reading item links
to its source."""

from __future__ import annotations

import json
import re

from conftest import ROOT

BIB = (ROOT / "book" / "references.bib").read_text()
CITE = re.compile(r"(?<!`)\{cite(?::[a-z]+)?\}`([^`]+)`")  # not `{cite}` written as code
ENTRY = re.compile(r"^@(\w+)\{([^,\s]+),", re.MULTILINE)


def bib_keys() -> list[str]:
    return [key for _, key in ENTRY.findall(BIB)]


def cited_keys() -> dict[str, set[str]]:
    """Key -> the files that cite it, over book/*.md and the notebooks' markdown cells."""
    texts = {p.relative_to(ROOT).as_posix(): p.read_text() for p in (ROOT / "book").glob("*.md")}
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        texts[nb.relative_to(ROOT).as_posix()] = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    used: dict[str, set[str]] = {}
    for name, text in texts.items():
        for group in CITE.findall(text):
            for key in group.split(","):
                used.setdefault(key.strip(), set()).add(name)
    return used


def test_every_cited_key_is_in_the_bibliography():
    keys = set(bib_keys())
    missing = {k: sorted(v) for k, v in cited_keys().items() if k not in keys}
    assert not missing, f"cited but not in book/references.bib: {missing}"


def test_bibliography_keys_are_unique_and_entries_have_title_author_year():
    keys = bib_keys()
    assert len(keys) == len(set(keys)), "a key is defined twice in references.bib"
    bodies = re.split(r"^@", BIB, flags=re.MULTILINE)[1:]
    for body in bodies:
        key = body.split("{", 1)[1].split(",", 1)[0]
        for field in ("title", "author", "year"):
            assert re.search(rf"^\s*{field}\s*=", body, re.MULTILINE), f"{key} lacks {field}"


def test_the_citation_check_sees_real_citations():
    # Guards the regex: the pages cite at least the chapter's anchor works.
    used = cited_keys()
    assert {"deepseek2025r1", "shao2024deepseekmath", "liu2025drgrpo"} <= set(used)


def test_every_further_reading_item_links_to_its_source():
    lines = (ROOT / "book" / "further_reading.md").read_text().splitlines()
    # A definition list: each item is the line above its ": annotation".
    terms = [lines[i - 1] for i, line in enumerate(lines) if line.startswith(": ")]
    assert len(terms) >= 7, terms
    for term in terms:
        assert re.fullmatch(r"\[[^\]]+\]\(https://[^)\s]+\)", term), f"no link: {term}"


def first_author_surnames() -> dict[str, str]:
    """Key -> first author's surname ("Zelikman" from ``author = {Zelikman, Eric and ...}``)."""
    found = {}
    for body in re.split(r"^@", BIB, flags=re.MULTILINE)[1:]:
        key = body.split("{", 1)[1].split(",", 1)[0]
        author = re.search(r"^\s*author\s*=\s*\{(.+?)\},?\s*$", body, re.MULTILINE)
        if author:
            first = author.group(1).split(" and ")[0].strip()
            found[key] = first.split(",")[0].strip() if "," in first else first.split()[-1]
    return found


def test_a_notebook_names_every_work_it_cites_in_words():
    """Colab shows a notebook's `{cite}` role as raw text, so the paragraph around it must name the
    work too (its first author's surname, as in "Wang et al., 2022")."""
    surnames = first_author_surnames()
    unnamed = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for paragraph in "".join(cell["source"]).split("\n\n"):
                for group in CITE.findall(paragraph):
                    for key in (k.strip() for k in group.split(",")):
                        words = CITE.sub("", paragraph)
                        if key in surnames and surnames[key].lower() not in words.lower():
                            unnamed.append(f"{nb.name}: {key} ({surnames[key]})")
    assert not unnamed, f"cited without naming the work in words: {unnamed}"


def test_the_surname_reader_reads_the_bibliography():
    surnames = first_author_surnames()
    assert surnames["zelikman2022star"] == "Zelikman"
    assert len(surnames) == len(bib_keys())
