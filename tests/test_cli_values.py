"""Command-line values converted without pydantic (:mod:`qualcode.cli._coerce`): for every
option and argument of every command, the plain converter gives what typer's own gives
(the same value and type, or the same error), and typer's is not even built for plain
values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
import typer.core
from typer._click.exceptions import BadParameter
from typer.testing import CliRunner

from qualcode.cli import COMMANDS, _load, app
from qualcode.cli._coerce import PlainValues, converter

ROOT = Path(__file__).resolve().parent.parent

TEXTS = ["", "a", "identity/mining_memory", "Mémoire ouvrière", "x\udcff", "0", "7", "007", "+3", "-3", " 4",
         "4 ", "1_000", "12345678901234567890", "999999999999999999", "1.5", "١٢", "nan", "true", "no",
         "/tmp/x", "a\0b", "~/x", "-", "a,b"]
OTHERS = [3, 0, -1, True, False, 2.5, Path("x.csv"), b"bytes", ("a", "b"), ["a"], (), ("a", 1), ("é", "x\udcff")]


def _params():
    """(command path, click command, parameter) for every typer parameter of every command."""
    out = []

    def walk(path: str, cmd) -> None:
        for p in cmd.params:
            if isinstance(p, typer.core._TyperParameter):
                out.append((path, cmd, p))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(f"{path} {name}", sub)

    for name, (module, _) in COMMANDS.items():
        walk(name, _load(name, module))
    return out


def _outcome(conv, v, p, ctx):
    try:
        v = conv.coerce(v, param=p, ctx=ctx)
    except BadParameter as exc:
        return ("error", type(exc).__name__, exc.format_message())
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("ok", type(v).__name__, [type(x).__name__ for x in v] if isinstance(v, (list, tuple)) else None, v)


def test_plain_values_are_what_typer_makes_of_them():
    build = typer.core.build_runtime_param
    assert build.plain_first  # installed by qualcode.cli
    params = _params()
    assert len(params) > 300
    kinds, compared = set(), 0
    for path, cmd, p in params:
        convert = converter(p.type_descriptor)
        if convert is None:
            continue
        kinds.add(repr(p.type_descriptor.annotation))
        ctx = cmd.context_class(cmd, info_name=path)
        ours = PlainValues(p.type_descriptor, convert, build.__wrapped__)
        theirs = build.__wrapped__(p.type_descriptor)  # typer's own
        multi = p.multiple or p.nargs == -1
        values = [None, *TEXTS, *OTHERS] + ([tuple(TEXTS[:3]), tuple(TEXTS[3:5]), tuple(TEXTS)] if multi else [])
        for v in values:
            a, b = _outcome(ours, v, p, ctx), _outcome(theirs, v, p, ctx)
            assert a == b, f"{path} {p.name}: {v!r}"
            compared += 1
    assert kinds == {"<class 'str'>", "<class 'bool'>", "<class 'int'>", "<class 'pathlib.Path'>", "list[str]"}
    assert compared > 10_000


def test_plain_values_need_no_typer_converter():
    """Plain values never build typer's converter (the point: no pydantic)."""
    build = typer.core.build_runtime_param
    plain = {"<class 'str'>": ["identity", "Mémoire"], "<class 'int'>": [], "<class 'pathlib.Path'>": ["out.csv"],
             "list[str]": [("a", "b"), ()], "<class 'bool'>": [True, False]}
    for path, cmd, p in _params():
        convert = converter(p.type_descriptor)
        if convert is None:
            continue
        ctx = cmd.context_class(cmd, info_name=path)
        ours = PlainValues(p.type_descriptor, convert, build)
        info = p.type_descriptor.parameter_info
        values = list(plain[repr(p.type_descriptor.annotation)])
        if p.type_descriptor.annotation is int:
            values += [v for v in (info.min, info.max) if v is not None] or [5]
        for v in [None, *values]:
            ours.coerce(v, param=p, ctx=ctx)
        assert ours._typer is None, f"{path} {p.name}"


def test_a_command_runs_without_pydantic(tmp_path):
    """``qualcode docs`` in a fresh process: its values converted, pydantic never imported."""
    code = ("import sys\nfrom qualcode.cli import main\n"
            f"sys.argv = ['qualcode', 'init', {str(tmp_path / 'p')!r}, '--name', 'x']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"sys.argv = ['qualcode', 'docs', '--project', {str(tmp_path / 'p')!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pydantic' in sys.modules, file=sys.stderr)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"})
    assert res.stderr.strip().splitlines()[-1] == "False", res.stderr


def test_errors_stay_typers(tmp_path):
    """A value that is not plain gets typer's own message (through pydantic)."""
    res = CliRunner().invoke(app, ["report", "words", "--top", "abc", "--project", str(tmp_path)],
                             env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert res.exit_code == 2
    assert "Invalid value for '--top'" in res.output and "valid integer" in res.output
    res = CliRunner().invoke(app, ["report", "words", "--top", "0", "--project", str(tmp_path)],
                             env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert res.exit_code == 2
    assert "greater than or equal to 1" in res.output
