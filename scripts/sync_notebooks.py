"""Keep the notebooks readable and runnable everywhere: the book, Jupyter and Colab.

Usage:
    python scripts/sync_notebooks.py            # rewrite notebooks/*.ipynb in place
    python scripts/sync_notebooks.py --check    # change nothing; exit 1 if anything would change
    python scripts/sync_notebooks.py NAME...    # rewrite only the named notebooks (stems or paths)
    python scripts/sync_notebooks.py --student DIR   # the book's sources without solutions, in DIR

It is idempotent (a second run changes nothing), so it can be re-applied after merging notebook
changes from elsewhere. What it does to every notebook:

* **The set-up cell.** The first cell becomes the one Colab set-up cell, identical everywhere and
  made from ``repository.url`` and ``repository.branch`` of ``_config.yml`` (the one place a fork
  changes). It installs ``reasonlab @ git+URL@BRANCH`` with pip, prints one line saying what it
  did, and stops with a clear message (and what to do instead) if the install fails. It carries the
  tags that skip it in nbval and the book build and hide it in the site.
* **Solutions and notes.** MyST's ``:::{dropdown} Title`` and ``:::{note}`` blocks are raw text in
  Jupyter and Colab, so they become HTML that all three render: ``<details><summary>`` (collapsed,
  expandable) and a ``<div class="admonition note">`` (styled as a note in the site). A blank line
  after the opening tags and before the closing one keeps the body Markdown (with its maths).
* **Links between notebooks.** ``[text](other.html)`` or ``(other.md)`` to a notebook of the book
  becomes ``(other.ipynb)``: Sphinx turns it into a link to the page, Jupyter opens the file, and in
  Colab the relative address resolves to the other notebook's Colab address. A link to a notebook
  that does not exist is an error.
* **Alt text of figures.** ``notebooks/figures.json`` holds a short description of every figure,
  keyed by notebook and code-cell id; each becomes the cell's ``mystnb.image.alt`` metadata,
  which myst-nb gives the cell's images as their alt text in the book (without it, the alt text
  is the image's file path). A cell with an image output and no description, or a description
  of a cell that does not exist or draws nothing, is an error.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIGURES = NOTEBOOKS / "figures.json"
#: Output types that myst-nb renders as an image (``render_image``).
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

#: Tags of the set-up cell: not run by nbval (``nbval-skip``) nor by the book's executor and
#: ``scripts/execute_notebooks.py`` (``skip-execution``), and not shown in the site.
SETUP_TAGS = ["colab-setup", "skip-execution", "nbval-skip", "remove-cell"]

#: Colab's packages the set-up cell reports on (it must leave them as they are).
KEPT = (
    "torch",
    "numpy",
    "matplotlib",
    "ipywidgets",
    "ipython",
    "ipykernel",
    "traitlets",
    "pillow",
    "sympy",
    "tqdm",
)

SETUP_TEMPLATE = """\
# Colab set-up (skipped anywhere else): install reasonlab from the book's repository. Colab's own
# torch, numpy, matplotlib, ipywidgets, IPython and the rest stay as they are.
import sys

