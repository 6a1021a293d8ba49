"""The command modules of ``qualcode.cli``: what the root command knows of them without
loading them (:data:`qualcode.cli.COMMANDS`) is what they define, and ``qualcode --help``
loads none of them."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import typer
from helpers.imports import own_imports_in_functions
from typer.testing import CliRunner

from qualcode.cli import COMMANDS, _load, app

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_is_known_with_its_module_and_help():
    for module in sorted({m for m, _ in COMMANDS.values()}):
        importlib.import_module(f"qualcode.cli.{module}")
    defined = {c.name: c.callback.__module__ for c in app.registered_commands}
    for group in app.registered_groups:
        callbacks = [c.callback for c in group.typer_instance.registered_commands]
        if group.typer_instance.registered_callback:
            callbacks.append(group.typer_instance.registered_callback.callback)
        defined[group.name] = callbacks[0].__module__
    assert defined == {name: f"qualcode.cli.{module}" for name, (module, _) in COMMANDS.items()}

    group = typer.main.get_command(app)
    ctx = type(group).context_class(group)
    for name, (_, short_help) in COMMANDS.items():
        cmd = group.get_command(ctx, name)
        assert not cmd.hidden and not cmd.deprecated and not cmd.short_help, name
        first = inspect.cleandoc(cmd.help or "").split("\n\n")[0].strip()
        assert short_help == first, f"COMMANDS[{name!r}] is not the first paragraph of its help"


def _listing_in_a_fresh_process() -> tuple[str, list[str]]:
    """``qualcode --help`` and the qualcode modules it loaded."""
    code = ("import sys\nfrom qualcode.cli import main\nsys.argv = ['qualcode', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('qualcode')), file=sys.stderr)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"})
    return res.stdout, ast.literal_eval(res.stderr)


def test_help_loads_no_command_module():
    listing, loaded = _listing_in_a_fresh_process()
    # today: qualcode, .cli, .cli._terminal (the console of the error line: rich only), .cli._coerce
    # (values converted without pydantic), .errors, .sheets
    assert [m for m in loaded if m.startswith("qualcode.cli.") and m not in ("qualcode.cli._terminal",
                                                                             "qualcode.cli._coerce")] == []
    names = [line.split()[1] for line in listing.splitlines()
             if line.startswith("│ ") and line[2] not in " -"]
    assert names == list(COMMANDS)


def test_the_listing_is_the_same_as_with_every_module_loaded():
    lazy, _ = _listing_in_a_fresh_process()
    for module in {m for m, _ in COMMANDS.values()}:
        importlib.import_module(f"qualcode.cli.{module}")  # typer now builds every command up front
    res = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    assert res.output == lazy


def test_a_mistyped_command_gets_a_suggestion():
    res = CliRunner().invoke(app, ["imprt"], env={"COLUMNS": "120"})
    assert res.exit_code == 2
    assert "No such command 'imprt'. Did you mean 'import'?" in res.output


def test_command_modules_import_qualcode_at_their_top():
    assert [x for x in own_imports_in_functions(ROOT) if x.startswith("qualcode/cli/")] == []


def test_a_group_builds_only_the_subcommand_that_runs():
    """``qualcode report freq`` builds ``freq`` alone (typer reads the signature and type
    hints of each command it builds); the group's help and each subcommand are what typer
    builds for the whole group at once."""
    root = typer.main.get_command(app)
    ctx = type(root).context_class(root)
    for name in ("report", "codebook", "pseudo"):
        group = _load(name, COMMANDS[name][0])  # as the root loads it on `qualcode NAME ...`
        info = next(g for g in app.registered_groups if g.name == name)
        eager = typer.main.get_group_from_info(
            info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands)
        names = list(eager.commands)
        assert list(group.commands) == names and len(names) > 2
        first = group.get_command(ctx, names[0])
        assert list(group.commands._built) == [names[0]]  # the others not built
        assert group.get_command(ctx, "nosuch") is None
        sub_ctx = type(group).context_class(group, info_name=name, parent=ctx)
        assert group.get_help(sub_ctx) == eager.get_help(type(eager).context_class(eager, info_name=name, parent=ctx))
        for n in names:
            lazy_cmd, eager_cmd = group.commands[n], eager.commands[n]
            assert _shape(lazy_cmd) == _shape(eager_cmd), n
            assert (lazy_cmd.get_help(type(lazy_cmd).context_class(lazy_cmd, info_name=n, parent=sub_ctx))
                    == eager_cmd.get_help(type(eager_cmd).context_class(eager_cmd, info_name=n, parent=sub_ctx))), n
        assert first is group.commands[names[0]]


def _shape(cmd) -> list:
    return [cmd.name, *[(type(p).__name__, p.name, tuple(p.opts), tuple(p.secondary_opts), repr(p.default),
                         p.required, p.multiple) for p in cmd.params]]
