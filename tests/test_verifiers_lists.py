"""The sympy guard (in the verifier's process) and the sympy worker (a separate process) keep
their own copies of the allowed function and constant names: the guard lets through only
what the worker can rebuild, and the worker rebuilds nothing the guard would have refused.
The LaTeX translation produces only names the guard allows."""

from reasonlab.verifiers import latex_python, sympy_worker


def test_guard_and_worker_allow_the_same_functions_and_constants():
    assert set(latex_python.FUNCS) == set(sympy_worker.FUNCS)
    assert set(latex_python.CONSTS) == set(sympy_worker.CONSTS)


def test_latex_functions_translate_to_allowed_names():
    assert set(latex_python._LATEX_FUNCS.values()) <= latex_python.FUNCS