if "google.colab" in sys.modules:
    import importlib
    import subprocess
    import time
    from importlib import metadata

    _source = "__SOURCE__"
    _kept = __KEPT__

    def _versions():
        found = {}
        for name in _kept:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = None
        return found

    _before, _start = _versions(), time.perf_counter()
    _pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", f"reasonlab @ {_source}"],
        capture_output=True,
        text=True,
    )
    if _pip.returncode != 0:
        print(_pip.stdout[-3000:] + _pip.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(
            f"Could not install reasonlab from {_source} (pip's last messages are above). Check "
            "that the runtime is connected and can reach GitHub and run this cell again, or run "
            "the notebooks on your own machine instead (see 'How to run' in the book)."
        )
    importlib.invalidate_caches()
    _changed = [f"{n} {_before[n]} -> {v}" for n, v in _versions().items() if v != _before[n]]
    import torch

    print(
        f"reasonlab {metadata.version('reasonlab')} installed from {_source} in "
        f"{time.perf_counter() - _start:.0f} s; "
        + (f"CHANGED {', '.join(_changed)}" if _changed else "Colab's own packages kept")
        + ("; a GPU is present but not used" if torch.cuda.is_available() else "")
        + "; everything runs on the CPU."
    )
"""


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def install_source(cfg: dict | None = None) -> str:
    """``git+URL@BRANCH`` of the book's repository, as ``_config.yml`` gives it."""
    repo = (cfg or config())["repository"]
    return f"git+{repo['url'].rstrip('/')}@{repo.get('branch', 'main')}"


def setup_source(source: str | None = None) -> str:
    """The set-up cell's code, installing from ``source`` (default: :func:`install_source`)."""
    kept = "(\n" + "".join(f'        "{name}",\n' for name in KEPT) + "    )"
    return (
        SETUP_TEMPLATE.replace("__SOURCE__", source or install_source())
        .replace("__KEPT__", kept)
        .rstrip("\n")
    )


def is_setup_cell(cell) -> bool:
    return cell.cell_type == "code" and (
        "colab-setup" in cell.metadata.get("tags", []) or "google.colab" in cell.source
    )


# Markdown blocks. The body is kept as written; only the fences around it change.
_BLOCK = re.compile(
    r"^:::\{(?P<kind>dropdown|note)\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)\n?^:::[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def _block_html(m: re.Match) -> str:
    body = m["body"].strip("\n")
    if m["kind"] == "dropdown":
        title = html.escape(m["title"].strip() or "Solution")
        return f"<details>\n<summary>{title}</summary>\n\n{body}\n\n</details>"
    head = '<div class="admonition note">\n<p class="admonition-title">Note</p>'
    return f"{head}\n\n{body}\n\n</div>"


_LINK = re.compile(r"\]\((?P<stem>[\w.-]+?)\.(?P<ext>ipynb|html|md)(?P<anchor>#[^)\s]*)?\)")


def _links(text: str, notebooks: set[str], where: str, errors: list[str]) -> str:
    def fix(m: re.Match) -> str:
        stem, ext, anchor = m["stem"], m["ext"], m["anchor"] or ""
        if stem in notebooks:
            return f"]({stem}.ipynb{anchor})"
        if ext == "ipynb":
            errors.append(f"{where}: link to a notebook that does not exist: {stem}.ipynb")
        return m[0]

    return _LINK.sub(fix, text)


def sync(nb, notebooks: set[str], where: str = "?", source: str | None = None) -> list[str]:
    """Apply every rule to ``nb`` in place; returns the errors found (broken links)."""
    errors: list[str] = []
    setup = nbformat.v4.new_code_cell(setup_source(source))
    setup.metadata["tags"] = list(SETUP_TAGS)
    if nb.cells and is_setup_cell(nb.cells[0]):
        setup.id = nb.cells[0].get("id", setup.id)
        nb.cells[0] = setup
    else:
        nb.cells.insert(0, setup)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = _BLOCK.sub(_block_html, cell.source)
            cell.source = _links(text, notebooks, where, errors)
    return errors


def figure_alts() -> dict[str, dict[str, str]]:
    """Notebook stem -> code-cell id -> alt text, from ``notebooks/figures.json``."""
    data = json.loads(FIGURES.read_text())
    return {stem: cells for stem, cells in data.items() if not stem.startswith("_")}


def image_cells(nb) -> list[str]:
    """Ids of the code cells whose stored outputs include an image."""
    return [
        cell.get("id", "?")
        for cell in nb.cells
        if cell.cell_type == "code"
        and any(m in out.get("data", {}) for out in cell.get("outputs", []) for m in IMAGE_MIMES)
    ]


def apply_alts(nb, alts: dict[str, str], where: str = "?") -> list[str]:
    """Write each image cell's alt text into its metadata; returns the errors found."""
    errors: list[str] = []
    drawn = set(image_cells(nb))
    for cell_id in sorted(set(alts) - drawn):
        errors.append(f"{where}: figures.json describes cell {cell_id}, which draws no image")
    for cell in nb.cells:
        cell_id = cell.get("id", "?")
        if cell_id not in drawn:
            continue
        text = alts.get(cell_id, "").strip()
        if not text:
            errors.append(
                f"{where}: cell {cell_id} draws an image but has no alt text in figures.json"
            )
            continue
        cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = text
    return errors


# A solution as the dropdown rule above writes it: a <details> whose summary starts "Solution".
_SOLUTION = re.compile(
    r"^<details>\n<summary>Solution[^<\n]*</summary>\n.*?^</details>[ \t]*(?:\n|\Z)",
    re.MULTILINE | re.DOTALL,
)

#: What the student edition copies: everything the book build reads.
BOOK_SOURCES = ("_config.yml", "_toc.yml", "book", "notebooks")


def strip_solutions(nb) -> int:
    """Remove every exercise solution from ``nb``'s markdown cells (a cell left empty goes too);
    returns how many were removed."""
    removed = 0
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text, n = _SOLUTION.subn("", cell.source)
            if n:
                removed += n
                cell.source = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
                if not cell.source.strip():
                    continue
        kept.append(cell)
    nb.cells = kept
    return removed


def student_sources(out: Path) -> int:
    """Copy the book's sources into ``out`` with the solutions removed from every notebook (the
    student edition, built by ``make book STUDENT=1``); returns how many solutions were removed."""
    import shutil

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in BOOK_SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, out / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, out / name)
    removed = 0
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        removed += strip_solutions(nb)
        nbformat.write(nb, path)
    return removed


def main(argv: list[str]) -> int:
    if "--student" in argv:
        i = argv.index("--student")
        if i + 1 >= len(argv):
            print("sync_notebooks: --student needs a folder", file=sys.stderr)
            return 2
        removed = student_sources(Path(argv[i + 1]).resolve())
        print(f"sync_notebooks: student sources in {argv[i + 1]}, {removed} solutions removed")
        return 0
    check = "--check" in argv
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    stems = {p.stem for p in paths}
    named = {Path(a).stem for a in argv if not a.startswith("--")}
    if named - stems:
        print(f"sync_notebooks: no such notebook: {sorted(named - stems)}", file=sys.stderr)
        return 2
    alts = figure_alts()
    changed, errors = [], []
    errors += [f"figures.json: no notebook {stem}.ipynb" for stem in sorted(set(alts) - stems)]
    for path in paths if not named else [p for p in paths if p.stem in named]:
        before = path.read_text()
        nb = nbformat.reads(before, as_version=4)
        errors += sync(nb, stems, path.name)
        errors += apply_alts(nb, alts.get(path.stem, {}), path.name)
        after = nbformat.writes(nb)
        after += "" if after.endswith("\n") else "\n"  # as nbformat.write does
        if after != before:
            changed.append(path.name)
            if not check:
                path.write_text(after)
    for e in errors:
        print(e, file=sys.stderr)
    verb = "would change" if check else "changed"
    print(f"sync_notebooks: {verb} {len(changed)} of {len(paths)} notebooks {changed or ''}")
    return 1 if errors or (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
