"""qualcode pseudo add, list, remove, reject, suggest, review, import, audit: the pseudonym key and
the re-identification check (see :mod:`qualcode.pseudo`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from qualcode.cli import app
from qualcode.cli._util import JsonOpt, ProjectOpt, console, open_project, print_json
from qualcode.cli.review import KeyReader
from qualcode.pseudo.audit import DEFAULT_K, audit_file
from qualcode.pseudo.guard import log_audit
from qualcode.pseudo.key import (
    KINDS,
    KeyEntry,
    Rejection,
    add_entry,
    list_entries,
    list_rejected,
    merge_entries,
    project_key,
    reject_name,
    remove_entry,
)
from qualcode.pseudo.suggest import Candidate, Candidates, import_sheet, suggest, write_sheet

pseudo_app = typer.Typer(
    help="Pseudonymization: the pseudonym key (add, list, remove, suggest, review, import) and the audit of "
         "exported files.",
    no_args_is_help=True,
)
app.add_typer(pseudo_app, name="pseudo")

AllOpt = Annotated[bool, typer.Option(
    "--all", help="Also the candidates rejected before (marked); accepting one takes it out of the rejected "
                  "names.")]


@pseudo_app.command("add")
def add_cli(
    name: Annotated[str, typer.Argument(help="The name to hide, as it is written (e.g. \"Martine Vasseur\").",
                                        show_default=False)],
    replacement: Annotated[str, typer.Argument(help="What is written instead (e.g. \"Mme V.\", "
                                                    "\"[son mari]\").", show_default=False)],
    kind: Annotated[str | None, typer.Option(
        "--kind", help=f"{' | '.join(KINDS)} (default: person for two capitalised words or more, else other); "
                       "a person's first and last names alone are replaced after the full name.",
        show_default=False)] = None,
    any_case: Annotated[bool, typer.Option(
        "--any-case", help="Replace a one-word name in lower case too (by default it must start with a "
                           "capital, so that 'Blanc' the surname leaves 'blanc' the colour alone).")] = False,
    note: Annotated[str, typer.Option("--note", help="A note kept with the entry.")] = "",
    key: Annotated[Path | None, typer.Option(
        "--key", help="The key file, outside the project folder (only when the project has none yet; "
                      "default: in your data folder, recorded as [pseudo] key in qualcode.toml).",
        show_default=False)] = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Add a name and its replacement to the pseudonym key (or change its replacement).

    A name rejected before (in 'pseudo review', a candidates sheet or 'pseudo reject') is no longer rejected.
    """
    with open_project(project) as proj:
        entry, new = add_entry(proj, name, replacement, kind=kind, case="any" if any_case else "auto", note=note,
                               key_path=key)
        path, entries = list_entries(proj)
    if json:
        print_json({"key": str(path), "new": new, **entry.to_dict()})
        return
    console().print(f"{'added' if new else 'changed'}: {entry.name} → {entry.replacement} ({entry.kind}); "
                    f"{len(entries)} entr{'ies' if len(entries) != 1 else 'y'} in {path}",
                    markup=False, highlight=False)


@pseudo_app.command("list")
def list_cli(json: JsonOpt = False, project: ProjectOpt = None) -> None:
    """List the key's entries (name, replacement, kind, who added it and when), then the names rejected as
    candidates (who rejected them and when)."""
    with open_project(project) as proj:
        path, entries = list_entries(proj)
        rejected = list_rejected(proj)
    if json:
        print_json({"key": str(path) if path else None, "entries": [e.to_dict() for e in entries],
                    "rejected": [r.to_dict() for r in rejected]})
        return
    out = console()
    if not entries:
        out.print(f"The pseudonym key is empty{f' ({path})' if path else ''}: add names with "
                  "'qualcode pseudo add NAME REPLACEMENT' or 'qualcode pseudo suggest'.", markup=False)
        if rejected:
            _print_rejected(out, rejected)
        return
    table = Table("name", "replacement", "kind", "added by", "added at (UTC)", box=None)
    for e in entries:
        table.add_row(Text(e.name), Text(e.replacement), e.kind + (" (any case)" if e.case == "any" else ""),
                      Text(e.added_by), e.added_at.replace("+00:00", ""))
    out.print(table)
    out.print(f"{len(entries)} entr{'ies' if len(entries) != 1 else 'y'} in {path}", markup=False, highlight=False)
    if rejected:
        _print_rejected(out, rejected)


