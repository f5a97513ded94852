"""The project's notebook executor: the kernel sees the switches the executor sets (the labs'
static-or-live switch, strict artifacts), and outputs are written into the notebook."""

import importlib.util
import sys

import nbformat
from conftest import ROOT


def _executor():
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", ROOT / "scripts" / "execute_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["execute_notebooks"] = module
    spec.loader.exec_module(module)
    return module


def test_kernel_gets_the_executors_environment(tmp_path, monkeypatch):
    ex = _executor()
    monkeypatch.delenv("REASONLAB_ARTIFACTS", raising=False)
    monkeypatch.setenv("REASONLAB_FROM_CALLER", "caller")
    code = (
        "import os\n"
        "print(os.environ['REASONLAB_ARTIFACTS'], os.environ['REASONLAB_FROM_CALLER'],"
        " os.environ['REASONLAB_SWITCH'])"
    )
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
    ex.execute(path, timeout=120, env={"REASONLAB_SWITCH": "static"})
    out = nbformat.read(path, as_version=4).cells[0].outputs
    assert out[0]["text"] == "strict caller static\n"
    assert ex.kernel_env({"REASONLAB_ARTIFACTS": "off"})["REASONLAB_ARTIFACTS"] == "off"
