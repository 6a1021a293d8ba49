"""The test suite's own rules: test modules share code through tests/helpers only, and no
test skips itself because of something that is always there."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MODULES = sorted(TESTS.glob("test_*.py"))


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_modules_import_helpers_not_conftest_or_each_other():
    assert len(MODULES) > 30
    wrong = {p.name: sorted(m for m in imported_modules(p)
                            if m.split(".")[0] in {"conftest", "tests"} or m.split(".")[0].startswith("test_"))
             for p in MODULES}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_no_skip_on_what_is_always_there():
    """A skipped test cannot fail: only a platform may skip one (the dependencies and the
    sample transcripts are always there; helpers.sample fails if a sample is missing)."""
    found = []
    for path in MODULES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Attribute) and node.attr in {"skip", "importorskip", "skipif", "xfail"}:
                line = lines[node.lineno - 1].strip()
                if not (node.attr == "skipif" and "sys.platform" in line):
                    found.append(f"{path.name}:{node.lineno}: {line}")
    assert found == []
