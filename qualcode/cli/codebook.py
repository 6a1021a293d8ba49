"""qualcode codebook …: check, show, diff, export and import (REFI-QDA .qdc) a codebook;
revise it (rename, merge, move, split, retire, restore, add) with its codings; its history."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text
from typer.exceptions import Exit

from qualcode.cli import app
from qualcode.cli._util import (
    AllowLeaksOpt,
    CodebookOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    check_stdout_format,
    console,
    is_stdout,
    open_project,
    print_json,
    privacy_notes,
    progress_callback,
    write_stdout,
)
from qualcode.cli.render import codebook_tree
from qualcode.codebook import codebook_tree_json, lint_codebook, load_codebook, revise
from qualcode.codebook.diff import coding_effect, diff_codebooks, resolve_codebook
from qualcode.codebook.export import build_document, export_codebook, infer_format
from qualcode.errors import ProjectNotFound, QualcodeError, UsageError
from qualcode.exporters.base import atomic_write, temp_folder
from qualcode.inputs import read_regular_file
from qualcode.pseudo.apply import pseudonymize_codebook
from qualcode.pseudo.guard import export_privacy
from qualcode.refi.codebook import import_codebook

if TYPE_CHECKING:
    from qualcode.codebook.diff import CodebookDiff, CodingEffect, FieldChange


codebook_app = typer.Typer(help="Codebooks: lint, show, diff, export and revise (rename, merge, move, split…).",
                           no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")

# --------------------------------------------------------------------------- check, show


@codebook_app.command("check")
def check_cli(
    file: Annotated[Path, typer.Argument(help="Codebook YAML file.")],
    json: JsonOpt = False,
) -> None:
    """Lint a codebook: every problem as FILE:LINE:COL: code path: message; exit 1 on errors."""
    problems = lint_codebook(file)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if json:
        print_json({"file": str(file), "errors": errors, "warnings": warnings,
                    "problems": [p.to_dict() for p in problems]})
    else:
        out = console()
        for p in problems:
            out.print(str(p), style="red" if p.is_error else "yellow", markup=False)
        if problems:
            out.print(f"{file}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
                      markup=False)
        else:
            out.print(f"{file}: ok", markup=False)
    if errors:
        raise Exit(1)


@codebook_app.command("show")
def show_cli(
    file: Annotated[Path | None, typer.Argument(help="Codebook YAML file (default: the project's).")] = None,
    definitions: Annotated[bool, typer.Option(help="Show definitions under each code.")] = True,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Print the codebook as a tree with labels and definitions."""
    if file is None:
        with open_project(project) as proj:
            file = proj.codebook_path()
    elif not file.is_file():
        if file.exists():  # a folder, FIFO or device: says which, without opening it
            read_regular_file(file, refused="not read as a codebook")
        raise QualcodeError(f"no such codebook file: {file}")
    cb = load_codebook(file)
    if json:
        print_json(codebook_tree_json(cb))
    else:
        console().print(codebook_tree(cb, definitions=definitions))


def _optional_project(path: Path | None):
    """The project named by --project (errors propagate), else the one around the current
    folder, else None."""
    if path is not None:
        return open_project(path)
    try:
        return open_project(None)
    except ProjectNotFound:
        return None


