"""Colab readiness without Colab: the set-up cell, the notebooks' maintenance script, the
"static in the book, live in a kernel" switch, ipywidgets 7 (no ``Stack``), links from the quiz,
and a runtime that has a GPU. The whole notebooks in Colab's pinned packages are `make colab`."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import types
from contextlib import redirect_stdout
from pathlib import Path

import ipywidgets as w
import nbformat
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import sync_notebooks  # noqa: E402

from reasonlab import quiz  # noqa: E402
from reasonlab.labs import chain, reward_explorer, static, tradeoffs  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STEMS = {p.stem for p in NOTEBOOKS}


def widgets_in(widget) -> list:
    """``widget`` and every widget below it."""
    out, todo = [], [widget]
    while todo:
        x = todo.pop()
        out.append(x)
        todo.extend(getattr(x, "children", ()))
    return out


# ----------------------------------------------------------------------------- maintenance script


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_sync_notebooks_was_applied(path):
    """Re-running the script changes nothing: it was applied, and it is idempotent."""
    text = path.read_text()
    nb = nbformat.reads(text, as_version=4)
    assert sync_notebooks.sync(nb, STEMS, path.name) == []
    assert nbformat.writes(nb).rstrip("\n") == text.rstrip("\n"), (
        f"{path.name} is not in sync: run `python scripts/sync_notebooks.py`"
    )


def test_the_set_up_cell_is_the_same_everywhere_and_comes_from_config():
    cells = {nbformat.read(p, as_version=4).cells[0].source for p in NOTEBOOKS}
    assert cells == {sync_notebooks.setup_source()}
    cfg = sync_notebooks.config()["repository"]
    assert sync_notebooks.install_source() == f"git+{cfg['url']}@{cfg['branch']}"


def test_sync_turns_myst_blocks_into_html_and_fixes_links():
    md = (
        "See [the objective](01_rlvr_objective.html#the-objective) and [x](missing.ipynb).\n\n"
        ":::{note}\nA note with $a < b$.\n:::\n\n"
        ":::{dropdown} Solution 2\nThe answer is $\\frac{1}{2}$.\n```python\nprint(1)\n```\n:::"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(md)])
    errors = sync_notebooks.sync(nb, {"01_rlvr_objective"}, "toy")
    assert errors == ["toy: link to a notebook that does not exist: missing.ipynb"]
    first = nb.cells[0]
    assert first.cell_type == "code" and first.source == sync_notebooks.setup_source()
    assert set(sync_notebooks.SETUP_TAGS) <= set(first.metadata["tags"])
    text = nb.cells[1].source
    assert "(01_rlvr_objective.ipynb#the-objective)" in text
    assert ":::" not in text
    # The blank lines keep the bodies Markdown (maths included) inside the HTML.
    assert "<details>\n<summary>Solution 2</summary>\n\nThe answer is $\\frac{1}{2}$." in text
    assert "print(1)\n```\n\n</details>" in text
    assert '<p class="admonition-title">Note</p>\n\nA note with $a < b$.\n\n</div>' in text
    again = copy.deepcopy(nb)
    sync_notebooks.sync(again, {"01_rlvr_objective"}, "toy")
    assert again == nb  # idempotent


def test_no_myst_only_blocks_are_left_in_the_notebooks():
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert ":::{" not in cell.source and "```{" not in cell.source, path.name


# ----------------------------------------------------------------------------- set-up cell


def run_setup(monkeypatch, returncode: int, cuda: bool) -> tuple[str, list]:
    """Execute the set-up cell as in Colab, with pip replaced by a stub returning ``returncode``."""
    import torch

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, returncode, stdout="", stderr="pip: no network")

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(sync_notebooks.setup_source(), "setup-cell", "exec"), {})
    return out.getvalue(), calls


@pytest.mark.parametrize("cuda", [False, True])
def test_set_up_cell_installs_from_the_repository_and_says_so_in_one_line(monkeypatch, cuda):
    printed, calls = run_setup(monkeypatch, 0, cuda)
    source = sync_notebooks.install_source()
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", f"reasonlab @ {source}"]]
    assert printed.count("\n") == 1, printed
    assert f"installed from {source}" in printed
    assert "Colab's own packages kept" in printed and "everything runs on the CPU" in printed
    assert ("a GPU is present but not used" in printed) is cuda


def test_set_up_cell_fails_with_a_message_that_says_what_to_do(monkeypatch):
    with pytest.raises(RuntimeError, match=r"Could not install reasonlab from git\+https://"):
        run_setup(monkeypatch, 1, False)
    with pytest.raises(RuntimeError, match=r"run the notebooks on your own machine"):
        run_setup(monkeypatch, 1, False)


def test_set_up_cell_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip ran outside Colab"))
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(sync_notebooks.setup_source(), "setup-cell", "exec"), {})
    assert out.getvalue() == ""


# ----------------------------------------------------------------------------- the switch


@pytest.mark.parametrize("lab", [chain, reward_explorer, tradeoffs], ids=lambda m: m.NAME)
def test_show_is_static_only_under_the_switch(monkeypatch, lab):
    monkeypatch.setattr(lab, "static", lambda: "static")
    monkeypatch.setattr(lab, "widget", lambda: "live")
    monkeypatch.delenv(static.STATIC_ENV, raising=False)
    assert lab.show() == "live"
    monkeypatch.setenv(static.STATIC_ENV, "1")
    assert lab.show() == "static"
    monkeypatch.setenv(static.STATIC_ENV, "0")
    assert lab.show() == "live"


def test_quiz_show_is_static_only_under_the_switch(monkeypatch):
    monkeypatch.delenv(static.STATIC_ENV, raising=False)
    assert not any(isinstance(x, w.Stack) for x in widgets_in(quiz.show()))
    monkeypatch.setenv(static.STATIC_ENV, "1")
    assert any(isinstance(x, w.Stack) for x in widgets_in(quiz.show()))


def test_notebooks_show_each_lab_and_the_quiz_in_one_cell():
    calls = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                calls += [
                    (path.stem, line.strip())
                    for line in cell.source.splitlines()
                    if line.strip().endswith((".show()", ".static()", ".widget()"))
                ]
    assert sorted(calls) == [
        ("06_lab_reasoning_chain", "chain.show()"),
        ("07_lab_reward_explorer", "reward_explorer.show()"),
        ("08_lab_scaling_tradeoffs", "tradeoffs.show()"),
        ("10_self_check", "rl.quiz.show()"),
    ]


def test_stored_outputs_are_the_static_versions():
    """The project's executor ran the display cells with the switch on: the book shows frames."""
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        state = nb.get("metadata", {}).get("widgets", {})
        models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        if any(".show()" in "".join(c["source"]) for c in nb["cells"]):
            names = {m["model_name"] for m in models.values()}
            assert "StackModel" in names, f"{path.name}: stored lab is not the static one"


