"""The import graph of qualcode's own modules, read from the source (AST).

An edge ``a -> b`` means module ``a`` imports ``b`` when it runs — at its top or inside a
function (a function-level import is a dependency too, only a hidden one). Imports under
``if TYPE_CHECKING:`` are for annotations only and make no edge."""

from __future__ import annotations

import ast
from pathlib import Path


def _module_names(root: Path) -> dict[str, Path]:
    names = {}
    for path in (root / "qualcode").rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Imports(ast.NodeVisitor):
    """Collects (module imported, line, in a function?, source) for one module."""

    def __init__(self, name: str, is_package: bool, modules: dict[str, Path]):
        self.name, self.is_package, self.modules = name, is_package, modules
        self.depth = 0
        self.found: list[tuple[str, int, bool, str]] = []

    def _resolve(self, dotted: str) -> str | None:
        while dotted and dotted not in self.modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for stmt in node.orelse:
                self.visit(stmt)
            return
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def _add(self, target: str | None, node: ast.stmt) -> None:
        if target and target != self.name:
            self.found.append((target, node.lineno, self.depth > 0, ast.unparse(node)))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "qualcode":
                self._add(self._resolve(alias.name), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        if base.split(".")[0] != "qualcode":
            return
        for alias in node.names:
            full = f"{base}.{alias.name}"
            self._add(full if full in self.modules else self._resolve(base), node)


def _scan(root: Path) -> dict[str, list[tuple[str, int, bool, str]]]:
    modules = _module_names(root)
    out = {}
    for name, path in modules.items():
        visitor = _Imports(name, path.name == "__init__.py", modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        out[name] = visitor.found
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the qualcode modules it imports at run time."""
    return {name: {target for target, *_ in found} for name, found in _scan(root).items()}


def own_imports_in_functions(root: Path) -> list[str]:
    """``path:line: statement`` for each import of a qualcode module inside a function."""
    modules = _module_names(root)
    out = []
    for name, found in _scan(root).items():
        rel = modules[name].relative_to(root).as_posix()
        out += [f"{rel}:{line}: {source}" for _, line, in_function, source in found if in_function]
    return sorted(set(out))


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected groups of more than one module, sorted
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return sorted(groups)
