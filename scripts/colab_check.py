"""The Colab-pinned stage of `make test`: the notebooks, run as a Colab user runs them.

Usage: python scripts/colab_check.py        (from the project's .venv; `make colab` does it)

1. A virtual environment pinned to Colab's default runtime (``requirements-colab.txt``), kept in
   ``.venv-colab/`` (or ``$REASONLAB_COLAB_VENV``) and rebuilt only when that file changes (its
   hash is the cache key) or a failed run left it changed.
2. A local clone of this checkout as it is (tracked and new files, uncommitted changes included),
   installed the way the notebooks' set-up cell installs it: the set-up cell itself is run, with
   ``google.colab`` stubbed in and its ``git+https://...`` address swapped for ``git+file://`` of
   the clone. Fails if that changes, adds or removes any package other than reasonlab itself
   (``pip freeze`` before and after).
3. Every notebook executed top to bottom by a kernel of that environment, in an empty temporary
   working directory, with the set-up cell skipped and ``REASONLAB_STATIC_WIDGETS`` unset (as in
   Colab). Fails on any error, or if a lab's or the quiz's ``show()`` cell displays no widget
   (a view whose model, or any model it refers to, has no state).
4. The same ``show()`` cells once more with ``REASONLAB_STATIC_WIDGETS=1`` (the book's way): on
   Colab's ipywidgets 7 they must fall back to the live version, saying so in one line, and not
   crash.

The runner (nbclient) is the project's .venv; only the kernel runs in the pinned environment, so
nothing is added to Colab's package set. Prints the time of each step and each notebook's CPU time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import sync_notebooks  # noqa: E402  (scripts/, beside this file)
from reasonlab_sphinx import STATE_MIME, VIEW_MIME, missing_widget_models  # noqa: E402

PINS = ROOT / "requirements-colab.txt"
#: The cached environment; REASONLAB_COLAB_VENV moves it (e.g. to a folder that outlives clones).
VENV = Path(os.environ.get("REASONLAB_COLAB_VENV", ROOT / ".venv-colab")).resolve()
STAMP = VENV / ".pins-sha1"
BASELINE = VENV / ".pins-freeze.json"  # what the pins installed: a later change means "rebuild"
PY = VENV / "bin" / "python"
KERNEL = "reasonlab-colab-pinned"
STATIC_ENV = "REASONLAB_STATIC_WIDGETS"
#: A lab's or the quiz's display cell, and the name it shows.
DISPLAY = re.compile(
    r"^(?:rl\.)?(?P<name>quiz|chain|reward_explorer|tradeoffs)\.show\(\)\s*$", re.MULTILINE
)
EXPECTED = {"chain", "reward_explorer", "tradeoffs", "quiz"}
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BOOK_MODE = f"show() with {STATIC_ENV}=1"
FALLBACK = "showing the live version instead of the kernel-free one"
TICKS = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(f"colab: {msg}", flush=True)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, text=True, **kw)


def ensure_venv() -> str:
    """The pinned environment: reused if built from the same pins file and still holding exactly
    what they installed (a failed run may have left an upgrade behind), else built afresh."""
    key = hashlib.sha1(PINS.read_bytes() + sys.version.encode()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == key:
        run([PY, "-m", "pip", "uninstall", "-y", "-q", "reasonlab"], stderr=subprocess.DEVNULL)
        if BASELINE.exists() and json.loads(BASELINE.read_text()) == freeze():
            return "warm (cached, pins unchanged)"
    shutil.rmtree(VENV, ignore_errors=True)
    run([sys.executable, "-m", "venv", "--clear", VENV])
    run([PY, "-m", "pip", "install", "--quiet", "-r", PINS], stderr=subprocess.DEVNULL)
    BASELINE.write_text(json.dumps(freeze(), indent=1, sort_keys=True) + "\n")
    STAMP.write_text(key + "\n")
    return "built afresh"


def freeze() -> dict[str, str]:
    out = run([PY, "-m", "pip", "freeze"], capture_output=True).stdout
    pkgs = {}
    for line in out.splitlines():
        name = re.split(r"\s*(?:==|@)\s*", line, maxsplit=1)[0]
        pkgs[re.sub(r"[-_.]+", "-", name).lower()] = line
    return pkgs


def snapshot(dest: Path) -> Path:
    """A git repository holding this checkout's files as they are now (a local clone of it)."""
    names = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
    ).stdout.split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():  # a tracked file deleted in the work tree is left out, as in the tree
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git = ["git", "-c", "user.name=colab-check", "-c", "user.email=colab-check@localhost"]
    run(["git", "init", "-q", dest])
    run([*git, "-C", dest, "add", "-A"])
    run([*git, "-C", dest, "commit", "-q", "-m", "snapshot for the Colab-pinned stage"])
    return dest


