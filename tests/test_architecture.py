"""The shape of the house, checked: SQL only in ``qualcode/store/``, no import cycle
among qualcode's modules, own imports at module tops (heavy libraries deferred).

These read the source (AST), so they fail on the commit that breaks the rule, naming the
file and line, rather than on some later behaviour."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from helpers.imports import import_graph, own_imports_in_functions, strongly_connected
from helpers.reports import build

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qualcode"
STORE = PACKAGE / "store"
SQL_METHODS = {"execute", "executemany", "executescript"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_store_issues_sql():
    offenders = []
    for path in _modules():
        if STORE in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (node.attr in SQL_METHODS or node.attr == "conn"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
                if "sqlite3" in names:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports sqlite3")
    assert offenders == [], "SQL outside qualcode/store/:\n" + "\n".join(offenders)


def test_no_import_cycle_between_qualcode_modules():
    graph = import_graph(ROOT)
    cycles = strongly_connected(graph)
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


# The one own import kept inside a function, on purpose: ``from qualcode import Project``
# loads the facade (and with it the whole library) only when asked, so that the command
# line's --help and the NLP worker processes stay light.
DELIBERATELY_LAZY = {"qualcode/__init__.py:21: from qualcode.project import Project"}


def test_own_imports_at_module_top():
    """Imports of qualcode's own modules sit at module tops, so that a module's header
    says what it depends on (heavy third-party imports may stay in functions: see below)."""
    found = [f for f in own_imports_in_functions(ROOT) if f not in DELIBERATELY_LAZY]
    assert found == [], "qualcode imports inside functions:\n" + "\n".join(found)


# Imported inside the functions that need them, so that start-up stays fast (numpy: about
# 50 ms, more than all of qualcode.store; spaCy: seconds).
HEAVY = ("spacy", "pandas", "numpy", "matplotlib", "docx", "openpyxl", "sklearn", "statsmodels",
         "krippendorff", "scipy")


def test_importing_the_library_loads_no_heavy_library():
    """With own imports at module tops, importing any library module imports a large part
    of the library: none of it may import a heavy library at its top."""
    names = []
    for path in _modules():
        if path.name == "__main__.py":
            continue
        names.append(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n    importlib.import_module(name)\n"
            f"print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == []


def test_the_checker_sees_a_cycle_and_sql(tmp_path):
    """The checks above can fail: a made-up package with a cycle and a stray execute."""
    pkg = tmp_path / "qualcode"
    (pkg / "store").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "store" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from qualcode import b\n")
    (pkg / "b.py").write_text("def f():\n    from qualcode.a import x\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from qualcode import a\n")
    graph = import_graph(tmp_path)
    assert strongly_connected(graph) == [["qualcode.a", "qualcode.b"]]
    assert "qualcode.a" not in graph["qualcode.c"]  # typing-only imports are no dependency
    assert own_imports_in_functions(tmp_path) == ["qualcode/b.py:2: from qualcode.a import x"]


# The everyday commands and the libraries they must not import (issue 17: their start-up
# is most of their time). pydantic is typer's, for values that are not plain
# (qualcode.cli._coerce); numpy is allowed to kwic only (it reads the token tables). The
# commands open a ProjectCore: the facade qualcode.project imports the whole library
# (import, REFI-QDA, the exporters), about a fifth of a light command's CPU time.
# rich.progress: only commands with long work draw a progress bar (docs and show still load
# it with the import command's module).
LIGHT_COMMANDS = {
    ("--help",): (),
    ("docs",): ("rich.progress",),
    ("show", "alice"): ("rich.progress",),
    ("codings", "--code", "identity"): (),
    ("report", "freq", "--by", "group"): (),
    ("report", "cooccurrence"): (),
    ("report", "matrix", "--cols", "group"): (),
    ("report", "freq", "--by", "group", "--format", "csv"): (),
    ("agreement", "--coders", "rules,camille"): (),
    ("kwic", "musée"): ("numpy",),
}
NOT_ON_LIGHT_PATHS = (*HEAVY, "pydantic", "qualcode.project", "rich.progress")


def test_everyday_commands_import_no_heavy_library(tmp_path):
    """Each light command in a fresh process on a coded project (annotated by autocode):
    it succeeds and imports none of the heavy libraries."""
    build(tmp_path / "p", tmp_path)
    code = ("import sys\nfrom qualcode.cli import main\nsys.argv = ['qualcode', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print(' '.join(sorted(m for m in {NOT_ON_LIGHT_PATHS!r} if m in sys.modules)), file=sys.stderr)\n")
    found = {}
    for args, allowed in LIGHT_COMMANDS.items():
        res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                             cwd=tmp_path / "p", env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
        assert res.returncode == 0, (args, res.stderr)
        loaded = res.stderr.strip().splitlines()[-1].split() if res.stderr.strip() else []
        found[" ".join(args)] = [m for m in loaded if m not in allowed]
    assert found == {" ".join(a): [] for a in LIGHT_COMMANDS}
