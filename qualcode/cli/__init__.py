"""Command-line interface: thin typer commands over the qualcode library.

Each command module registers its commands on ``app``. Errors: a
:class:`~qualcode.errors.QualcodeError` becomes one line on stderr and its exit code
(1, or 2 for usage); anything unexpected becomes one line too, with the traceback only
under ``--debug`` (or ``QUALCODE_DEBUG=1``). Ctrl-C exits with 130; the project is left
as it was because every command writes inside one transaction.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import Abort, Exit, TyperException
from typer.core import TyperGroup

from qualcode import __version__
from qualcode.errors import QualcodeError

_state = {"debug": bool(os.environ.get("QUALCODE_DEBUG"))}


def _err(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}")


class QualcodeGroup(TyperGroup):
    """Runs subcommands with qualcode's error policy (also under click's CliRunner)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):
            raise
        except QualcodeError as exc:
            from qualcode.sheets import SheetProblems

            if isinstance(exc, SheetProblems):  # a filled-in sheet: each FILE:ROW: problem first
                out = console(stderr=True)
                for line in exc.problems:
                    out.print(line, markup=False)
            if _state["debug"]:
                raise
            _err(str(exc))
            raise Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted: nothing was changed")
            raise Exit(130) from None
        except Exception as exc:  # a bug: say so in one line
            if _state["debug"]:
                raise
            _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
            raise Exit(1) from None


app = typer.Typer(
    cls=QualcodeGroup,
    name="qualcode",
    help="Terminal-first, scriptable, lemma-aware qualitative interview coding.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

ProjectOpt = Annotated[
    Optional[Path],
    typer.Option("--project", "-p", help="Project folder (default: search upward from the current folder).",
                 envvar="QUALCODE_PROJECT", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qualcode {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """qualcode: import transcripts, code them with a codebook, export tables and excerpts."""
    _state["debug"] = debug or bool(os.environ.get("QUALCODE_DEBUG"))


def open_project(path: Path | None):
    from qualcode.project import Project

    return Project.open(path)


def console(stderr: bool = False):
    from rich.console import Console

    # soft_wrap: messages stay one per line (grep-able); tables still fit the terminal.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_json(data) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def progress_callback(total_chars: int):
    """A rich progress bar over annotated characters, on a terminal only."""
    if not sys.stdout.isatty() or total_chars <= 0:
        return None, None
    from rich.progress import Progress

    progress = Progress(transient=True)
    task = progress.add_task("Annotating", total=total_chars)
    return progress, lambda n: progress.update(task, advance=n)


def split_values(value: str | list[str] | None) -> list[str] | None:
    """Values of a repeatable option, each possibly comma-separated:
    ``["a,b", " c"]`` -> ``["a", "b", "c"]``; None when there are none."""
    if not value:
        return None
    values = [value] if isinstance(value, str) else value
    return [v.strip() for x in values for v in x.split(",") if v.strip()] or None


def check_sheet_modes(modes: dict[str, bool], *, force: bool, exporting: bool, dry_run: bool,
                      importing: bool, json: bool, json_hint: str) -> list[str]:
    """The options of the commands that run interactively or through a spreadsheet
    (``review``, ``reconcile``): at most one of ``modes`` (e.g. --export, --import,
    --list), --force only with --export, --dry-run only with --import, --json only with a
    mode (``json_hint`` says which, and why). Returns the modes chosen."""
    from qualcode.errors import UsageError

    chosen = [name for name, on in modes.items() if on]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} cannot be combined")
    if force and not exporting:
        raise UsageError("--force goes with --export")
    if dry_run and not importing:
        raise UsageError("--dry-run goes with --import")
    if json and not chosen:
        raise UsageError(f"--json goes with {json_hint}")
    return chosen


def command_line(*words: str, **opts) -> str:
    """The command line as a user would type it, for the provenance of exports:
    ``command_line("report", "freq", by="group", force=True)`` ->
    ``qualcode report freq --by group --force`` (None, False and [] are left out)."""
    parts = ["qualcode", *words]
    for key, value in opts.items():
        if value is None or value is False or value == []:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif isinstance(value, (list, tuple)):
            parts += [flag, ",".join(map(str, value))]
        else:
            parts += [flag, str(value)]
    return " ".join(parts)


def emit_tables(tables, provenance, *, fmt: str | None, output: Path | None, force: bool,
                json: bool = False) -> bool:
    """The output options every table command shares: ``--json`` (stdout), ``--format``
    without ``--output`` (text formats to stdout), ``--output FILE`` (any format, written
    atomically with the provenance). Returns False when the caller should render the
    tables on the terminal instead."""
    from qualcode.errors import UsageError
    from qualcode.exporters.tables import TEXT_FORMATS, format_for, render_text, to_json, write_tables

    if json and (fmt or output):
        raise UsageError("--json prints to stdout: use --format json --output FILE to write a file")
    if json:
        print_json(to_json(tables, provenance))
        return True
    if not (fmt or output):
        return False
    fmt = format_for(fmt, output)
    if output is None:
        if fmt not in TEXT_FORMATS:
            raise UsageError(f"--format {fmt} needs --output FILE")
        sys.stdout.write(render_text(tables, fmt, provenance))
        return True
    write_tables(tables, fmt, output, provenance, force=force)
    n = len(tables)
    console().print(f"wrote {output} ({fmt}, {n} table{'s' * (n != 1)})", markup=False)
    return True


# Register the command modules, in this order for the help listing.
_MODULES = ["project", "documents", "cases", "codebook", "coding", "demo", "reliability", "backups", "chart",
            "export", "memo", "report", "review"]


def _register() -> None:
    import importlib

    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")


_register()


def main() -> None:
    app()
