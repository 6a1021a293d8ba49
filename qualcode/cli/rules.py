"""qualcode autocode, explain, kwic: the codebook's rules on the transcripts (apply them, see why
they fire in a turn, search the words to write them)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from qualcode.annotations import load_annotations, load_pattern_matches, load_term_cache
from qualcode.autocode import autocode
from qualcode.cli import app
from qualcode.cli._util import (
    MAX_ID,
    MAX_WIDTH,
    CodebookOpt,
    JsonOpt,
    ProjectOpt,
    console,
    open_project,
    print_json,
    progress_callback,
)
from qualcode.codebook import load_codebook
from qualcode.codebook.renames import RenameSuspected
from qualcode.codebook.revise import accept_rename
from qualcode.errors import QualcodeError
from qualcode.kwic import kwic
from qualcode.lookup import select_documents
from qualcode.nlp import load_pipeline
from qualcode.pseudo.key import active_pseudonymizer
from qualcode.rules import PatternCache, compile_codebook, explain, term_cache_key


@app.command("autocode")
def autocode_cli(
    codebook: CodebookOpt = None,
    docs: Annotated[str | None, typer.Option(help="Comma-separated document names (default: all).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the changes, write nothing.")] = False,
    include_interviewer: Annotated[bool, typer.Option(
        "--include-interviewer", help="Code interviewer turns too.")] = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Apply the codebook's rules: proposals by coder 'rules', with the rule that matched."""
    names = [n.strip() for n in docs.split(",") if n.strip()] if docs else None
    with open_project(project) as proj:
        total = proj.store.documents.total_characters()
        progress, callback = progress_callback(total) if not json else (None, None)

        def run():
            if progress:
                with progress:
                    return autocode(proj, codebook, documents=names, dry_run=dry_run,
                                    include_interviewer=include_interviewer, progress=callback)
            return autocode(proj, codebook, documents=names, dry_run=dry_run,
                            include_interviewer=include_interviewer)

        try:
            report = run()
        except RenameSuspected as exc:
            # On a terminal, ask whether the code was renamed by hand; else refuse (the
            # message names the 'qualcode codebook rename' command to run).
            if not confirm_renames(proj, exc):
                raise
            report = run()
    if json:
        print_json(report.to_dict())
        return
    out = console()

    out.print(f"Codebook {report.codebook} (version {report.version})", markup=False)
    out.print(f"Pipeline: {report.pipeline_description}", markup=False)
    out.print(f"{report.documents} documents: {report.annotated} annotated, {report.cached} from the cache")
    table = Table("code", "added", "removed", "rule codings", box=None)
    for path, d in report.per_code.items():
        table.add_row(path, f"+{d.added}" if d.added else "", f"-{d.removed}" if d.removed else "", str(d.total))
    out.print(table)
    verb = "would change" if dry_run else "changed"
    if report.added or report.removed:
        out.print(f"{verb}: +{report.added} -{report.removed} rule codings"
                  + (" (dry run: nothing written)" if dry_run else ""))
    else:
        out.print("no change: the rule codings are up to date")