def _shown(path: Path) -> str:
    """A path relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- diff


@codebook_app.command("diff")
def diff_cli(
    old: Annotated[str, typer.Argument(help="Old codebook: a YAML file, or a version recorded in the project "
                                            "(12-hex id or a unique prefix, or 'last').")],
    new: Annotated[str | None, typer.Argument(
        help="New codebook: a YAML file or a recorded version (default: the project's codebook file).")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the excerpts gained and lost per code.")] = False,
    effect: Annotated[bool, typer.Option(
        "--effect/--no-effect", help="Compute the effect on coding (needs a project).")] = True,
    docs: Annotated[str | None, typer.Option(help="Comma-separated document names (default: all).")] = None,
    include_interviewer: Annotated[bool, typer.Option(
        "--include-interviewer", help="Code interviewer turns too (as autocode --include-interviewer).")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """What a codebook revision changed, and what it changes in the coding.

    Codes added, removed, renamed, moved; fields and rules changed; in a project, per code,
    the units the rules gain and lose (--show prints them). Writes nothing.
    """
    proj = _optional_project(project)
    try:
        if new is None and proj is None:
            raise UsageError("NEW omitted: give two codebooks, or run inside a project (its codebook is the default)")
        if show and (proj is None or not effect):
            raise UsageError("--show needs the effect on coding: run inside a project or pass --project")
        old_cb = resolve_codebook(old, proj)
        new_cb = resolve_codebook(new if new is not None else _shown(proj.codebook_path()), proj)
        diff = diff_codebooks(old_cb, new_cb)
        result = None
        if proj is not None and effect:
            names = [n.strip() for n in docs.split(",") if n.strip()] if docs else None
            total = proj.store.documents.total_characters()
            progress, callback = progress_callback(total) if not json else (None, None)
            if progress:
                with progress:
                    result = coding_effect(proj, diff, documents=names, include_interviewer=include_interviewer,
                                           progress=callback)
            else:
                result = coding_effect(proj, diff, documents=names, include_interviewer=include_interviewer)
    finally:
        if proj is not None:
            proj.close()
    if json:
        print_json(diff.to_dict() | {"effect": result.to_dict(excerpts=show) if result else None})
        return
    render_diff(diff, result, show=show, in_project=proj is not None)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _value(v) -> str:
    if v is None or v == "" or v == []:
        return "(none)"
    if isinstance(v, str):
        return repr(" ".join(v.split()))
    return repr(v)


def _word_diff(before: str, after: str):
    """Words removed as [-…-] (red), added as {+…+} (green), like git --word-diff."""
    a, b = re.split(r"(\s+)", " ".join(before.split())), re.split(r"(\s+)", " ".join(after.split()))
    out = Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            out.append("[-" + "".join(a[i1:i2]) + "-]", style="red")
        if op in ("insert", "replace"):
            out.append("{+" + "".join(b[j1:j2]) + "+}", style="green")
    return out


def _field_lines(f: FieldChange, indent: str):
    lines = []
    if f.field == "examples":
        before, after = list(f.before or []), list(f.after or [])
        for x in before:
            if x not in after:
                lines.append(Text(f"{indent}example removed: ") + Text(_value(x), style="red"))
        for x in after:
            if x not in before:
                lines.append(Text(f"{indent}example added: ") + Text(_value(x), style="green"))
        if not lines:
            lines.append(Text(f"{indent}examples reordered"))
        return lines
    if isinstance(f.before, str) and isinstance(f.after, str) and max(len(f.before), len(f.after)) > 40:
        return [Text(f"{indent}{f.field}: ") + _word_diff(f.before, f.after)]
    return [Text(f"{indent}{f.field}: ") + Text(_value(f.before), style="red") + Text(" → ")
            + Text(_value(f.after), style="green")]


def render_diff(diff: CodebookDiff, effect: CodingEffect | None, *, show: bool = False,
                in_project: bool = True) -> None:
    out = console()
    o, n = diff.old, diff.new
    def side_name(nc) -> str:
        if nc.kind == "version":
            return f"{nc.name} (applied {(nc.recorded_at or '')[:10]})"
        return f"{nc.name} (version {nc.codebook.version})"

    out.print(Text.assemble(("Codebook diff ", "bold"), f"{side_name(o)} → {side_name(n)}"))
    out.print(diff.summary_line(), markup=False)
    if diff.codebook_fields:
        out.print(Text("\nCodebook", style="bold underline"))
        for f in diff.codebook_fields:
            for line in _field_lines(f, "  "):
                out.print(line)
    changes = diff.changes()
    if changes:
        out.print(Text("\nCodes", style="bold underline"))
    how = {"slug": "same slug", "content": "same rules and definitions", "parent": "parent renamed"}
    for c in changes:
        if c.kind == "added":
            code = next(x for x in n.codebook.walk() if x.path == c.new_path)
            extra = f"  ({_plural(len(code.rules), 'rule')})" if code.rules else ""
            out.print(Text(f"+ {c.path}", style="green") + Text(f"  {c.label}{extra}  added"))
            continue
        if c.kind == "removed":
            out.print(Text(f"- {c.path}", style="red") + Text(f"  {c.label}  removed"))
            continue
        line = Text(f"~ {c.new_path}", style="yellow")
        if c.path_changed:
            line += Text(f" ← {c.old_path}")
        line += Text(f"  {c.label}")
        status = c.status if c.path_changed else ", ".join(
            x for x in ("fields" if c.fields else "", "rules" if c.rules or c.rules_reordered else "") if x)
        if c.path_changed:
            why = (f"similarity {c.similarity:.2f}" if c.match == "similar" else how.get(c.match or "", ""))
            status += f" ({why})" if why and c.match != "parent" else ""
            if c.edited:
                status += "; edited"
        else:
            status = "edited: " + status
        out.print(line + Text(f"  {status}", style="dim"))
        for f in c.fields:
            for fl in _field_lines(f, "    "):
                out.print(fl)
    rule_codes = [c for c in changes if c.rules or c.rules_reordered]
    if rule_codes:
        out.print(Text("\nRules", style="bold underline"))
    for c in rule_codes:
        out.print(Text(c.path, style="bold"))
        for r in c.rules:
            if r.op == "added":
                out.print(Text(f"  + {r.where}  {r.rule}", style="green"))
            elif r.op == "removed":
                out.print(Text(f"  - {r.where}  {r.rule}", style="red"))
            else:
                detail = " ".join([f"+{t}" for t in r.terms_added] + [f"-{t}" for t in r.terms_removed])
                out.print(Text(f"  ~ {r.where}  {r.rule}", style="yellow")
                          + Text(f"  ({detail or 'was ' + str(r.before)})", style="dim"))
        if c.rules_reordered:
            out.print(Text("  rules reordered (a coding's origin is the first rule that matches)", style="dim"))

    if effect is None:
        if not in_project:
            out.print(Text("\nNot in a project: the effect on coding is not computed (use --project).", style="dim"))
        return
    scope = "all turns" if effect.include_interviewer else "participant turns"
    out.print(Text("\nEffect on coding", style="bold underline")
              + Text(f"  ({_plural(effect.documents, 'document')}, {scope}; {effect.pipeline}"
                     + (f"; {effect.annotated} annotated in memory" if effect.annotated else "") + ")",
                     style="dim"))
    table = Table("code", "before", "after", "+gained", "-lost", box=None)
    hidden = 0
    for e in effect.codes:
        if not (e.before or e.after):
            hidden += 1
            continue
        moved = e.old_path and e.new_path and e.old_path != e.new_path
        name = f"{e.new_path} ← {e.old_path}" if moved else e.code
        style = {"added": "green", "removed": "red"}.get(e.status, "" if e.changed else "dim")
        table.add_row(Text(name, style=style), str(e.before), str(e.after),
                      Text(f"+{len(e.gained)}", style="green") if e.gained else "",
                      Text(f"-{len(e.lost)}", style="red") if e.lost else "",
                      style="dim" if not e.changed else None)
    if table.row_count:
        out.print(table)
    if hidden:
        out.print(Text(f"{_plural(hidden, 'code')} with no unit in either version (not shown)", style="dim"))
    out.print(f"units: +{effect.gained} -{effect.lost}" if (effect.gained or effect.lost)
              else "no change in the units coded by the rules", markup=False)
    if show:
        for e in effect.codes:
            if not e.changed:
                continue
            out.print(Text(f"\n{e.code}", style="bold"))
            for sign, style, items in (("+", "green", e.gained), ("-", "red", e.lost)):
                for x in items:
                    out.print(Text(f"  {sign} {x.document}:{x.turn}  ", style=style)
                              + Text(" ".join(x.text.split())) + Text(f"  [{x.origin}]", style="dim"))


# --------------------------------------------------------------------------- export


@codebook_app.command("export")
def export_cli(
    format: Annotated[str | None, typer.Option(
        "--format", "-f", help="md | docx | csv | xlsx (default: from the --output suffix, else md).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write (default or '-': Markdown or CSV to stdout).")] = None,
    codebook: Annotated[str | None, typer.Option(
        "--codebook", "-c", help="Codebook YAML file or recorded version id (default: the project's).")] = None,
    rules: Annotated[bool, typer.Option("--rules", help="Include each code's rules.")] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Language of the document's words: fr | en (default: [export] language, else the "
                       "project's language; without a project, the codebook's).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    project: ProjectOpt = None,
) -> None:
    """The codebook as a document (thesis annex): Markdown, Word, CSV or Excel.

    Numbered hierarchy, labels, MacQueen fields, examples, optionally the rules, and each
    code's coded units and participants in the project. With a project that has a pseudonym
    key, the key's names in labels, definitions and examples are replaced and the file is
    audited before it is written (see 'qualcode pseudo').
    """
    if is_stdout(output):  # "-o -": what no --output does
        check_stdout_format(format or "md", frozenset({"md", "csv"}))
        output = None
    fmt = infer_format(format, output)
    proj = _optional_project(project)
    if proj is None and codebook is None:
        open_project(None)  # raises the usual "no qualcode project" error
    command = (f"qualcode codebook export --format {fmt}" + (f" --codebook {codebook}" if codebook else "")
               + (" --rules" if rules else "") + (f" --lang {lang}" if lang else ""))
    privacy = None
    try:
        named = resolve_codebook(codebook if codebook is not None else _shown(proj.codebook_path()), proj)
        doc = build_document(named, proj, rules=rules, command=command, language=lang)
        if proj is None:  # a codebook file alone: no key to apply
            text = export_codebook(doc, fmt, output, force=force)
        else:
            with export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="codebook export") as privacy:
                text = export_codebook(pseudonymize_codebook(doc, privacy.pseudo), fmt, output, force=force)
                if text is not None and privacy.audited:  # stdout: audited as a file first
                    with temp_folder("stdout") as scratch, atomic_write(scratch / f"codebook.{fmt}") as tmp:
                        tmp.write_text(text, encoding="utf-8")
    finally:
        if proj is not None:
            proj.close()
    if privacy is not None:
        privacy_notes(privacy)
    if text is not None:
        write_stdout(text, fmt)
        return
    counts = "with counts from the project" if doc.counted else "without counts (no project)"
    console().print(f"wrote {output} ({fmt}, {len(doc.entries)} codes, {counts})", markup=False)


@codebook_app.command("import")
def import_cli(
    file: Annotated[Path, typer.Argument(help="REFI-QDA codebook (.qdc) to read.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="YAML codebook to write (default or '-': printed on stdout).")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", help="The codebook's title (default: 'Imported from FILE').")] = None,
    like: Annotated[Path | None, typer.Option(
        "--like", help="A qualcode codebook (e.g. the one exported): codes found there by name keep its slugs, "
                       "rules, exclusions and unit.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """A qualcode YAML codebook from a REFI-QDA codebook (.qdc): names, tree, definitions, colours.

    Descriptions go back into the MacQueen fields when they follow qualcode's layout
    (else into the definition); each code gets a slug made from its name. What REFI-QDA
    cannot carry (rules, exclusions, unit) is said on stderr, one line per kind; with
    --like CODEBOOK, the codes found there by name keep its slugs, rules and unit.
    """
    if is_stdout(output):  # "-o -": what no --output does
        output = None
    result = import_codebook(file, output, force=force, title=title, like=like)
    err = console(stderr=True)
    for line in result.notes:
        err.print(f"note: {line}", markup=False, highlight=False)
    if output is None:
        write_stdout(result.yaml, "yaml")
        return
    console().print(f"wrote {output}: {result.codes} codes from {file}", markup=False, highlight=False)


# --------------------------------------------------------------------------- revisions


def _done(report, json: bool) -> None:
    if json:
        print_json(report.to_dict())
        return
    out = console()
    out.print(report.summary, markup=False)
    out.print(f"codebook {report.codebook}: version {report.version_before} -> {report.version_after}; "
              f"backup {report.backup} ('qualcode backups restore {report.backup}' undoes this)",
              style="dim", markup=False)


@codebook_app.command("rename")
def rename_cli(
    old: Annotated[str, typer.Argument(help="Code path, e.g. identity/stigma.")],
    new: Annotated[str, typer.Argument(help="New path, same parent, e.g. identity/stigma_image.")],
    label: Annotated[str | None, typer.Option(help="Also set the code's label.")] = None,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Rename a code (and its sub-codes) in the codebook and the project; codings follow.

    If the codebook was already renamed by hand, only the project is renamed."""
    with open_project(project) as proj:
        report = revise.rename(proj, old, new, label=label, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("merge")
def merge_cli(
    codes: Annotated[list[str], typer.Argument(help="Codes to merge (paths).")],
    into: Annotated[str, typer.Option("--into", help="Target code (created if missing: give --label).")],
    label: Annotated[str | None, typer.Option(help="Label of the target, when it is created.")] = None,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Merge codes into one; their codings move to it.

    A duplicate (same document, span and coder) collapses, keeping the most decided status:
    accepted > rejected > proposed. The merged codes are commented out in the codebook."""
    with open_project(project) as proj:
        report = revise.merge(proj, codes, into, label=label, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("move")
def move_cli(
    code: Annotated[str, typer.Argument(help="Code path to move (with its sub-codes).")],
    under: Annotated[str | None, typer.Option("--under", help="New parent code path.")] = None,
    top: Annotated[bool, typer.Option("--top", help="Move to the top level.")] = False,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Move a code under another parent (it goes last among its children); codings follow."""
    if bool(under) == top:
        raise UsageError("give exactly one of --under PARENT and --top")
    with open_project(project) as proj:
        report = revise.move(proj, code, None if top else under, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("split")
def split_cli(
    code: Annotated[str, typer.Argument(help="Code path to split.")],
    targets: Annotated[list[str], typer.Argument(
        metavar="X Y...", help="Target codes: slugs (siblings of CODE) or paths.")],
    into: Annotated[bool, typer.Option("--into", help="Optional, for readability: split CODE --into X Y.")] = False,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Split a code: its codings go to the review queue, to be assigned to X or Y.

    New targets take the code's place in the codebook; the code is retired (kept, hidden).
    Queued: the codings made or accepted by people; pending rule proposals are left to
    autocode and rejected codings stay on the retired code."""
    with open_project(project) as proj:
        report = revise.split(proj, code, targets, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("retire")
def retire_cli(
    code: Annotated[str, typer.Argument(help="Code path to retire (with its sub-codes).")],
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Retire a code (and its sub-codes): hidden from reports, codings kept.

    Its entry is commented out in the codebook, so its rules no longer apply;
    'qualcode codebook restore CODE' brings it back."""
    with open_project(project) as proj:
        report = revise.retire(proj, code, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("restore")
def restore_cli(
    code: Annotated[str, typer.Argument(help="Retired code path.")],
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Bring a retired code back into the codebook and the reports."""
    with open_project(project) as proj:
        report = revise.restore(proj, code, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("add")
def add_cli(
    path: Annotated[str, typer.Argument(help="Path of the new code, e.g. identity/nostalgia.")],
    label: Annotated[str, typer.Option(help="Label of the code.")],
    definition: Annotated[str | None, typer.Option(help="Short definition.")] = None,
    color: Annotated[str | None, typer.Option(help="#rgb, #rrggbb or a CSS colour name.")] = None,
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Add a code to the codebook (last among its parent's children)."""
    with open_project(project) as proj:
        report = revise.add(proj, path, label=label, definition=definition, color=color, codebook_path=codebook)
    _done(report, json)


@codebook_app.command("history")
def history_cli(
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Codebook revisions and auto-coding runs: when, who, what, codebook version, codings moved."""
    with open_project(project) as proj:
        rows = revise.codebook_history(proj)
    if json:
        print_json(rows)
        return

    table = Table("#", "when (UTC)", "who", "operation", "version", "summary", box=None)
    for r in rows:
        table.add_row(str(r["id"]), r["at"].replace("+00:00", ""), r["user"], r["operation"],
                      r["version"] or "", r["summary"])
    console().print(table if rows else "No codebook history yet.")
