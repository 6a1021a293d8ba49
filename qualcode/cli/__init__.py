"""Command-line interface: thin typer commands over the qualcode library.

One module per command group or stage, named after what it holds (as spaCy's
``spacy/cli/``): ``project`` (init, history), ``documents`` (import, docs and its
rename/remove/orphans, show, speakers), ``cases``, ``backups``, ``demo``, ``codebook`` (every ``codebook …``),
``rules`` (autocode, explain, kwic), ``coding`` (codings, code, uncode), ``review``,
``memo``, ``reliability`` (agreement, disagreements, reconcile, evaluate), ``report``,
``export``, ``chart``; what they share (``--project``, ``--json``, the console…) is in
``_util``. Each module registers its commands on ``app`` and imports the library at its
top.

The modules are loaded lazily: :data:`COMMANDS` names each command's module and the
first paragraph of its help, so that ``qualcode --help`` lists every command without
importing any of them, and ``qualcode docs`` imports only ``documents`` (and what it
uses). A test checks :data:`COMMANDS` against the modules.

Errors: a :class:`~qualcode.errors.QualcodeError` becomes one line on stderr and its
exit code (1, or 2 for usage); anything unexpected becomes one line too, with the
traceback only under ``--debug`` (or ``QUALCODE_DEBUG=1``). Ctrl-C exits with 130; the
project is left as it was because every command writes inside one transaction.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

# numpy's OpenBLAS starts one busy-waiting thread per core when numpy is imported: 0.1 CPU s
# of a 0.3 s command (kwic), for matrix products qualcode never asks of it (spaCy's go
# through blis). Set before numpy is first imported; a value set by the user is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer
from rich.text import Text
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from qualcode import __version__
from qualcode.cli._coerce import install as plain_values_first
from qualcode.cli._terminal import SafeConsole
from qualcode.errors import QualcodeError, SheetProblems
from qualcode.store.connection import damaged

_state = {"debug": bool(os.environ.get("QUALCODE_DEBUG"))}

# Every command of ``qualcode --help``, in this order (the stages of a study, as in the
# reference): name -> (module of qualcode.cli that defines it, the first paragraph of its
# help, as the listing shows it).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("project", "Create a project: qualcode.toml and the database in .qualcode/."),
    "import": ("documents", "Import transcripts (txt, md, docx, vtt, srt, Transcriber trs) or a REFI-QDA project "
                            "(.qdpx)."),
    "docs": ("documents", "List documents: name, format, turns, words, speakers, case."),
    "show": ("documents", "Show a document's turns, numbered from 1, with speaker, timestamp and the codes of "
                          "each\nturn in the margin (coloured by code, like coding stripes)."),
    "speakers": ("documents", "List a document's speakers and roles; fix roles (--set), rename (--rename) or merge "
                              "(--merge) speakers."),
    "cases": ("cases", "Cases (participants) and their attributes."),
    "history": ("project", "Show the history of bulk operations: imports, auto-coding runs, codebook revisions, "
                           "reviews…"),
    "backups": ("backups", "Backups of the project taken before codebook revisions and restores."),
    "demo": ("demo", "Build a project from the bundled sample (transcripts_sample/) and print what it holds."),
    "codebook": ("codebook", "Codebooks: lint, show, diff, export and revise (rename, merge, move, split…)."),
    "autocode": ("rules", "Apply the codebook's rules: proposals by coder 'rules', with the rule that matched."),
    "codings": ("coding", "List codings with their document, turn, code, coder, origin, status and text."),
    "explain": ("rules", "Show which rules fire where in one turn, with the matched words highlighted."),
    "kwic": ("rules", "Keyword in context: every occurrence of TERM with its context, to help write rules."),
    "code": ("coding", "Code a turn, a sentence, a quote or a span of a document by hand (status accepted)."),
    "uncode": ("coding", "Remove your coding(s) of CODE on exactly the given turn(s), sentence, quote or span."),
    "review": ("review", "Review proposed codings one by one: accept, reject, change or add a code, skip, undo."),
    "memo": ("memo", "Memos on the project, a document, a case, a code or a coding."),
    "agreement": ("reliability", "Agreement between coders per code and overall: units coded by each, by both, "
                                 "by neither,\n% agreement, kappa (Cohen's for two coders, Fleiss' for more) and "
                                 "Krippendorff's alpha, with\ntheir usual readings."),
    "disagreements": ("reliability", "List the units where the coders differ, code by code, with the text and "
                                     "each coder's codes."),
    "reconcile": ("reliability", "Build a consensus coder: units every coder coded go in automatically; "
                                 "disagreements are\ndecided one by one (k keep, d drop, s skip, q quit) or through "
                                 "a spreadsheet."),
    "evaluate": ("reliability", "Evaluate the rules against a gold coder: precision, recall, F1 and support per "
                                "code, micro\nand macro averages; with --show fp the false positives and the rule "
                                "that fired, with --show fn\nwhat the rules missed. Only documents the gold coder "
                                "coded are compared."),
    "report": ("report", "Reports: code frequencies, co-occurrence, matrices, word frequencies."),
    "export": ("export", "Write files for a thesis: coded excerpts (docx, md, tex, csv, xlsx) and more. Every "
                         "file records what produced it and is never overwritten without --force."),
    "chart": ("chart", "Draw figures of the analyses as PNG (200 dpi), SVG or PDF, chosen by the output's "
                       "extension, at the width they are printed (--width): no text under 7 pt. No display "
                       "needed; files are never overwritten without --force."),
    "pseudo": ("pseudo", "Pseudonymization: the pseudonym key (add, list, remove, suggest, review, import) and "
                         "the audit of exported files."),
}

plain_values_first()  # command-line values converted without pydantic where they are plain

_LISTING = "qualcode.listing"  # set in ctx.meta while the help lists the commands


def _stderr() -> SafeConsole:
    return SafeConsole(stderr=True)


def _quiet_stdout() -> None:
    """After a broken pipe, point standard output at the null device, so that the
    interpreter's last flush at exit cannot fail again; as rich's consoles do (exit 1, no
    message)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's runner)
        pass