def _print_rejected(out, rejected: list[Rejection]) -> None:
    table = Table("rejected name", "kind", "rejected by", "rejected at (UTC)", box=None)
    for r in rejected:
        table.add_row(Text(r.name), r.kind, Text(r.rejected_by), r.rejected_at.replace("+00:00", ""))
    out.print(table)
    out.print(f"{len(rejected)} rejected name{'s' * (len(rejected) != 1)}: not proposed again, not reported by the "
              "audit ('qualcode pseudo remove NAME' proposes one again)", markup=False, highlight=False)


@pseudo_app.command("remove")
def remove_cli(
    name: Annotated[str, typer.Argument(help="The name to remove from the key (or from its rejected names).",
                                        show_default=False)],
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Remove a name from the pseudonym key, or a rejected name from the key file's rejected candidates (it
    is proposed again by 'pseudo suggest' and 'pseudo review', and the audit lists it again)."""
    with open_project(project) as proj:
        entry = remove_entry(proj, name)
    if isinstance(entry, Rejection):
        if json:
            print_json({"unrejected": entry.to_dict()})
            return
        console().print(f"no longer rejected: {entry.name} (proposed again)", markup=False, highlight=False)
        return
    if json:
        print_json({"removed": entry.to_dict()})
        return
    console().print(f"removed: {entry.name} → {entry.replacement}", markup=False, highlight=False)


@pseudo_app.command("reject")
def reject_cli(
    name: Annotated[str, typer.Argument(help="The name not to hide (e.g. \"Ferme\", \"Louvre\").",
                                        show_default=False)],
    kind: Annotated[str, typer.Option("--kind", help=" | ".join(KINDS))] = "other",
    note: Annotated[str, typer.Option("--note", help="A note kept with the rejection (why).")] = "",
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Record a name as not to hide: 'pseudo suggest' and 'pseudo review' no longer propose it (--all does),
    and 'pseudo audit' no longer lists it as a name not in the key.

    The rejection is kept in the key file (it holds a name: never in the project), with who rejected it and
    when; 'pseudo remove NAME' or 'pseudo add NAME REPLACEMENT' undoes it.
    """
    with open_project(project) as proj:
        rejection, new = reject_name(proj, name, kind=kind, note=note)
    if json:
        print_json({"new": new, **rejection.to_dict()})
        return
    console().print(f"{'rejected' if new else 'already rejected'}: {rejection.name} (not proposed again)",
                    markup=False, highlight=False)