@app.command("explain")
def explain_cli(
    document: Annotated[str, typer.Argument(help="Document name.")],
    turn: Annotated[int, typer.Argument(help="Turn number (as in 'qualcode show').", min=1, max=MAX_ID)],
    codebook: CodebookOpt = None,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Show which rules fire where in one turn, with the matched words highlighted."""
    with open_project(project) as proj:
        cb = load_codebook(proj.codebook_path(codebook))
        pipeline = load_pipeline(proj.language)
        # the terms' analyses and the pattern matches that autocode keeps: the pipeline is
        # loaded only for a term not analysed yet, spaCy's Matcher only for a turn not coded
        term_key = term_cache_key(pipeline)
        terms = load_term_cache(proj, term_key)
        known = set(terms)
        compiled = compile_codebook(cb, pipeline, term_cache=terms)
        doc = select_documents(proj, [document], suggest_names=False)[0]
        turns = proj.store.documents.turns(doc.id)
        if not 1 <= turn <= len(turns):
            raise QualcodeError(f"{document} has turns 1 to {len(turns)}, not {turn}")
        with proj.store.transaction():  # caching an annotation or a term's analysis: the only writes
            annotations, _, _ = load_annotations(proj, [doc], pipeline)
            if not proj.store.read_only:
                proj.store.annotations.put_terms(term_key, {t: a for t, a in terms.items() if t not in known})
        cache = PatternCache(load_pattern_matches(proj, [doc.id]).get(doc.id) if compiled.patterns else None)
        # the interviewer's interjections ("[E: Hum hum.]"): autocode leaves their words out
        quiet = [(x.start, x.end) for x in proj.store.interjections.of_document(doc.id) if x.role == "interviewer"]
        ex = explain(compiled, annotations[doc.id], turn - 1, [t.role for t in turns], quiet=quiet,
                     pattern_cache=cache)
    t = turns[turn - 1]
    if json:
        print_json({
            "document": document, "turn": turn, "speaker": t.speaker, "role": t.role,
            "skipped": ex.skipped, "text": doc.text[ex.start:ex.end],
            "hits": [{"code": h.code_path, "rule": h.rule_id, "kind": h.kind, "exclude": h.exclude,
                      "blocked": h.blocked, "unit": h.unit_kind, "unit_start": h.unit_start,
                      "unit_end": h.unit_end,
                      "matches": [{"start": m.start, "end": m.end, "text": m.text,
                                   "in_interjection": ex.in_interjection(m)} for m in h.matches]}
                     for h in ex.hits],
            "proposals": [{"code": p.code_path, "unit": p.unit_kind, "start": p.start, "end": p.end,
                           "origin": p.origin} for p in ex.proposals],
        })
        return

    out = console()
    out.print(f"[bold]{escape(document)}[/], turn {turn} ({escape(t.speaker or 'no speaker')}, {t.role})",
              markup=True)
    body = Text(doc.text[ex.start:ex.end])
    for h in ex.hits:
        style = "bold red" if h.exclude else ("yellow" if h.blocked else "bold green")
        for m in h.matches:
            body.stylize(style, m.start - ex.start, m.end - ex.start)
    out.print(body)
    if ex.skipped:
        out.print("[dim]interviewer turn: autocode skips it (use --include-interviewer)[/]", markup=True)
    table = Table("code", "rule", "matched", "unit", "effect", box=None)
    for h in ex.hits:
        effect = "excludes" if h.exclude else ("blocked by exclude" if h.blocked else "codes")
        if not h.exclude and all(ex.in_interjection(m) for m in h.matches):
            effect = "none: in the interviewer's interjection"
        table.add_row(h.code_path, h.rule_id, ", ".join(repr(m.text) for m in h.matches), h.unit_kind, effect)
    out.print(table if ex.hits else "No rule fires in this turn.")
    if ex.proposals:
        out.print("Proposed: " + ", ".join(f"{p.code_path} ({p.unit_kind})" for p in ex.proposals))


@app.command("kwic")
def kwic_cli(
    term: Annotated[str, typer.Argument(help="A word, a multi-word term, or a prefix ending in *.")],
    lemma: Annotated[bool, typer.Option("--lemma",
                                        help="Match every inflection (lemma), as codebook terms do.")] = False,
    by: Annotated[str | None, typer.Option(help="Group lines by this case attribute (e.g. group).")] = None,
    width: Annotated[int, typer.Option(help="Characters of context on each side.", min=0, max=MAX_WIDTH)] = 40,
    include_interviewer: Annotated[bool, typer.Option("--include-interviewer")] = False,
    pseudo: Annotated[bool, typer.Option(
        "--pseudo", help="Replace the names of the pseudonym key in what is shown (see 'qualcode pseudo').")]
    = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Keyword in context: every occurrence of TERM with its context, to help write rules."""
    with open_project(project) as proj:
        lines = kwic(proj, term, lemma=lemma, by=by, width=width, include_interviewer=include_interviewer,
                     pseudo=active_pseudonymizer(proj, True) if pseudo else None)
    if json:
        print_json(lines)
        return

    out = console()
    groups: dict = {}
    for line in lines:
        groups.setdefault(line.get("group"), []).append(line)
    ref_width = max((len(f"{x['document']}:{x['turn']}") for x in lines), default=0)
    for group, items in groups.items():
        if by:
            out.print(f"[bold]{escape(by)} = {escape(str(group))}[/] ({len(items)})", markup=True)
        for x in items:
            ref = f"{x['document']}:{x['turn']}".ljust(ref_width)
            out.print(f"[dim]{escape(ref)}[/] {escape(x['left'].rjust(width))} "
                      f"[bold reverse]{escape(x['match'])}[/] {escape(x['right'])}", markup=True)
    out.print(f"{len(lines)} occurrences of {term!r}" + (" (lemma)" if lemma else ""))


def confirm_renames(project, error) -> bool:
    """For ``qualcode autocode`` on a terminal: ask whether each suspected hand-made rename
    (:class:`~qualcode.codebook.revise.RenameSuspected`) is one, and rename in the project
    those confirmed. Returns True when all were confirmed (autocode can run again)."""
    if not sys.stdin.isatty():
        return False
    out = console(stderr=True)
    confirmed = True
    for c in error.candidates:
        out.print(f"{c.old} ({c.codings} codings by people) disappeared from the codebook and {c.new} "
                  "looks the same.", markup=False)
        if typer.confirm(f"Did you rename {c.old} to {c.new}?", default=False):
            report = accept_rename(project, c.old, c.new)
            out.print(report.summary, markup=False)
        else:
            confirmed = False
    return confirmed
