"""The package's imports form no cycle: every module can be read (and loaded) after the ones it
uses. Imports inside functions count (a lazy import is still a dependency); a module's
``if __name__ == "__main__":`` block does not (run as a script, the module is ``__main__``)."""

import ast
from pathlib import Path

import reasonlab

ROOT = Path(reasonlab.__file__).resolve().parent


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_main_guard(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _nodes(tree: ast.Module):
    todo = [n for n in tree.body if not _is_main_guard(n)]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    modules = {_name(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for node in _nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        # The package root only re-exports lazily; importing it is not a dependency on its
        # submodules.
        graph[name] = {d for d in deps if d in modules and d not in (name, "reasonlab")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return path[path.index(d) :] + [d]
            if d not in state and (found := visit(d)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_package_imports_form_no_cycle():
    graph = import_graph()
    assert {"reasonlab.training.rl", "reasonlab.measurement.scaling", "reasonlab.build"} <= set(
        graph
    )
    assert "reasonlab.measurement.estimators" in graph["reasonlab.measurement.sweeps"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


#: The layers, bottom to top (ARCHITECTURE.md): a module imports from its own layer or lower ones.
LAYERS = (
    ("reasonlab.core",),
    ("reasonlab.world",),
    ("reasonlab.verifiers",),
    ("reasonlab.measurement",),
    ("reasonlab.training",),
    ("reasonlab.shipped",),
    ("reasonlab.plots", "reasonlab.labs", "reasonlab.quiz"),
    ("reasonlab.build",),
)
#: Upward imports on purpose, each inside a function: a problem routes itself to its verifier.
ALLOWED_UP = {
    ("reasonlab.world.tasks", "reasonlab.verifiers"),
    ("reasonlab.world.tasks.problem", "reasonlab.verifiers"),
    ("reasonlab.world.tasks.verify", "reasonlab.verifiers"),
}


def layer(module: str) -> int:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS")


def test_every_import_goes_down_the_layers():
    graph = import_graph()
    up = sorted(
        (m, d)
        for m, deps in graph.items()
        if m != "reasonlab"
        for d in deps
        if layer(d) > layer(m)
        and not any(m == a and (d == b or d.startswith(b + ".")) for a, b in ALLOWED_UP)
    )
    assert up == [], "imports up the layers: " + ", ".join(f"{m} -> {d}" for m, d in up)


#: Readable in one screen: the longest function (docstring included) a training or measurement
#: module may hold.
MAX_FUNCTION_LINES = 65


def test_training_and_measurement_functions_fit_on_a_screen():
    long = []
    for folder in ("training", "measurement"):
        for path in sorted((ROOT / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    n = node.end_lineno - node.lineno + 1
                    if n > MAX_FUNCTION_LINES:
                        long.append(f"{folder}/{path.name}:{node.name} ({n} lines)")
    assert long == [], "split these: " + ", ".join(long)
