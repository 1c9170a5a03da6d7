"""The import structure (issue 25): import-linter's contracts in pyproject.toml hold, and desktop_app's import graph
has no cycle. The graph counts every import, those written inside functions too: an import moved into a function
to dodge a circle still closes it here."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "desktop_app"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the modules of the package it imports (anywhere in its code)."""
    files = {module_name(p, package.parent): p for p in package.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else [])) \
                    if node.level else node.module or ""
                for alias in node.names:  # `from . import jobs` imports a module; `from .x import f`, module x
                    full = f"{base}.{alias.name}"
                    found.add(full if full in files else base)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 100 and "desktop_app.core.artifacts.manifest" in graph["desktop_app.core.artifacts.adapters"]
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_an_import_inside_a_function(tmp_path):
    package = tmp_path / "desktop_app"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "core" / "a.py").write_text("from . import b\n")
    (package / "core" / "b.py").write_text("def f():\n    from .c import g\n")
    (package / "core" / "c.py").write_text("from desktop_app.core.a import x\n")
    assert cycles(import_graph(package)) == [["desktop_app.core.a", "desktop_app.core.b", "desktop_app.core.c"]]


def test_the_import_contracts_hold():
    """pyproject.toml's [tool.importlinter] contracts: the core's sub-packages in layers; the core imports no Qt and
    no app; the window and the command line stand on the core and never import each other."""
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert linter, "import-linter is a test dependency (pip install -e '.[test]')"
    done = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def unexplained_imports_inside_functions(package: Path = PACKAGE) -> list[str]:
    """Imports of desktop_app's own modules written inside a function without the comment that says why (the line
    above their block starts "# here, not at the top:", as in "these load pandas and numpy (start-up speed)")."""
    found = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        tree = ast.parse(text)
        inside = {sub.lineno: sub for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for sub in ast.walk(node) if isinstance(sub, ast.ImportFrom)
                  and (sub.level or (sub.module or "").startswith("desktop_app"))}
        ends = {node.end_lineno for node in inside.values()}
        for line, node in sorted(inside.items()):
            first = line
            while first - 1 in ends:  # the first import of its block
                first = min(n.lineno for n in inside.values() if n.end_lineno == first - 1)
            if not lines[first - 2].strip().startswith("# here, not at the top:"):
                found.append(f"{path.relative_to(package.parent)}:{line}")
    return found


def test_an_import_inside_a_function_says_why():
    """No import sits in a function to dodge a circle: those left load a heavy library at import (start-up speed)
    and say so; the rest are at the top, where the graph above checks them."""
    assert unexplained_imports_inside_functions() == []


def test_the_check_finds_an_unexplained_import_inside_a_function(tmp_path):
    package = tmp_path / "desktop_app"
    package.mkdir()
    (package / "a.py").write_text("def f():\n    # here, not at the top: these load pandas (start-up speed)\n"
                                  "    from .b import x\n    from .c import (y,\n        z)\n\n\n"
                                  "def g():\n    from .b import x\n")
    assert unexplained_imports_inside_functions(package) == ["desktop_app/a.py:9"]