# ----------------------------------------------------------------------------- ipywidgets 7


@pytest.mark.parametrize("build", [chain.static, quiz.static], ids=["chain.static", "quiz.static"])
def test_without_stack_static_says_why_in_one_line_and_gives_the_live_version(monkeypatch, build):
    monkeypatch.delattr(w, "Stack")
    out = io.StringIO()
    with redirect_stdout(out):
        view = build()
    # (Outside a kernel the live lab's first frame is printed too: only the first line is ours.)
    lines = out.getvalue().splitlines()
    assert "has no Stack widget" in lines[0] and "showing the live version" in lines[0], lines
    assert sum("live version" in line for line in lines) == 1, lines
    parts = widgets_in(view)
    assert any(isinstance(x, w.Output) for x in parts) or any(
        isinstance(x, w.RadioButtons) for x in parts
    )


def test_with_stack_static_prints_nothing(capsys):
    quiz.static()
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------- links


class FakeDistribution:
    def __init__(self, info: dict | None):
        self.info = info

    def read_text(self, name: str):
        assert name == "direct_url.json"
        return None if self.info is None else json.dumps(self.info)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (
            {"url": "https://github.com/someone/fork", "vcs_info": {"requested_revision": "dev"}},
            "https://colab.research.google.com/github/someone/fork/blob/dev/notebooks/",
        ),
        (
            {"url": "https://github.com/a/b.git", "vcs_info": {"commit_id": "abc123"}},
            "https://colab.research.google.com/github/a/b/blob/abc123/notebooks/",
        ),
        ({"url": "file:///home/me/reasonlab", "dir_info": {"editable": True}}, ""),
        (None, ""),
    ],
)
def test_quiz_links_in_colab_go_to_the_installed_repository(monkeypatch, info, expected):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(quiz.metadata, "distribution", lambda name: FakeDistribution(info))
    assert quiz.colab_notebooks_url() == expected