def setup_cell() -> str:
    """The set-up cell, which must be the same in every notebook."""
    sources = {p.name: nbformat.read(p, as_version=4).cells[0].source for p in NOTEBOOKS}
    if len(set(sources.values())) != 1:
        raise SystemExit("colab: FAIL the set-up cell differs between notebooks (sync_notebooks)")
    return next(iter(sources.values()))


def kernel_env(tmp: Path) -> dict[str, str]:
    """The environment of Colab-like processes: the pinned venv first on PATH, no static switch."""
    env = dict(os.environ)
    env.pop(STATIC_ENV, None)
    env.pop("VIRTUAL_ENV", None)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))]
    env["PATH"] = os.pathsep.join([str(VENV / "bin"), *path])
    env["JUPYTER_PATH"] = str(tmp / "jupyter")
    return env


def install(clone: Path, tmp: Path, env: dict[str, str]) -> str:
    """Run the set-up cell against the clone; returns what it printed."""
    cell = setup_cell()
    official = f'_source = "{sync_notebooks.install_source()}"'
    if cell.count(official) != 1:
        raise SystemExit(f"colab: FAIL the set-up cell does not contain {official}")
    cell = cell.replace(official, f'_source = "git+file://localhost{clone}"')
    stub = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    work = tmp / "setup-cwd"
    work.mkdir()
    done = subprocess.run(
        [str(PY), "-c", stub + cell], cwd=work, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("colab: FAIL the set-up cell failed")
    return done.stdout.strip()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it waited for (a sandboxed judge, say)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS


async def execute(nb, workdir: Path) -> tuple[float, float, str | None]:
    """Run ``nb`` in place with the pinned kernel; (wall s, CPU s, error or None)."""
    cpu = [0.0]
    client = NotebookClient(
        nb,
        timeout=300,  # per cell; the longest takes seconds, so this only catches a hang
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(workdir)}},
        store_widget_state=True,
        skip_cells_with_tag="skip-execution",
    )

    def measure(**_kw) -> None:
        cpu[0] = cpu_seconds(client.km.provisioner.process.pid)

    client.on_cell_executed = measure
    start = time.perf_counter()
    error = None
    try:
        await client.async_execute()
    except CellExecutionError as e:
        error = re.sub(r"\x1b\[[0-9;]*m", "", str(e).strip().splitlines()[-1])
    return time.perf_counter() - start, cpu[0], error


async def execute_all(jobs: list, tmp: Path, parallel: int = 2) -> list:
    """Execute every notebook of ``jobs`` (name, nb), ``parallel`` at a time (2 cores)."""
    gate = asyncio.Semaphore(parallel)

    async def one(nb):
        async with gate:
            return await execute(nb, Path(tempfile.mkdtemp(prefix="cwd-", dir=tmp)))

    return await asyncio.gather(*(one(nb) for _, nb in jobs))


def widget_problems(nb, where: str) -> tuple[set[str], list[str]]:
    """The labs and quiz that ``nb`` shows, and what is wrong with their widgets."""
    shown, problems = set(), []
    state = nb.metadata.get("widgets", {}).get(STATE_MIME, {}).get("state", {})
    for cell in nb.cells:
        m = DISPLAY.search(cell.source) if cell.cell_type == "code" else None
        if not m:
            continue
        shown.add(m["name"])
        views = [o["data"][VIEW_MIME] for o in cell.outputs if VIEW_MIME in o.get("data", {})]
        if not views:
            problems.append(f"{where}: `{m[0].strip()}` displayed no widget")
            continue
        model = state.get(views[0]["model_id"], {})
        if not model.get("state", {}).get("children"):
            problems.append(f"{where}: `{m[0].strip()}` displayed an empty or unsaved widget")
    missing = missing_widget_models(nb)
    if missing:
        problems.append(f"{where}: widget models without state: {missing[:5]}")
    return shown, problems


