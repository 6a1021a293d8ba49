"""What the command modules share: the options every command takes (``--project``,
``--json``, ``--codebook``), opening the project, the console, JSON output, progress bars,
and the output options of the table commands.

The root command and its error policy are in :mod:`qualcode.cli`; this module is loaded
with the first command module, not for ``qualcode --help``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli._terminal import SafeConsole, json_safe, terminal_safe
from qualcode.errors import UsageError
from qualcode.exporters.base import atomic_write, temp_folder
from qualcode.exporters.tables import TEXT_FORMATS, format_for, render_text, to_json, write_tables
from qualcode.project_core import ProjectCore
from qualcode.pseudo.apply import pseudonymize_table
from qualcode.pseudo.guard import Privacy, export_privacy

if TYPE_CHECKING:  # the facade's type, which the library's functions name; the CLI opens a ProjectCore
    from qualcode.project import Project

# Ranges of the integer options and arguments (typer min/max: a value outside is a usage
# error, exit 2): ids and seeds fit SQLite's 64-bit integers, counts and widths stay sane.
MAX_ID = 2**63 - 1
MAX_COUNT = 1_000_000
MAX_WIDTH = 100_000

ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", "-p", help="Project folder (default: search upward from the current folder).",
                 envvar="QUALCODE_PROJECT", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PseudoOpt = Annotated[bool | None, typer.Option(
    "--pseudo/--no-pseudo", help="Replace the names of the pseudonym key (default: yes when the project has "
                                 "a key; see 'qualcode pseudo').", show_default=False)]
AllowLeaksOpt = Annotated[bool, typer.Option(
    "--allow-leaks", help="Write the file even when the re-identification audit finds a name of the pseudonym "
                          "key or a citation that fits fewer than 3 participants (the report is printed; see "
                          "'qualcode pseudo').")]
CodebookOpt = Annotated[Path | None, typer.Option(
    "--codebook", "-c", help="Codebook YAML (default: the project's, see docs/reference/codebook-file.md).")]


def open_project(path: Path | None):
    """The project at ``--project`` or, without it, the one around the current folder."""
    project = ProjectCore.open(path)
    if project.recovered is not None:
        console(stderr=True).print(f"note: {project.recovered.message()}", markup=False)
    return project


def console(stderr: bool = False) -> SafeConsole:
    """The console of every command's output: user data in it cannot act on the terminal
    (see :mod:`qualcode.cli._terminal`); no markup unless a call passes ``markup=True``."""
    return SafeConsole(stderr=stderr)


def print_json(data) -> None:
    write_stdout(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "json")


def write_stdout(text: str, fmt: str) -> None:
    """A file format printed on stdout (``--json``, ``--format csv`` without ``--output``):
    JSON with its DEL, C1 and bidi characters as ``\\u`` escapes (the same value); the other
    formats as they are into a pipe or file, made safe (``terminal_safe``) on a terminal."""
    if fmt == "json":
        text = json_safe(text)
    elif sys.stdout.isatty():
        text = terminal_safe(text)
    sys.stdout.write(text)


# Formats that ``--output -`` may print on standard output (the others are binary files).
STDOUT_FORMATS = frozenset({"md", "csv", "tex", "json", "yaml", "txt"})


def is_stdout(output: str | Path | None) -> bool:
    """Whether ``--output`` is ``-``: standard output."""
    return output is not None and str(output) == "-"


def check_stdout_format(fmt: str | None, formats=STDOUT_FORMATS) -> str:
    """The format to print with ``--output -``: a text format, given with ``--format``."""
    if fmt is None:
        raise UsageError("--output - (standard output) needs --format "
                         f"({', '.join(sorted(formats))})")
    if fmt.lower() not in formats:
        raise UsageError(f"--output -: {fmt} is a binary format and cannot be written to standard "
                         "output; give a file name")
    return fmt.lower()


def progress_callback(total_chars: int):
    """A rich progress bar over annotated characters, on a terminal only."""
    if not sys.stdout.isatty() or total_chars <= 0:
        return None, None
    from rich.progress import Progress  # only commands with long work show a progress bar

    progress = Progress(transient=True, console=console())
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
                json: bool = False, language: str = "en", paper: str = "a4",
                standalone: bool = False, audited: bool = False) -> bool:
    """The output options every table command shares: ``--json`` (stdout), ``--format``
    without ``--output`` (text formats to stdout), ``--output FILE`` (any format, written
    atomically with the provenance). Returns False when the caller should render the
    tables on the terminal instead. ``language``: of the numbers in DOCX, Markdown and
    LaTeX files (decimal commas in French) and of the DOCX proofing language. ``audited``:
    a text format printed on stdout goes through the export guard first (see
    :func:`emit_private_tables`)."""
    if json and (fmt or output):
        raise UsageError("--json prints to stdout: use --format json --output FILE to write a file")
    if json:
        print_json(to_json(tables, provenance))
        return True
    if not (fmt or output):
        return False
    if is_stdout(output):  # "--output -": the text formats, on standard output
        fmt, output = check_stdout_format(fmt, TEXT_FORMATS), None
    fmt = format_for(fmt, output)
    if output is None:
        if fmt not in TEXT_FORMATS:
            raise UsageError(f"--format {fmt} needs --output FILE")
        text = render_text(tables, fmt, provenance, standalone=standalone, paper=paper, language=language)
        if audited:  # the audit reads files: the text goes through a scratch file first
            with temp_folder("stdout") as scratch, atomic_write(scratch / f"tables.{fmt}") as tmp:
                tmp.write_text(text, encoding="utf-8")
        write_stdout(text, fmt)
        return True
    write_tables(tables, fmt, output, provenance, force=force, paper=paper, standalone=standalone,
                 language=language)
    n = len(tables)
    console().print(f"wrote {output} ({fmt}, {n} table{'s' * (n != 1)})", markup=False)
    return True


def check_export_options(export, pseudo: bool | None, allow_leaks: bool) -> None:
    """``--pseudo/--no-pseudo`` and ``--allow-leaks`` of the sheet commands (``review``,
    ``reconcile``) apply to the sheet they write: with ``--export`` only."""
    if export is None and (pseudo is not None or allow_leaks):
        raise UsageError("--pseudo/--no-pseudo and --allow-leaks go with --export")


def audit_text(privacy: Privacy, text: str, fmt: str, stem: str = "output") -> None:
    """A file format about to be printed on standard output goes through the export guard
    first (the audit reads files: a scratch file named ``-`` in the report); it raises when
    the audit refuses it, before anything is printed."""
    if privacy.audited:
        with temp_folder("stdout") as scratch, atomic_write(scratch / f"{stem}.{fmt}") as tmp:
            tmp.write_text(text, encoding="utf-8")


def privacy_notes(privacy: Privacy) -> None:
    """Say whether the export was pseudonymized and what its audit found (on stderr)."""
    err = console(stderr=True)
    note = privacy.note()
    if note:
        err.print(f"note: {note}", markup=False, highlight=False)
    for note in privacy.notes:
        err.print(f"note: {note}", markup=False, highlight=False)
    for report in privacy.leaked:
        err.print(f"warning: written with leaks (--allow-leaks): {report.summary()}", markup=False, highlight=False)
        for line in report.lines():
            err.print(f"  {line}", markup=False, highlight=False)
    for report in privacy.reports:
        if report.warnings and not report.leaks:  # names the recogniser found that the key does not know
            err.print(f"warning: {len(report.warnings)} name{'s' * (len(report.warnings) != 1)} not in the "
                      "pseudonym key (to review; 'qualcode pseudo add NAME REPLACEMENT' hides one):",
                      markup=False, highlight=False)
            for finding in report.warnings:
                err.print(f"  {finding.line(report.file)}", markup=False, highlight=False)


def emit_private_tables(project: Project, tables, provenance, *, command: str, pseudo: bool | None = None,
                        allow_leaks: bool = False, prepare=None, fmt: str | None, output: Path | None,
                        force: bool, json: bool = False, **options) -> bool:
    """:func:`emit_tables` for the commands whose tables can leave the project (``report``,
    ``agreement``, ``evaluate``): a file, or a file format printed on stdout, is
    pseudonymized with the project's key (``pseudo``: ``--pseudo/--no-pseudo``) and audited
    before it is written — refused when it leaks unless ``allow_leaks`` — and the audit is
    in the history. ``prepare(tables, pseudonymizer)``: what the command does to its tables
    before they are written (display labels); every text cell, title, note and column name
    then goes through the key. The terminal and ``--json`` are left as they are."""
    if json or not (fmt or output):
        return emit_tables(tables, provenance, fmt=fmt, output=output, force=force, json=json, **options)
    with export_privacy(project, pseudo=pseudo, allow_leaks=allow_leaks, command=command) as privacy:
        files = prepare(tables, privacy.pseudo) if prepare is not None else tables
        files = [pseudonymize_table(t, privacy.pseudo) for t in files]
        emit_tables(files, provenance, fmt=fmt, output=output, force=force, audited=privacy.audited, **options)
    privacy_notes(privacy)
    return True
