"""The library's import graph: no cycles (imports inside functions and TYPE_CHECKING blocks
count too), and streamlit only under playground/ui/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "playground"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _absolute(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of `from <node.module> import ...` written inside `module`."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def imports_of(module: str) -> set[str]:
    """Every module this one imports anywhere in its source (absolute names)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            # `from . import x`: x may be a submodule, else a name defined in the package
            subs = {f"{source}.{a.name}" for a in node.names} & set(MODULES)
            found.update(subs or {source})
    return found


def graph() -> dict[str, set[str]]:
    return {m: {i for i in imports_of(m) if i in MODULES and i != m} for m in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_parser_sees_function_level_and_type_checking_imports(tmp_path):
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .train import Run\n"
              "def f():\n    from ..nn import model\n    import torch\n")
    MODULES["playground.probe.mod"] = tmp_path / "mod.py"
    (tmp_path / "mod.py").write_text(source)
    try:
        assert imports_of("playground.probe.mod") >= {"playground.probe.train", "torch",
                                                      "playground.nn.model"}
    finally:
        del MODULES["playground.probe.mod"]


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert len(MODULES) > 30
    assert cycles(graph()) == []


def test_streamlit_only_under_ui():
    outside = [m for m in MODULES if not m.startswith("playground.ui")
               and any(i.split(".")[0] == "streamlit" for i in imports_of(m))]
    assert outside == []


def test_the_lesson_imports_only_numpy():
    assert {i.split(".")[0] for i in imports_of("playground.scratch.mlp")} <= {"numpy",
                                                                              "__future__"}