def book_mode_notebook():
    """The display cells run the book's way (the static switch on) in the pinned kernel."""
    cells = [
        f'import os\nos.environ["{STATIC_ENV}"] = "1"\nimport reasonlab as rl\n'
        "from reasonlab.labs import chain, reward_explorer, tradeoffs",
        "chain.show()",
        "reward_explorer.show()",
        "tradeoffs.show()",
        "rl.quiz.show()",
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])


def main() -> int:
    t0 = time.perf_counter()
    failures: list[str] = []
    state = ensure_venv()
    log(f"pinned environment {VENV.name}: {state} in {time.perf_counter() - t0:.0f} s")
    with tempfile.TemporaryDirectory(prefix="reasonlab-colab-") as tmpname:
        tmp = Path(tmpname)
        spec = tmp / "jupyter" / "kernels" / KERNEL
        spec.mkdir(parents=True)
        argv = [str(PY), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "Colab pinned", "language": "python"})
        )
        env = kernel_env(tmp)
        before = freeze()
        t1 = time.perf_counter()
        clone = snapshot(Path(tempfile.mkdtemp(prefix="clone-", dir=tmp)))
        printed = install(clone, tmp, env)
        log(f"set-up cell ({time.perf_counter() - t1:.0f} s) printed: {printed}")
        after = freeze()
        # Colab's own packages must stay as they are; packages it lacks (reasonlab's own
        # dependencies, such as math-verify) may be added, and are named in the log.
        changed = sorted(
            f"{before[k]} -> {after.get(k, '(removed)')}"
            for k in before
            if k != "reasonlab" and before[k] != after.get(k)
        )
        added = sorted(after[k] for k in set(after) - set(before) if k != "reasonlab")
        log("the install added " + (", ".join(added) if added else "nothing else"))
        if "reasonlab" not in after:
            failures.append("the set-up cell did not install reasonlab")
        if changed:
            failures.append("installing reasonlab changed Colab's packages: " + "; ".join(changed))
        if failures:  # not Colab's set any more: running the notebooks would prove nothing
            for f in failures:
                print(f"colab: FAIL {f}", file=sys.stderr)
            return 1

        os.environ.clear()  # the kernel manager starts kernels with this environment
        os.environ.update(env)
        jobs = [(p.name, nbformat.read(p, as_version=4)) for p in NOTEBOOKS]
        jobs.append((BOOK_MODE, book_mode_notebook()))
        t2 = time.perf_counter()
        results = asyncio.run(execute_all(jobs, tmp))
        shown: set[str] = set()
        for (name, nb), (wall, cpu, error) in zip(jobs, results, strict=True):
            log(f"{name}: {wall:5.1f} s wall, {cpu:5.1f} s CPU" + f"  ERROR {error}" * bool(error))
            if error:
                failures.append(f"{name}: {error}")
            names, problems = widget_problems(nb, name)
            failures += problems
            if name != BOOK_MODE:
                shown |= names
        log(
            f"notebooks: {time.perf_counter() - t2:.0f} s wall, two at a time; "
            f"{sum(r[1] for r in results):.0f} s CPU in all"
        )
        if shown != EXPECTED:
            failures.append(f"display cells found for {sorted(shown)}, expected {sorted(EXPECTED)}")
        pinned_widgets = after.get("ipywidgets", "")
        if pinned_widgets.startswith("ipywidgets==7"):
            for cell in jobs[-1][1].cells[1:]:
                text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                if text.count(FALLBACK) != 1:
                    failures.append(f"`{cell.source}` on {pinned_widgets}: no fallback line")
                else:
                    log(f"`{cell.source}` on {pinned_widgets}: {text.strip()}")

    log(f"stage took {time.perf_counter() - t0:.0f} s")
    for f in failures:
        print(f"colab: FAIL {f}", file=sys.stderr)
    if failures:
        return 1
    log("passed: the set-up cell keeps Colab's packages, every notebook runs, every lab shows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
