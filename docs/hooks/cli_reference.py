"""MkDocs hook: qualcode's command tree, as click commands, for mkdocs-click.

The command reference (``docs/reference/commands/*.md``) is generated from the typer app
that *is* the CLI, so that an option cannot be documented differently from what
``qualcode COMMAND --help`` says. Each page holds one block per command::

    ::: mkdocs-click
        :module: qualcode_cli_reference
        :command: codebook diff
        :depth: 1
        :style: table

mkdocs-click reads click objects, but typer (0.2x) runs on its own copy of click, whose
classes mkdocs-click does not recognise. This hook translates the tree into plain click
commands for the documentation only: names, help, usage, options (types, choices,
defaults, flags); argument help, which click has no place for, is appended to the
command's description. ``:command:`` is a command path (``import``, ``codebook diff``,
``cases`` — a group alone, without its subcommands, each documented in its own block —
or ``qualcode`` for the global options).

After the build, the hook warns about any command that no page documents (so
``mkdocs build --strict`` fails when a new command has no reference entry).
"""

from __future__ import annotations

import logging
import posixpath
import re
import sys
from pathlib import PurePath
from typing import Any

import click

log = logging.getLogger("mkdocs.hooks.cli_reference")
PROG = "qualcode"
_PIPE = "&#x7C;"  # a | would end a Markdown table cell
_rendered: set[str] = set()
_page = {"uri": ""}  # the page being rendered (docs-relative), for the links in help texts
_cache: dict[str, Any] = {}

# mkdocs registered this file under its path; give it an importable name for mkdocs-click.
sys.modules["qualcode_cli_reference"] = sys.modules[__name__]


def _typer_root():
    if "root" not in _cache:
        import typer

        from qualcode.cli import app

        _cache["root"] = typer.main.get_command(app)
    return _cache["root"]


def _subcommands(cmd) -> dict[str, Any]:
    if not hasattr(cmd, "list_commands"):
        return {}
    ctx = type(cmd).context_class(cmd) if hasattr(cmd, "context_class") else None
    return {name: cmd.get_command(ctx, name) for name in cmd.list_commands(ctx)}


def command_paths() -> list[str]:
    """Every command path of the app: ``["agreement", …, "codebook", "codebook add", …]``."""
    paths: list[str] = []

    def walk(cmd, prefix: list[str]) -> None:
        for name, sub in _subcommands(cmd).items():
            paths.append(" ".join([*prefix, name]))
            walk(sub, [*prefix, name])

    walk(_typer_root(), [])
    return paths


class _Named(click.ParamType):
    """A click type that only carries the name shown in the Type column."""

    def __init__(self, name: str) -> None:
        self.name = name


def _type_name(param) -> click.ParamType:
    desc = param.type_descriptor
    if desc.is_choice and desc.choices is not None:
        return click.Choice([str(getattr(c, "value", c)) for c in desc.choices])
    ann = desc.annotation
    if getattr(param, "is_flag", False) or ann is bool:
        return _Named("flag")
    if desc.is_list:
        args = getattr(ann, "__args__", (str,))
        ann = args[0] if args else str
    name = {int: "integer", float: "number", str: "text"}.get(ann)
    if name is None:
        name = "path" if desc.is_path or ann is PurePath or "Path" in str(ann) else "text"
    if desc.is_list or getattr(param, "multiple", False):
        name += ", repeatable"
    return _Named(name)


def _linked(text: str) -> str:
    """A help text names a documentation page by its path in the repository
    (``see docs/reference/codebook-file.md``, readable in a terminal); on the site it is a
    link to that page, relative to the page being built (so the strict build checks it)."""
    here = posixpath.dirname(_page["uri"])
    return re.sub(r"\bdocs/([\w/.-]+?\.md)\b",
                  lambda m: f"[{m.group(0)}]({posixpath.relpath(m.group(1), here or '.')})", text)


def _cell(text: str | None) -> str | None:
    return None if text is None else _linked(" ".join(text.split())).replace("|", _PIPE)


def _option(param) -> click.Option:
    decls = list(param.opts)
    if param.secondary_opts:  # --effect/--no-effect
        decls = [*param.opts[:-1], f"{param.opts[-1]}/{param.secondary_opts[0]}"]
    default = param.default
    if isinstance(default, (list, tuple)) and not default:
        default = None
    help_text = _cell(param.help)
    envvar = param.envvar
    if envvar and help_text is not None:
        help_text += f" (env: `{envvar}`)"
    is_flag = bool(getattr(param, "is_flag", False))
    return click.Option(
        decls,
        help=help_text,
        default=default if not is_flag else bool(default),
        is_flag=is_flag or None,
        required=param.required,
        hidden=param.hidden,
        multiple=False,
        type=None if is_flag else _type_name(param),
        show_default=False,
    )


def _argument_help(args) -> list[str]:
    lines = []
    for a in args:
        meta = a.name.upper() + ("..." if a.nargs == -1 else "")
        req = "" if a.required else " (optional)"
        lines.append(f"- `{meta}`{req}: {' '.join((a.help or '').split())}")
    return lines


def _convert(cmd, name: str, *, recurse: bool) -> click.Command:
    help_text = cmd.help or ""
    args = [p for p in cmd.params if p.param_type_name == "argument"]
    if args:
        help_text = help_text.rstrip() + "\n\n**Arguments:**\n\n" + "\n".join(_argument_help(args))
    params: list[click.Parameter] = []
    for p in cmd.params:
        if p.param_type_name == "argument":
            params.append(click.Argument([p.name], nargs=p.nargs, required=p.required,
                                         metavar=p.name.upper() + ("..." if p.nargs == -1 else "")
                                         if p.required else f"[{p.name.upper()}]"))
        else:
            params.append(_option(p))
    common = dict(name=name, help=help_text, params=params, add_help_option=False,
                  short_help=cmd.short_help, hidden=cmd.hidden)
    subs = _subcommands(cmd)
    if subs:
        group = click.Group(**common)
        if recurse:
            for sub_name, sub in subs.items():
                group.add_command(_convert(sub, sub_name, recurse=True))
        else:
            group.list_commands = lambda ctx: []  # usage still says COMMAND [ARGS]...
        return group
    return click.Command(**common)


def __getattr__(path: str) -> click.Command:
    """``getattr(module, "codebook diff")``: that command, named by its full path."""
    if path.startswith("__"):
        raise AttributeError(path)
    cmd = _typer_root()
    words = [] if path in (PROG, "") else path.split()
    for word in words:
        subs = _subcommands(cmd)
        if word not in subs:
            raise AttributeError(f"qualcode has no command {path!r}")
        cmd = subs[word]
    _rendered.add(path)
    return _convert(cmd, " ".join([PROG, *words]), recurse=False)


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    _page["uri"] = page.file.src_uri
    return markdown


def on_post_build(config, **kwargs) -> None:
    missing = [p for p in command_paths() if p not in _rendered]
    for path in missing:
        log.warning("command 'qualcode %s' has no '::: mkdocs-click' block in the reference", path)