@pseudo_app.command("audit")
def audit_cli(
    file: Annotated[Path, typer.Argument(help="The file to check: docx, xlsx, csv, md, tex, txt, qdpx, qdc or svg "
                                              "(made by qualcode or any other tool).", show_default=False)],
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="The file's format (default: from its extension).", show_default=False)] = None,
    k: Annotated[int, typer.Option(
        "--k", help="Smallest number of participants a cited combination of attributes may fit.", min=1,
        max=1000)] = DEFAULT_K,
    ner: Annotated[bool, typer.Option(
        "--ner/--no-ner", help="Also list the names spaCy's recogniser finds that are not in the key "
                               "(warnings, to review).")] = True,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Check a file for re-identification: names of the key, citations whose attributes fit fewer than k
    participants, and (--ner) names not in the key (but for the names rejected as candidates: counted apart).

    Exits with 1 when a name of the key or a citation under k is found (the names not in
    the key are warnings). Every export runs the same check when the project has a key; a chart
    is checked on every word it draws (titles, tick labels, legend, notes), whatever its format.
    A PDF file is not read (convert it to text first, e.g. with pdftotext); of a PNG picture only
    its text chunks are read, of an SVG its text elements and metadata, not what is drawn as
    pixels or paths (the report says so).
    """
    with open_project(project) as proj:
        key = project_key(proj)
        report = audit_file(proj, file, fmt=fmt, pseudo=key.pseudonymizer() if key is not None else None, k=k,
                            ner=ner, rejected=key.rejected_names() if key is not None else ())
        log_audit(proj, report)
    if json:
        print_json(report.to_dict())
    else:
        out = console()
        for line in report.lines():
            out.print(line, markup=False, highlight=False)
        for note in report.notes:
            out.print(f"note: {note}", markup=False, highlight=False)
        if key is None:
            out.print("note: the project has no pseudonym key: only k-anonymity and unknown names were checked",
                      markup=False, highlight=False)
        out.print(report.summary(), markup=False, highlight=False)
    if report.leaks:
        raise typer.Exit(1)


@pseudo_app.command("suggest")
def suggest_cli(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the candidates to a sheet to fill in (.xlsx or .csv: decision accept or "
                               "reject, name and replacement editable), then 'qualcode pseudo import FILE'. Keep "
                               "it with the key, not with the data.", show_default=False)] = None,
    ner: Annotated[bool, typer.Option(
        "--ner/--no-ner", help="Use spaCy's named-entity recogniser (PER, LOC, ORG) too.")] = True,
    min_count: Annotated[int, typer.Option("--min-count", help="Only candidates found at least N times.", min=1,
                                           max=1_000_000)] = 1,
    top: Annotated[int, typer.Option("--top", help="Candidates listed on the terminal.", min=1,
                                     max=1_000_000)] = 40,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")] = False,
    all_: AllOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Propose names for the pseudonym key: named entities, capitalised words inside sentences, titles and
    names, speakers, case attributes, e-mails, phone numbers, addresses — with counts and an example each.

    Names already in the key and the cases' pseudonyms are left out, and so are the candidates rejected
    before (in 'pseudo review', a sheet, or 'pseudo reject'): the summary says how many; --all lists them,
    marked (and pre-filled 'reject' in the sheet).
    """
    with open_project(project) as proj:
        candidates = suggest(proj, ner=ner, min_count=min_count, rejected=all_)
        if output is not None:
            write_sheet(proj, candidates, output, force=force)
    if json:
        print_json({"output": str(output) if output else None, "skipped_rejected": candidates.skipped_rejected,
                    "candidates": [c.to_dict() for c in candidates]})
        return
    out = console()
    table = Table("count", "name", "kind", "sources", "example", box=None)
    for c in candidates[:top]:
        table.add_row(str(c.count), Text(c.name + (" (rejected)" if c.rejected is not None else "")), c.kind,
                      ", ".join(sorted(c.sources)), Text(c.example))
    out.print(table)
    more = f" ({len(candidates) - top} more not listed: --top N, or -o FILE)" if len(candidates) > top else ""
    out.print(f"{len(candidates)} candidate{'s' * (len(candidates) != 1)}{more}{_skipped(candidates)}",
              markup=False, highlight=False)
    if output is not None:
        out.print(f"wrote {output}: mark each row accept or reject, edit names and replacements, then "
                  f"'qualcode pseudo import {output}'", markup=False, highlight=False)