def test_quiz_links_outside_colab_are_relative(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert quiz.colab_notebooks_url() == ""
    q = quiz.QUESTIONS[1]
    assert 'href="03_star_to_rlvr.ipynb#' in quiz.feedback_html(q, 0)
    assert 'href="03_star_to_rlvr.html#' in quiz.feedback_html(q, 0, ".html")
    base = "https://colab.research.google.com/github/a/b/blob/main/notebooks/"
    linked = quiz.feedback_html(q, 0, ".ipynb", base)
    assert f'href="{base}03_star_to_rlvr.ipynb#' in linked and 'target="_blank"' in linked


def test_live_quiz_in_colab_links_to_colab(monkeypatch):
    base = "https://colab.research.google.com/github/a/b/blob/main/notebooks/"
    monkeypatch.setattr(quiz, "colab_notebooks_url", lambda: base)
    box = quiz.widget()
    radio = next(x for x in widgets_in(box) if isinstance(x, w.RadioButtons))
    radio.index = 0
    texts = [x.value for x in widgets_in(box) if isinstance(x, w.HTML)]
    assert any(f'href="{base}' in t for t in texts)


# ----------------------------------------------------------------------------- dead controls


def test_no_control_of_the_chain_lab_is_dead_in_any_state():
    """From every state of the static grid, moving any one control changes the view."""
    controls = chain.controls(static=True)
    panels = chain.panels()

    def view(params):
        return tuple(p.render(params) for p in panels)

    for params in static.grid(controls, [c.name for c in controls]):
        here = view(params)
        for c in controls:
            for v in c.values:
                if v != params[c.name]:
                    assert view(params | {c.name: v}) != here, (params, c.name, v)


def test_a_chain_without_thinking_says_the_step_slider_has_nothing_to_show():
    art_problems = {(p["domain"], p["difficulty"]) for p in chain.store.load("chain")["problems"]}
    found = False
    for domain, difficulty in sorted(art_problems):
        for checkpoint in chain.store.load("chain")["checkpoints"]:
            params = {"domain": domain, "difficulty": difficulty, "checkpoint": checkpoint}
            data = chain.compute(params | {"step": 3})
            if not data["steps"]:
                found = True
                assert "no thinking steps" in chain.render_chain(data)
                assert "shown: 3." in chain.steps_status(data)
    assert found, "the artifact no longer has a chain without thinking: this test checks nothing"


# ----------------------------------------------------------------------------- a GPU runtime


def test_a_gpu_runtime_changes_nothing(monkeypatch):
    """With CUDA reported available, the policy still loads and samples on the CPU, the same."""
    import torch

    from reasonlab.shipped import zoo
    from reasonlab.world import tasks

    problems = [p.prompt for p in tasks.make("math", 6, seed=0, split="test")]
    plain = zoo.load("base").sample(problems, num_samples=2, seed=0).completions
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    policy = zoo.load("base")
    assert {p.device.type for p in policy.model.parameters()} == {"cpu"}
    assert policy.sample(problems, num_samples=2, seed=0).completions == plain


def test_nothing_in_the_package_picks_a_device():
    """Every tensor stays on the default (CPU) device: no code asks for CUDA."""
    hits = [
        f"{path.relative_to(ROOT)}:{i}"
        for path in (ROOT / "src" / "reasonlab").rglob("*.py")
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if ("cuda" in line or ".to(device" in line or "set_default_device" in line)
        and not line.lstrip().startswith("#")
    ]
    assert hits == [], hits


def test_colab_pins_file_names_every_package_the_set_up_cell_keeps():
    pins = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements-colab.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert set(sync_notebooks.KEPT) <= pins, set(sync_notebooks.KEPT) - pins
    assert Path(ROOT / ".gitignore").read_text().count(".venv-colab/") == 1