def _err(message: str) -> None:
    """One error line; the message (file names, labels, quotes) printed as it is, made
    safe for the terminal by the console."""
    _stderr().print(Text.assemble(("error:", "bold red"), " ", message))


class QualcodeGroup(TyperGroup):
    """The root command: loads each command's module when the command runs (or shows its
    own help), lists them all from :data:`COMMANDS` without loading any (click's
    "LazyGroup" pattern), and runs them with qualcode's error policy (also under click's
    CliRunner)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, short_help = COMMANDS[cmd_name]
            if ctx.meta.get(_LISTING):  # only its name and help are needed
                return TyperCommand(name=cmd_name, help=short_help)
            self.commands[cmd_name] = _load(cmd_name, module)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in COMMANDS:
            # Not a command: typer suggests the close names among self.commands, so let
            # it see them all (as names only: the error follows).
            for name, (_, short_help) in COMMANDS.items():
                self.commands.setdefault(name, TyperCommand(name=name, help=short_help))
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            del ctx.meta[_LISTING]

    def shell_complete(self, ctx: Any, incomplete: str) -> Any:
        ctx.meta[_LISTING] = True
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            del ctx.meta[_LISTING]

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):
            raise
        except QualcodeError as exc:
            if isinstance(exc, SheetProblems):  # a filled-in sheet: each FILE:ROW: problem first
                out = _stderr()
                for line in exc.problems:
                    out.print(line, markup=False)
            if _state["debug"]:
                raise
            _err(str(exc))
            raise Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _err("interrupted: nothing was changed")
            raise Exit(130) from None
        except BrokenPipeError:  # the reader of the output went away (`| head`): stop quietly
            _quiet_stdout()
            raise Exit(1) from None
        except Exception as exc:  # a bug: say so in one line
            if _state["debug"]:
                raise
            damage = damaged(exc)  # unless SQLite found the project database corrupt
            if damage is not None:
                _err(str(damage))
                raise Exit(damage.exit_code) from None
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


def _load(name: str, module: str) -> Any:
    """Import ``qualcode.cli.<module>`` and build the click command it registered as
    ``name``, as typer builds the commands registered before ``app()`` runs."""
    importlib.import_module(f"{__name__}.{module}")
    for command in app.registered_commands:
        if command.name == name:
            return typer.main.get_command_from_info(
                command, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)
    for group in app.registered_groups:
        if group.name == name:
            return _lazy_group(group)
    raise RuntimeError(f"qualcode.cli.{module} defines no command {name!r}")


class _LazyCommands(MutableMapping):
    """A command group's subcommands, each built by typer when first looked up: ``qualcode
    report freq`` builds ``freq`` only (typer reads the signature and type hints of every
    command it builds); listing them (``report --help``) builds them all."""

    def __init__(self, infos: dict[str, Any]):
        self._infos = infos
        self._built: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._built:
            info = self._infos[key]  # KeyError for an unknown name, as a dict
            self._built[key] = typer.main.get_command_from_info(
                info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)
        return self._built[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._infos.setdefault(key, None)
        self._built[key] = value

    def __delitem__(self, key: str) -> None:
        del self._infos[key]
        self._built.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)


def _lazy_group(group: Any) -> Any:
    """The click group of a ``typer.Typer`` added with ``add_typer`` (no sub-groups), its
    commands built on demand (:class:`_LazyCommands`), in their order of registration."""
    sub = group.typer_instance
    if sub.registered_groups or any(c.name is None for c in sub.registered_commands):
        return typer.main.get_group_from_info(
            group, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands)
    registered = sub.registered_commands
    sub.registered_commands = []
    try:
        built = typer.main.get_group_from_info(
            group, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands)
    finally:
        sub.registered_commands = registered
    built.commands = _LazyCommands({c.name: c for c in registered})
    return built


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


def main() -> None:
    app()