@pseudo_app.command("import")
def import_cli(
    file: Annotated[Path, typer.Argument(help="A sheet written by 'qualcode pseudo suggest -o FILE' and filled in.",
                                         show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the sheet and say what would change.")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Put the accepted rows of a candidates sheet in the pseudonym key (remove: the rows marked remove).

    The rows marked reject are remembered in the key file (not proposed again, not listed by the audit);
    the rows left empty are proposed again next time.
    """
    with open_project(project) as proj:
        result = import_sheet(proj, file, dry_run=dry_run)
    if json:
        print_json(result)
        return
    prefix = "would accept" if dry_run else "accepted"
    line = (f"{prefix} {result['accepted']}, rejected {result['rejected']}, removed {result['removed']}, "
            f"undecided {result['undecided']}")
    if not dry_run:
        line += (f" (key: {result['added']} added, {result['changed']} changed, {result['unchanged']} "
                 f"unchanged; {result['remembered']} newly rejected, {result['unrejected']} no longer rejected)")
    console().print(line, markup=False, highlight=False)


def _skipped(candidates: Candidates) -> str:
    n = candidates.skipped_rejected
    return f"; {n} skipped as rejected before (--all shows them)" if n else ""


# --------------------------------------------------------------------------- review in the terminal

REVIEW_KEYS = [
    ("a", "accept: the name goes in the key with the proposed replacement"),
    ("e", "edit: type another replacement (and, if you wish, the name as it should be matched), then accept"),
    ("r", "reject: not a name to hide (remembered in the key file: not proposed again)"),
    ("s", "skip: decide later"),
    ("q", "quit: the names accepted so far are saved in the key (Ctrl-C and the end of input too)"),
    ("?", "this help"),
]
_REVIEW_WORDS = {"accept": "a", "edit": "e", "reject": "r", "skip": "s", "quit": "q", "help": "?", "h": "?"}


@dataclass
class KeyReview:
    """What a ``pseudo review`` session decided, and what it saved."""

    accepted: list[KeyEntry] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    skipped: int = 0
    left: int = 0  # candidates not reached (quit)
    saved: dict[str, int] = field(default_factory=dict)  # merge_entries' counts

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def line(self) -> str:
        return (f"{len(self.accepted)} accepted, {self.rejected} rejected, {self.skipped} skipped"
                + (f", {self.left} not reviewed" if self.left else ""))

    def to_dict(self) -> dict:
        return {"accepted": [{"name": e.name, "replacement": e.replacement, "kind": e.kind} for e in self.accepted],
                "rejected": self.rejected, "skipped": self.skipped, "left": self.left, "saved": self.saved}


def _render_candidate(out, c: Candidate, position: int, total: int) -> None:
    head = Text()
    head.append(f"{position}/{total}  ", style="bold")
    head.append(c.name, style="bold")
    head.append(f" · {c.kind} · {c.count} occurrence{'s' * (c.count != 1)} · {', '.join(sorted(c.sources))}")
    body = Text()
    if c.rejected is not None:
        body.append(f"rejected before by {c.rejected.rejected_by or '?'} on "
                    f"{c.rejected.rejected_at[:10] or '?'}\n", style="bold")
    if c.example:
        body.append(c.document + ": ", style="dim")
        example = Text(c.example)
        example.highlight_words([c.name], style="bold reverse", case_sensitive=False)
        body.append_text(example)
        body.append("\n")
    body.append("proposed replacement: ", style="bold")
    body.append(c.replacement)
    out.print(Panel(body, title=head, title_align="left"), soft_wrap=False)


def review_candidates(project, candidates: list[Candidate], *, reader, out) -> KeyReview:
    """Step through ``candidates`` (from :func:`~qualcode.pseudo.suggest.suggest`) in the
    terminal: accept with the proposed or an edited replacement, reject, skip, quit. The
    accepted names are put in the key and the rejected ones remembered in the key file
    (not proposed again) at the end — on ``q``, at the end of the list or of the input,
    or on Ctrl-C — in one transaction with one history entry; nothing is
    written before (a crash in the middle leaves the key as it was). ``reader``: a
    :class:`~qualcode.cli.review.KeyReader` (``key()`` and ``line()``), scripted in tests."""
    review = KeyReview()
    i = 0
    try:
        while i < len(candidates):
            c = candidates[i]
            _render_candidate(out, c, i + 1, len(candidates))
            key = reader.key("a accept  e edit  r reject  s skip  q quit  ? help ")
            key = _REVIEW_WORDS.get(key, key)
            if key == "q":
                break
            if key in ("", "?"):
                for k, what in REVIEW_KEYS:
                    out.print(f"  [bold]{escape(k):>2}[/]  {escape(what)}", markup=True)
                continue
            if key == "a":
                review.accepted.append(KeyEntry(c.name, c.replacement, c.kind))
                out.print(f"accepted: {c.name} → {c.replacement}", markup=False, highlight=False)
            elif key == "e":
                replacement = " ".join(reader.line(f"replacement (empty: {c.replacement}) ").split())
                name = " ".join(reader.line(f"name to match (empty: {c.name}) ").split())
                entry = KeyEntry(name or c.name, replacement or c.replacement, c.kind)
                review.accepted.append(entry)
                out.print(f"accepted: {entry.name} → {entry.replacement}", markup=False, highlight=False)
            elif key == "r":
                review.rejections.append(Rejection(c.name, c.kind if c.kind in KINDS else "other"))
            elif key == "s":
                review.skipped += 1
            else:
                out.print(f"unknown key {key!r}: ? for help", markup=False)
                continue
            i += 1
        else:
            out.print("End of the list.", markup=False)
    except EOFError:
        out.print()
    except KeyboardInterrupt:
        out.print("\ninterrupted", markup=False)
    review.left = len(candidates) - i
    # the same name accepted twice (edited to an existing one): the last decision wins
    unique: dict[str, KeyEntry] = {}
    for entry in review.accepted:
        unique[" ".join(entry.name.split()).casefold()] = entry
    review.accepted = list(unique.values())
    if review.accepted or review.rejections:
        review.saved = merge_entries(project, review.accepted, [], "pseudo review", rejected=review.rejections)
    return review


@pseudo_app.command("review")
def review_cli(
    ner: Annotated[bool, typer.Option(
        "--ner/--no-ner", help="Use spaCy's named-entity recogniser (PER, LOC, ORG) too.")] = True,
    min_count: Annotated[int, typer.Option("--min-count", help="Only candidates found at least N times.", min=1,
                                           max=1_000_000)] = 1,
    all_: AllOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Review the candidates of 'pseudo suggest' one by one in the terminal: accept (with the proposed or an
    edited replacement), reject, skip, quit.

    Keys: a accept, e edit the replacement, r reject, s skip, q quit, ? help. Each candidate shows its count,
    sources and an example in context. When the session ends (q, the end of the list, Ctrl-C) the names
    accepted are put in the key and the ones rejected are remembered in the key file (who, when), all at
    once; the rejected ones are not proposed again (--all shows them, marked; 'pseudo remove NAME' proposes
    one again), the skipped ones are. The spreadsheet round trip ('pseudo suggest -o FILE', 'pseudo import
    FILE') does the same.
    """
    out = console()
    with open_project(project) as proj:
        candidates = suggest(proj, ner=ner, min_count=min_count, rejected=all_)
        if not candidates:
            out.print(f"No candidate: every name found is in the key already{_skipped(candidates)}.", markup=False,
                      highlight=False)
            return
        out.print(f"{len(candidates)} candidate{'s' * (len(candidates) != 1)}, most frequent first"
                  f"{_skipped(candidates)}. Keys: a accept · e edit · r reject · s skip · q quit · ? help",
                  markup=False, highlight=False)
        review = review_candidates(proj, candidates, reader=KeyReader(out), out=out)
        path, entries = list_entries(proj)
    saved = review.saved
    out.print(f"This session: {review.line()}.", markup=False, highlight=False)
    if saved:
        out.print(f"Key {path}: {saved['added']} added, {saved['changed']} changed, {saved['unchanged']} unchanged "
                  f"({len(entries)} entr{'ies' if len(entries) != 1 else 'y'}); {saved['remembered']} newly "
                  f"rejected, {saved['unrejected']} no longer rejected.", markup=False, highlight=False)
    else:
        out.print("Nothing accepted or rejected: the key is unchanged.", markup=False)
