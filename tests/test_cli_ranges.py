"""Numbers and arguments out of range (issue 16, D5/D11): an id of 10^20, a width of
10^11, a negative count were internal errors (SQLite's integers are 64-bit, a width
allocates); every integer option and argument of every command has a range, and a value
outside it is a usage error (exit 2) naming the option. ``init`` on a file or where
nothing can be created is one line; a reader that closes the output (``| head``) ends
the command quietly."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from qualcode.cli import COMMANDS, app
from qualcode.cli._util import MAX_ID

HUGE = "1" + "0" * 20  # 10^20: beyond SQLite's 64-bit integers


def _commands():
    """(path of words, click command) of every command and sub-command."""
    group = typer.main.get_command(app)
    ctx = type(group).context_class(group)
    out = []

    def walk(cmd, words):
        if hasattr(cmd, "list_commands"):  # a group (typer's own click)
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*words, name])
        else:
            out.append((words, cmd))

    for name in COMMANDS:
        walk(group.get_command(ctx, name), [name])
    return out


def _is_int(annotation) -> bool:
    return annotation is int or int in typing.get_args(annotation)


def _integer_params():
    found = []
    for words, cmd in _commands():
        for param in cmd.params:
            if _is_int(param.type_descriptor.annotation):
                found.append((" ".join(words), cmd, param))
    return found


INTEGERS = _integer_params()


def test_every_integer_parameter_has_a_range_within_sqlite():
    assert len(INTEGERS) >= 10  # the walk found them (ids, widths, counts, seeds, turns)
    unbounded = [f"{name} {p.opts[0] if p.opts else p.name}" for name, _, p in INTEGERS
                 if p.max is None or p.max > MAX_ID or (p.min is not None and p.min < -MAX_ID)]
    assert unbounded == []
    # without a lower bound, the library checks it (a usage error too: the test below)
    assert sorted(f"{name} {p.opts[0]}" for name, _, p in INTEGERS if p.min is None) == [
        "export excerpts --max", "export report --max-excerpts"]


def _argv(name: str, cmd, param, value: str) -> list[str]:
    """The command with ``param`` given ``value`` first (click checks parameters in the
    order they are given, so a missing other argument cannot come first)."""
    if param.opts and param.opts[0].startswith("-"):
        return [*name.split(), param.opts[0], value]
    before = []
    for p in cmd.params:
        if p is param:
            break
        if not (p.opts and p.opts[0].startswith("-")):
            before.append("x")
    return [*name.split(), *before, value]


@pytest.mark.parametrize(("name", "cmd", "param"), INTEGERS,
                         ids=[f"{n} {p.opts[0] if p.opts else p.name}" for n, _, p in INTEGERS])
def test_an_out_of_range_number_is_a_usage_error(name, cmd, param, project, monkeypatch):
    monkeypatch.chdir(project.root)
    runner = CliRunner()
    option = bool(param.opts and param.opts[0].startswith("-"))
    values = [HUGE, str(param.max + 1), "-" + HUGE]
    if param.min is not None:
        values.append(str(param.min - 1))
    for value in values:
        argv = _argv(name, cmd, param, value)
        if param.min is None:  # checked by the library, once the command runs
            argv += ["-o", "out.docx"]
        res = runner.invoke(app, argv, env={"COLUMNS": "200", "NO_COLOR": "1"})
        assert res.exit_code == 2, (name, value, res.output)
        assert "internal error" not in res.output and "Traceback" not in res.output
        if not option and value.startswith("-"):
            assert "No such option" in res.output  # a negative argument reads as an option
        elif param.min is None and value.startswith("-"):
            assert f"{param.opts[0]} must be at least 1" in res.output, res.output
        else:
            assert "Invalid value for" in res.output, res.output


def test_ids_at_the_limit_are_looked_up_not_crashed(cli, project):
    """The largest id SQLite can hold is an ordinary 'not found' (exit 1)."""
    res = cli("memo", "delete", str(MAX_ID))
    assert res.exit_code == 1 and "internal error" not in res.output, res.output
    assert str(MAX_ID) in res.output


def test_init_where_no_project_can_be(tmp_path):
    runner = CliRunner()
    file = tmp_path / "notes.txt"
    file.write_text("mes notes", encoding="utf-8")
    res = runner.invoke(app, ["init", str(file)])
    assert res.exit_code == 1
    assert res.stderr.strip() == f"error: {file} is a file, not a folder: cannot create a project there"
    assert file.read_text(encoding="utf-8") == "mes notes"
    res = runner.invoke(app, ["init", "/proc/qualcode-test"])
    assert res.exit_code == 1 and res.stderr.startswith("error: cannot create a project in /proc/qualcode-test")
    assert len(res.stderr.strip().splitlines()) == 1
    proj = tmp_path / "p"
    assert runner.invoke(app, ["init", str(proj)]).exit_code == 0
    res = runner.invoke(app, ["init", str(proj)])
    assert res.exit_code == 1 and "already" in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="closing a pipe's reading end is POSIX behaviour here")
def test_output_closed_by_its_reader_ends_quietly(project, tmp_path):
    """``qualcode codings --json | head -1`` where head has already gone: no internal error
    (was 'internal error: BrokenPipeError'), exit 1 as rich's own output does."""
    import os

    from helpers import INTERVIEW, write

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "QUALCODE_USER": "tester"}
    write(tmp_path / "e.txt", INTERVIEW * 50)
    assert subprocess.run([sys.executable, "-m", "qualcode", "import", str(tmp_path / "e.txt")], cwd=project.root,
                          env=env, capture_output=True).returncode == 0
    for args in (["docs", "--json"], ["show", "e", "--json"], ["show", "e"], ["--help"]):
        proc = subprocess.Popen([sys.executable, "-m", "qualcode", *args], cwd=project.root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()  # the reader is gone before anything is written
        err = proc.stderr.read().decode()
        proc.stderr.close()
        assert proc.wait() == 1, (args, err)
        assert err == "", (args, err)
