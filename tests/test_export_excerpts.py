"""`qualcode export excerpts` and the excerpts library, on a small real project.

The fixture project: two transcripts (one with `[HH:MM:SS] Name :` timestamps), a
participants file with pseudonym and group, a codebook's codes in the codes table and
codings inserted on known spans. Every expected citation below was written by hand.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import Coding, Runner, add_codings, assert_offsets_sacred, build_project, write

from qualcode.autocode import _record_version
from qualcode.cases import import_cases
from qualcode.codebook import load_codebook
from qualcode.codebook.sync import sync_codes
from qualcode.exporters.base import provenance_for
from qualcode.exporters.excerpts import (
    collect_excerpts,
    excerpt_line,
    md_escape,
    tex_escape,
    write_excerpts,
)
from qualcode.ingest import import_paths
from qualcode.project import Project

NB = "\u00a0"
NN = "\u202f"

CODEBOOK = """\
title: Test book
language: fr
codes:
  - code: identity
    label: Identité
    definition: Rapport au passé minier.
    children:
      - code: mining_memory
        label: Mémoire minière
        definition: "Évocation du passé minier : travail, familles."
      - code: stigma
        label: Stigmate
  - code: heritage
    label: Patrimoine
  - code: old
    label: Ancien code
"""

JOSIANE = (
    "[00:14:00] Enquêtrice : Et la mine ?\n"
    "[00:14:32] Josiane : Mon père était mineur. [E : d'accord] Il descendait à la fosse.\n"
    "On en parlait pas : c'était dur.\n"
    "[00:15:10] Enquêtrice : Et le Louvre ?\n"
    "[00:15:12] Josiane : C'est \"notre\" fierté, vraiment ! Et les touristes ?\n"
)

DUFOUR = (
    "Enquêtrice : Bonjour.\n"
    "Mme Dufour : Le bassin minier, c'est l'Unesco maintenant.\n"
    "Enquêtrice : Et alors ?\n"
    "Mme Dufour : Les gens ont eu honte & 50 % partent {vraiment} #1 ~ ^ $ \\o/ fin_de *tout*.\n"
)

PARTICIPANTS = (
    "case;pseudonym;document;group\n"
    "P07;Josiane;entretien_07;resident\n"
    "P01;Mme Dufour;entretien_01;local_actor\n"
)

# The expected lines, by hand: collapsed whitespace, French spacing, « » with U+00A0.
MEMORY_SHORT = (f"«{NB}Mon père était mineur.{NB}» "
                f"(P07, Josiane, resident, tour{NB}2, 00:14:32)")
MEMORY_TURN = (f"«{NB}Mon père était mineur. [E{NB}: d'accord] Il descendait à la fosse. "
               f"On en parlait pas{NB}: c'était dur.{NB}» "
               f"(P07, Josiane, resident, tour{NB}2, 00:14:32)")
HERITAGE = (f"«{NB}C'est “notre” fierté, vraiment{NN}!{NB}» "
            f"(P07, Josiane, resident, tour{NB}4, 00:15:12)")
STIGMA_TEXT = "Les gens ont eu honte & 50 % partent {vraiment} #1 ~ ^ $ \\o/ fin_de *tout*."
STIGMA = f"«{NB}{STIGMA_TEXT}{NB}» (P01, Mme Dufour, local_actor, tour{NB}4)"


def add_coding(project: Project, document: str, code: str, snippet: str, *, coder: str = "rules",
               status: str = "proposed", unit: str = "sentence") -> None:
    add_codings(project, [Coding(document, snippet, code, coder=coder, status=status, unit=unit)])


def build(project: Project, tmp_path) -> Project:
    build_project(project, tmp_path / "src", codebook=CODEBOOK,
                  documents={"entretien_07": JOSIANE, "entretien_01": DUFOUR}, participants=PARTICIPANTS,
                  one_import=True)
    book = project.root / "codebooks" / "test.yaml"
    codebook = load_codebook(book)
    with project.store.transaction():
        sync_codes(project, codebook)
        _record_version(project, codebook, book)
        project.store.execute("UPDATE codes SET status = 'retired' WHERE path = 'old'")
    add_coding(project, "entretien_07", "identity/mining_memory", "Mon père était mineur.")
    add_coding(project, "entretien_07", "identity/mining_memory", "Mon père était mineur.",
               coder="camille", status="accepted")
    add_coding(project, "entretien_07", "identity/mining_memory",
               "Mon père était mineur. [E : d'accord] Il descendait à la fosse.\nOn en parlait pas : c'était dur.",
               unit="turn")
    add_coding(project, "entretien_07", "heritage", "C'est \"notre\" fierté, vraiment !")
    add_coding(project, "entretien_01", "heritage", "Le bassin minier, c'est l'Unesco maintenant.",
               coder="camille", status="rejected")
    add_coding(project, "entretien_01", "identity/stigma", STIGMA_TEXT)
    add_coding(project, "entretien_01", "old", "Bonjour.")
    return project


@pytest.fixture
def proj(project, tmp_path) -> Project:
    return build(project, tmp_path)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def run_ok(cli: Runner, *args):
    res = cli("export", "excerpts", *args)
    assert res.exit_code == 0, res.output
    return res


# ------------------------------------------------------------------ library


def test_collect_follows_the_tree_and_merges_coders(proj):
    data = collect_excerpts(proj)
    assert [(c.path, c.depth) for c in data.codes] == [
        ("identity", 0), ("identity/mining_memory", 1), ("identity/stigma", 1), ("heritage", 0)]
    memory = data.codes[1]
    assert memory.total == 2  # three codings, two spans: the span coded twice is one excerpt
    short = memory.excerpts[0]
    assert short.display_text == "Mon père était mineur."
    assert short.coders == ["camille", "rules"]
    assert short.statuses == ["accepted", "proposed"]
    assert (short.case, short.pseudonym, short.value, short.turn, short.timestamp) == (
        "P07", "Josiane", "resident", 2, "00:14:32")
    assert data.attribute == "group" and data.by is None
    assert data.values == ["local_actor", "resident"]
    # the rejected coding is left out by default, and is the only one with --status rejected
    assert [e.document for e in data.codes[3].excerpts] == ["entretien_07"]
    rejected = collect_excerpts(proj, statuses=["rejected"])
    assert [(c.path, [e.display_text for e in c.excerpts]) for c in rejected.codes if c.total] == [
        ("heritage", ["Le bassin minier, c'est l'Unesco maintenant."])]
    for code in data.codes:
        for ex in code.excerpts:
            assert proj.store.documents.by_name(ex.document).text[ex.start:ex.end] == ex.text
    assert_offsets_sacred(proj)


def test_code_selection_includes_sub_codes_and_coder_filter(proj):
    data = collect_excerpts(proj, codes=["identity"])
    assert [c.path for c in data.codes] == ["identity", "identity/mining_memory", "identity/stigma"]
    only = collect_excerpts(proj, codes=["identity/mining_memory"])
    assert [(c.path, c.depth) for c in only.codes] == [("identity/mining_memory", 0)]
    camille = collect_excerpts(proj, coders=["camille"])
    assert [(c.path, c.total) for c in camille.codes] == [
        ("identity", 0), ("identity/mining_memory", 1), ("identity/stigma", 0), ("heritage", 0)]
    assert camille.codes[1].excerpts[0].coders == ["camille"]


def test_citation_lines_french(proj):
    data = collect_excerpts(proj)
    memory, stigma, heritage = data.codes[1], data.codes[2], data.codes[3]
    lines = [excerpt_line(e, "fr", data.attribute) for e in memory.excerpts]
    assert lines == [MEMORY_SHORT, MEMORY_TURN]
    assert excerpt_line(heritage.excerpts[0], "fr", data.attribute) == HERITAGE
    assert excerpt_line(stigma.excerpts[0], "fr", data.attribute) == STIGMA


def test_speaker_case_wins_over_document_case(proj):
    """In a focus group a speaker is linked to a case: the citation names that case."""
    store = proj.store
    with store.transaction():
        p02 = store.cases.ensure("P02")
        store.cases.set_attribute(p02, "pseudonym", "Gérard")
        store.cases.set_attribute(p02, "group", "resident")
        store.execute("UPDATE speakers SET case_id = ? WHERE label = 'Mme Dufour'", (p02,))
    stigma = collect_excerpts(proj, codes=["identity/stigma"]).codes[0].excerpts[0]
    assert (stigma.case, stigma.pseudonym, stigma.value) == ("P02", "Gérard", "resident")


def test_interviewer_words_cite_the_interviewer(proj):
    add_coding(proj, "entretien_07", "heritage", "Et la mine ?")
    data = collect_excerpts(proj, codes=["heritage"])
    first = data.codes[0].excerpts[0]
    assert (first.case, first.value, first.role) == (None, None, "interviewer")
    assert excerpt_line(first, "fr", data.attribute) == (
        f"«{NB}Et la mine{NN}?{NB}» (Enquêtrice, tour{NB}1, 00:14:00)")
    assert_offsets_sacred(proj)


def test_english_project_quotes_and_turns(tmp_path):
    project = Project.init(tmp_path / "en", language="en")
    try:
        src = write(tmp_path / "en_src" / "interview_03.txt",
                    "[00:01:05] Interviewer: And then?\n[00:01:09] Ann: We moved away: it was hard.\n")
        import_paths(project, [str(src)])
        book = write(project.root / "codebooks" / "b.yaml", "title: B\nlanguage: en\ncodes:\n  - code: moving\n")
        with project.store.transaction():
            sync_codes(project, load_codebook(book))
        add_coding(project, "interview_03", "moving", "We moved away: it was hard.")
        data = collect_excerpts(project)
        assert data.attribute is None
        assert excerpt_line(data.codes[0].excerpts[0], "en") == \
            "“We moved away: it was hard.” (turn 2, 00:01:09)"
    finally:
        project.close()


def test_sample_is_reproducible_and_per_value(project, tmp_path):
    turns = "".join(f"[00:{i:02d}:00] Marcel : Phrase numéro {i} sur la fosse.\n"
                    f"[00:{i:02d}:30] Enquêtrice : Oui.\n" for i in range(12))
    write(tmp_path / "src" / "marcel.txt", turns)
    write(tmp_path / "src" / "ines.txt", turns.replace("Marcel", "Inès"))
    import_paths(project, [str(tmp_path / "src")])
    import_cases(project, write(tmp_path / "p.csv", "case,document,group\nP06,marcel,resident\nP09,ines,youth\n"))
    book = write(project.root / "codebooks" / "b.yaml", "title: B\nlanguage: fr\ncodes:\n  - code: fosse\n")
    with project.store.transaction():
        sync_codes(project, load_codebook(book))
    for doc in ("marcel", "ines"):
        for i in range(12):
            add_coding(project, doc, "fosse", f"Phrase numéro {i} sur la fosse.")

    full = collect_excerpts(project).codes[0].excerpts
    assert len(full) == 24

    def spans(**kw):
        return [(e.document, e.start) for e in collect_excerpts(project, **kw).codes[0].excerpts]

    a = spans(max_per_code=5, seed=11)
    assert a == spans(max_per_code=5, seed=11)
    assert len(a) == 5 and len(set(a)) == 5
    order = [(e.document, e.start) for e in full]
    assert a == sorted(a, key=order.index)  # a subset, in document order
    assert len({tuple(spans(max_per_code=5, seed=s)) for s in range(1, 6)}) > 1
    grouped = collect_excerpts(project, by="group", max_per_code=3, seed=11)
    code = grouped.codes[0]
    assert code.counts == {"resident": 12, "youth": 12} and code.total == 24
    assert sorted(e.value for e in code.excerpts) == ["resident"] * 3 + ["youth"] * 3
    assert [(v, len(ex), total) for v, ex, total in code.groups(grouped.values)] == [
        ("resident", 3, 12), ("youth", 3, 12)]
    # without a seed one is drawn and kept, so the sample can be made again
    drawn = collect_excerpts(project, max_per_code=4)
    assert drawn.seed is not None
    assert [(e.document, e.start) for e in drawn.codes[0].excerpts] == spans(max_per_code=4, seed=drawn.seed)
    assert_offsets_sacred(project)


def test_write_excerpts_library_call(proj, out):
    data = collect_excerpts(proj, codes=["heritage"])
    prov = provenance_for(proj, "python", filters=data.filters())
    path = write_excerpts(data, "md", out / "h.md", prov)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"<!-- {prov.line()} -->"
    assert f"> {md_escape(HERITAGE)}" in lines
    with pytest.raises(Exception, match="already exists"):
        write_excerpts(data, "md", out / "h.md", prov)
    write_excerpts(data, "md", out / "h.md", prov, force=True, language="en")
    assert any(line.startswith("> “C'est \"notre\" fierté, vraiment !”") for line in
               (out / "h.md").read_text(encoding="utf-8").splitlines())


# ------------------------------------------------------------------ CLI and formats


def test_docx_styles_citations_table_and_provenance(proj, cli, out):
    from docx import Document
    from docx.oxml.ns import qn

    res = run_ok(cli, "--by", "group", "--format", "docx", "--output", out / "x.docx")
    assert "wrote 4 of 4 excerpts of 4 codes" in res.stdout
    doc = Document(str(out / "x.docx"))
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    provenance = paras[0][1]
    assert provenance.startswith("qualcode: project: proj; command: qualcode export excerpts --by group --format docx")
    assert "codebook: Test book (version " in provenance and "filters: by=group, status=proposed,accepted" in provenance
    footer = doc.sections[0].footer.paragraphs[0].text  # project and command, no folders
    created = provenance.split("created: ")[1].split(";")[0]
    assert footer == provenance.split("; codebook: ")[0] + "; created: " + created
    assert paras[1] == ("Title", "Extraits codés – proj")
    body = [p for p in paras if p[0] in ("Heading 1", "Heading 2", "Heading 3", "Quote")]
    assert body == [
        ("Heading 1", "Identité"),
        ("Heading 2", "Mémoire minière"),
        ("Heading 3", f"groupe{NB}: resident (2 extraits)"),
        ("Quote", MEMORY_SHORT),
        ("Quote", MEMORY_TURN),
        ("Heading 2", "Stigmate"),
        ("Heading 3", f"groupe{NB}: local_actor (1 extrait)"),
        ("Quote", STIGMA),
        ("Heading 1", "Patrimoine"),
        ("Heading 2", f"groupe{NB}: resident (1 extrait)"),
        ("Quote", HERITAGE),
    ]
    # the definition, italic, right under its heading
    i = paras.index(("Heading 2", "Mémoire minière"))
    assert paras[i + 1] == ("Normal", f"Évocation du passé minier{NB}: travail, familles.")
    assert all(r.italic for r in doc.paragraphs[i + 1].runs)
    table = doc.tables[0]
    assert table.style.name == "Table Grid"
    grid = [[c.text for c in row.cells] for row in table.rows]
    assert grid == [["Code", "local_actor", "resident", "Total"],
                    ["Identité", "0", "0", "0"],
                    ["Mémoire minière", "0", "2", "2"],
                    ["Stigmate", "1", "0", "1"],
                    ["Patrimoine", "0", "1", "1"]]
    # sub-codes indented by the paragraph, top-level codes bold; an A4 page, a SEQ caption
    assert table.rows[2].cells[0].paragraphs[0].paragraph_format.left_indent > 0
    assert table.rows[1].cells[0].paragraphs[0].runs[0].bold
    assert round(doc.sections[0].page_width.cm, 1) == 21.0
    assert " SEQ " in table._tbl.getprevious().xml
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated header row
    assert all(r.bold for c in table.rows[0].cells for r in c.paragraphs[0].runs)
    assert_offsets_sacred(proj)


def test_docx_without_by_lists_excerpts_under_the_code(proj, cli, out):
    from docx import Document

    run_ok(cli, "--code", "identity/mining_memory", "-o", out / "m.docx")
    doc = Document(str(out / "m.docx"))
    paras = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name != "Normal"]
    assert paras[-3:] == [("Heading 1", "Mémoire minière"), ("Quote", MEMORY_SHORT), ("Quote", MEMORY_TURN)]
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows] == [
        ["Code", "local_actor", "resident", "Total"], ["Mémoire minière", "0", "2", "2"]]


def test_xlsx_sheets(proj, cli, out):
    from openpyxl import load_workbook

    run_ok(cli, "--code", "identity", "--by", "group", "-o", out / "x.xlsx")
    wb = load_workbook(out / "x.xlsx")
    assert wb.sheetnames == ["excerpts", "summary", "provenance"]
    rows = list(wb["excerpts"].iter_rows(values_only=True))
    assert rows[0] == ("code", "code_label", "group", "case", "pseudonym", "speaker", "document", "turn", "time",
                       "text", "coder", "status", "origin", "start", "end")
    start = JOSIANE.index("Mon père")
    assert rows[1] == ("identity/mining_memory", "Mémoire minière", "resident", "P07", "Josiane", "Josiane",
                       "entretien_07", 2, "00:14:32", "Mon père était mineur.", "camille; rules", "accepted; proposed",
                       "manual; identity/mining_memory terms[0]", start, start + len("Mon père était mineur."))
    assert [r[9] for r in rows[1:]] == [
        "Mon père était mineur.",
        "Mon père était mineur. [E : d'accord] Il descendait à la fosse. On en parlait pas : c'était dur.",
        STIGMA_TEXT]
    assert rows[3][5:9] == ("Mme Dufour", "entretien_01", 4, None)  # no timestamps in entretien_01
    provenance = dict(list(wb["provenance"].iter_rows(values_only=True))[1:])
    assert provenance["project"] == "proj"
    assert provenance["filters"] == "codes=identity, by=group, status=proposed,accepted"
    assert provenance["coders"] == "all"
    assert provenance["codebook"].startswith("Test book (version ")
    summary = list(wb["summary"].iter_rows(values_only=True))
    assert summary[0] == ("code", "code_label", "local_actor", "resident", "Total")
    assert summary[2] == ("identity/mining_memory", "Mémoire minière", 0, 2, 2)


def test_markdown_lines(proj, cli, out):
    run_ok(cli, "--by", "group", "--coder", "rules", "-o", out / "x.md")
    lines = (out / "x.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("<!-- project: proj; command: qualcode export excerpts --by group --coder rules")
    assert lines[0].endswith(" -->") and "coders: rules" in lines[0]
    assert lines[2] == "# Extraits codés – proj"
    heads = [line for line in lines if line.startswith("#")]
    assert heads == ["# Extraits codés – proj", "## Identité", "### Mémoire minière",
                     f"#### groupe{NB}: resident (2 extraits)", "### Stigmate",
                     f"#### groupe{NB}: local_actor (1 extrait)",
                     "## Patrimoine", f"### groupe{NB}: resident (1 extrait)"]
    quotes = [line for line in lines if line.startswith("> ")]
    stigma_md = (f"> «{NB}Les gens ont eu honte & 50 % partent {{vraiment}} #1 ~ ^ $ \\\\o/ fin_de \\*tout\\*.{NB}» "
                 f"(P01, Mme Dufour, local_actor, tour{NB}4)")
    assert quotes == [f"> {MEMORY_SHORT}", f"> {md_escape(MEMORY_TURN)}", stigma_md, f"> {HERITAGE}"]  # [ ] escaped
    assert "| Code | local_actor | resident | Total |" in lines
    assert f"| {NB * 4}Mémoire minière | 0 | 2 | 2 |" in lines


def test_tex_escaping(proj, cli, out):
    run_ok(cli, "--code", "identity/stigma", "-o", out / "x.tex")
    lines = (out / "x.tex").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("% project: proj; command: qualcode export excerpts --code identity/stigma")
    assert "babel" in lines[1] and lines[1].startswith("%")
    assert "\\section{Stigmate}" in lines
    i = lines.index("\\begin{quote}")
    assert lines[i + 1] == (
        "«~Les gens ont eu honte \\& 50 \\% partent \\{vraiment\\} \\#1 \\textasciitilde{} "
        "\\textasciicircum{} \\$ \\textbackslash{}o/ fin\\_de *tout*.~» "
        "(P01, Mme Dufour, local\\_actor, tour~4)")
    assert lines[i + 2] == "\\end{quote}"
    assert "Code & local\\_actor & resident & Total \\\\" in lines
    assert tex_escape("a\\b{c}") == "a\\textbackslash{}b\\{c\\}"


def test_csv_with_bom_and_provenance_comment(proj, cli, out):
    run_ok(cli, "-o", out / "x.csv")
    raw = (out / "x.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# project: proj;")
    text = raw.decode("utf-8-sig")
    first, rest = text.split("\r\n", 1)
    assert "status=proposed,accepted" in first
    rows = list(csv.reader(io.StringIO(rest)))
    assert rows[0][:3] == ["code", "code_label", "group"]
    assert [(r[0], r[9]) for r in rows[1:]] == [
        ("identity/mining_memory", "Mon père était mineur."),
        ("identity/mining_memory",
         "Mon père était mineur. [E : d'accord] Il descendait à la fosse. On en parlait pas : c'était dur."),
        ("identity/stigma", STIGMA_TEXT),
        ("heritage", "C'est \"notre\" fierté, vraiment !")]


def test_max_seed_through_the_cli(proj, cli, out):
    run_ok(cli, "--max", "1", "--seed", "3", "-o", out / "a.md")
    run_ok(cli, "--max", "1", "--seed", "3", "-o", out / "b.md")
    a = (out / "a.md").read_text(encoding="utf-8").splitlines()
    b = (out / "b.md").read_text(encoding="utf-8").splitlines()
    assert a[1:] == b[1:]  # only the provenance line (date, output name) differs
    assert "max=1, seed=3" in a[0]
    assert len([line for line in a if line.startswith("> ")]) == 3  # one per code with excerpts
    assert any(line.startswith("Échantillon aléatoire reproductible") and "graine 3" in line for line in a)
    # without --seed a seed is drawn, printed and recorded in the command line
    res = run_ok(cli, "--max", "1", "-o", out / "c.md", "--json")
    report = json.loads(res.stdout)
    seed = report["seed"]
    assert isinstance(seed, int) and f"--seed {seed}" in report["provenance"]["command"]
    run_ok(cli, "--max", "1", "--seed", seed, "-o", out / "d.md")
    c = (out / "c.md").read_text(encoding="utf-8").splitlines()
    d = (out / "d.md").read_text(encoding="utf-8").splitlines()
    assert c[1:] == d[1:]


def test_never_overwrites_without_force(proj, cli, out):
    target = write(out / "x.docx", b"precious")
    res = cli("export", "excerpts", "-o", target)
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [f"error: {target} already exists (use --force to overwrite it)"]
    assert target.read_bytes() == b"precious"
    run_ok(cli, "-o", target, "--force")
    from docx import Document

    assert Document(str(target)).paragraphs[1].text == "Extraits codés – proj"
    assert sorted(p.name for p in out.iterdir()) == ["x.docx"]  # no temporary file left


def test_failed_write_leaves_nothing(proj, out, monkeypatch):
    import qualcode.exporters.excerpts as mod

    def broken(data, path, prov):
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "_write_md", broken)
    data = collect_excerpts(proj)
    with pytest.raises(RuntimeError):
        write_excerpts(data, "md", out / "x.md", provenance_for(proj, "t"))
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("args, code, message", [
    (["--code", "identiti"], 1, "error: no code 'identiti' in the project (did you mean 'identity'?)"),
    (["--code", "old"], 1, "error: code 'old' is retired"),
    (["--by", "commune"], 1, "error: no case has an attribute 'commune' (attributes: group, pseudonym)"),
    (["--status", "done"], 2, "error: unknown status 'done' (choose from proposed, accepted, rejected)"),
    (["--seed", "4"], 2, "error: --seed only applies with --max N"),
    (["--max", "0"], 2, "error: --max must be at least 1, not 0"),
    (["--format", "docx"], 2, "error: --format docx but {out}/x.md has the extension .md"),
])
def test_one_line_errors(proj, cli, out, args, code, message):
    res = cli("export", "excerpts", *args, "-o", out / "x.md")
    assert res.exit_code == code
    assert res.output.strip().splitlines() == [message.format(out=out)]
    assert not (out / "x.md").exists()


def test_unknown_extension_needs_format(proj, cli, out):
    res = cli("export", "excerpts", "-o", out / "x.pdf")
    assert res.exit_code == 2 and "pass --format" in res.output
    run_ok(cli, "-o", out / "x.txt", "--format", "md")
    assert (out / "x.txt").read_text(encoding="utf-8").startswith("<!-- project: proj;")


def test_export_changes_nothing_in_the_project(proj, cli, out):
    before = [tuple(r) for r in proj.store.execute("SELECT * FROM codings ORDER BY id")]
    history = len(proj.store.history.entries())
    run_ok(cli, "-o", out / "x.xlsx")
    assert [tuple(r) for r in proj.store.execute("SELECT * FROM codings ORDER BY id")] == before
    assert len(proj.store.history.entries()) == history
    assert_offsets_sacred(proj)


def test_help_texts(cli):
    res = cli("export", "--help")
    assert res.exit_code == 0 and "excerpts" in res.output
    res = cli("export", "excerpts", "--help")
    assert res.exit_code == 0 and "--seed" in res.output and "--force" in res.output


def test_shared_docx_renderer_at_a_deeper_level(proj):
    """append_excerpts_docx: what the report uses to put the excerpts in its own document."""
    from docx import Document

    from qualcode.exporters.excerpts import append_excerpts_docx

    data = collect_excerpts(proj, codes=["identity"], by="group", max_per_code=1, seed=2)
    doc = Document()
    append_excerpts_docx(doc, data, level=2)
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert paras[0][1].startswith("Échantillon aléatoire reproductible") and "graine 2" in paras[0][1]
    heads = [p for p in paras if p[0].startswith("Heading")]
    assert heads == [("Heading 2", "Identité"), ("Heading 3", "Mémoire minière"),
                     ("Heading 4", f"groupe{NB}: resident (1 extrait sur 2)"), ("Heading 3", "Stigmate"),
                     ("Heading 4", f"groupe{NB}: local_actor (1 extrait)")]
    quotes = [text for style, text in paras if style == "Quote"]
    assert len(quotes) == 2 and quotes[0] in (MEMORY_SHORT, MEMORY_TURN) and quotes[1] == STIGMA
