"""`qualcode export report` and qualcode.exporters.report: the DOCX re-opened with python-docx.

The project is the small coded project of test_charts.py (tests/helpers/figures.py; see
test_charts.py's docstring for the hand-computed counts): P01 local_actor (fosse, fierté),
P02 resident (fosse), P03 resident (emploi); four rule codings, one speaker turn each.
"""

from __future__ import annotations

import json

import pytest
from docx import Document
from docx.oxml.ns import qn
from helpers import Runner, assert_offsets_sacred
from helpers.figures import PNG_SIGNATURE, build

from qualcode.project import Project


@pytest.fixture(scope="module")
def coded_root(tmp_path_factory):
    return build(tmp_path_factory.mktemp("report"))


@pytest.fixture
def run(coded_root) -> Runner:
    return Runner(coded_root)


@pytest.fixture(scope="module")
def report_doc(coded_root, tmp_path_factory):
    """One report written through the CLI, re-opened: (path, Document, CLI output)."""
    out = tmp_path_factory.mktemp("out") / "rapport.docx"
    res = Runner(coded_root)("export", "report", "--by", "group", "--format", "docx", "--output", out)
    assert res.exit_code == 0, res.output
    return out, Document(str(out)), res.stdout


def cells(row) -> list[str]:
    return [c.text for c in row.cells]


def is_header_row(row) -> bool:
    tr_pr = row._tr.trPr
    return tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None


def test_report_prints_a_summary(report_doc):
    out, _, stdout = report_doc
    assert stdout.strip() == f"wrote report to {out}: 2 tables, 2 figures, 4 excerpts of 5 codes"


def test_report_title_provenance_and_footer(report_doc, coded_root):
    _, doc, _ = report_doc
    paras = doc.paragraphs
    assert paras[0].style.name == "Title"
    assert paras[0].text == "Rapport de codage – Projet d'essai"
    prov = paras[1].text
    assert prov.startswith("qualcode: project: Projet d'essai; command: qualcode export report --by group")
    with Project.open(coded_root) as project:
        version = project.store.execute("SELECT version FROM codebook_versions").fetchone()[0]
    assert f"codebook: Codebook des figures (version {version})" in prov
    assert "filters: by=group, unit=sentence, level=all, status=proposed,accepted" in prov
    assert "coders: all" in prov and "created: " in prov and "qualcode: " in prov
    footers = {s.footer.paragraphs[0].text for s in doc.sections}
    # every section (portrait and landscape) shows it: the project and the command, with the
    # output's file name, never the folders of the machine that wrote it
    (footer,) = footers
    assert footer.startswith("qualcode: project: Projet d'essai; command: qualcode export report --by group "
                             "--format docx --output rapport.docx; created: ")
    assert str(coded_root.parent) not in footer and str(coded_root.parent) not in prov
    assert "--output rapport.docx" in prov
    assert doc.core_properties.comments == prov[len("qualcode: "):][:255]


def test_report_headings_in_order(report_doc):
    _, doc, _ = report_doc
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == ["Codes par groupe", "Co-occurrence des codes", "Extraits par code"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert h2 == ["Identité", "Avenir du territoire"]
    h3 = [p.text for p in doc.paragraphs if p.style.name == "Heading 3"]
    assert h3 == ["Mémoire minière", "Fierté et appartenance", "Emploi"]
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert [c.split(" – ")[0] for c in captions] == ["Tableau 1", "Figure 1", "Tableau 2", "Figure 2"]


def test_report_frequency_table(report_doc):
    _, doc, _ = report_doc
    table = doc.tables[0]
    assert table.style.name == "Table Grid"
    assert is_header_row(table.rows[0]) and not is_header_row(table.rows[1])
    assert all(r.runs[0].bold for c in table.rows[0].cells for r in c.paragraphs)
    nb = "\u00a0"
    assert cells(table.rows[0]) == ["Code", f"local_actor (n{nb}={nb}1)", f"resident (n{nb}={nb}2)",
                                    f"Total (n{nb}={nb}3)"]
    body = [cells(r) for r in table.rows[1:]]
    assert body == [
        ["Identité", f"2 / 1 (100{nb}%)", f"1 / 1 (50{nb}%)", f"3 / 2 (67{nb}%)"],
        ["Mémoire minière", f"1 / 1 (100{nb}%)", f"1 / 1 (50{nb}%)", f"2 / 2 (67{nb}%)"],
        ["Fierté et appartenance", f"1 / 1 (100{nb}%)", f"0 / 0 (0{nb}%)", f"1 / 1 (33{nb}%)"],
        ["Avenir du territoire", f"0 / 0 (0{nb}%)", f"1 / 1 (50{nb}%)", f"1 / 1 (33{nb}%)"],
        ["Emploi", f"0 / 0 (0{nb}%)", f"1 / 1 (50{nb}%)", f"1 / 1 (33{nb}%)"],
        ["Tous les codes", f"2 / 1 (100{nb}%)", f"2 / 2 (100{nb}%)", f"4 / 3 (100{nb}%)"],
    ]
    # top-level codes bold, sub-codes indented
    assert table.rows[1].cells[0].paragraphs[0].runs[0].bold
    assert not table.rows[2].cells[0].paragraphs[0].runs[0].bold
    assert table.rows[2].cells[0].paragraphs[0].paragraph_format.left_indent is not None


def test_report_cooccurrence_table(report_doc):
    _, doc, _ = report_doc
    table = doc.tables[1]
    assert table.style.name == "Table Grid" and is_header_row(table.rows[0])
    assert cells(table.rows[0]) == ["Code", "1", "2", "3", "4", "5"]
    body = [cells(r) for r in table.rows[1:]]
    # sentence units: each turn is one sentence; fosse and fierté are in different turns
    assert body == [
        ["1. Identité", "3", "", "", "0", "0"],
        ["2. Mémoire minière", "", "2", "0", "0", "0"],
        ["3. Fierté et appartenance", "", "0", "1", "0", "0"],
        ["4. Avenir du territoire", "0", "0", "0", "1", ""],
        ["5. Emploi", "0", "0", "0", "", "1"],
    ]
    diag = table.rows[2].cells[2]._tc.tcPr.find(qn("w:shd"))
    assert diag is not None and diag.get(qn("w:fill")) == "E7E6E6"


def test_report_embeds_two_pictures_with_captions(report_doc):
    _, doc, _ = report_doc
    assert len(doc.inline_shapes) == 2
    blobs = [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]
    assert len(blobs) == 2
    assert all(b[:8] == PNG_SIGNATURE and len(b) > 10_000 for b in blobs)
    # each picture is followed by its caption
    paras = doc.paragraphs
    pics = [i for i, p in enumerate(paras) if p._p.findall(".//" + qn("w:drawing"))]
    assert [paras[i + 1].text.split(" – ")[0] for i in pics] == ["Figure 1", "Figure 2"]
    # pictures fit the text width (A4 minus margins)
    width = doc.sections[0].page_width - doc.sections[0].left_margin - doc.sections[0].right_margin
    assert all(s.width <= width for s in doc.inline_shapes)


def test_report_excerpts_with_citations(report_doc):
    _, doc, _ = report_doc
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    assert len(quotes) == 4  # one per coding
    # the turn's text without the speaker label, in French quotes, then the citation
    assert quotes[0] == ("«\u00a0Mon grand-père travaillait à la fosse numéro neuf.\u00a0» "
                         "(P01, Mme Dufour, local_actor, tour\u00a02)")
    assert any("Kévin" in q and "(P03, Kévin, resident, tour\u00a02)" in q for q in quotes)
    h4 = [p.text for p in doc.paragraphs if p.style.name == "Heading 4"]
    assert "groupe\u00a0: local_actor (1 extrait)" in h4 and "groupe\u00a0: resident (1 extrait)" in h4


def test_report_landscape_section_for_wide_tables(coded_root, tmp_path, monkeypatch):
    from qualcode.exporters import layout, report

    # wide cells: neither table fits the portrait text block any more, both do across the page
    monkeypatch.setattr(layout, "CELL_PADDING_CM", 3.5)
    out = tmp_path / "r.docx"
    with Project.open(coded_root) as project:
        report.build_report(project, out, excerpts=False, toc=False)
    doc = Document(str(out))
    orientation = [s.page_width > s.page_height for s in doc.sections]
    assert orientation == [False, True, False, True, False]
    # each section break sits before the heading it opens, never after it
    body = doc.paragraphs
    for title in ("Codes par groupe", "Co-occurrence des codes"):
        i = next(k for k, p in enumerate(body) if p.text == title)
        assert body[i - 1]._p.find(qn("w:pPr") + "/" + qn("w:sectPr")) is not None
        assert body[i]._p.find(qn("w:pPr") + "/" + qn("w:sectPr")) is None


def test_report_refuses_to_overwrite_without_force(run, tmp_path):
    out = tmp_path / "r.docx"
    out.write_bytes(b"my thesis")
    res = run("export", "report", "--output", out)
    assert res.exit_code == 1
    assert "already exists (use --force to overwrite it)" in res.output
    assert out.read_bytes() == b"my thesis"
    res = run("export", "report", "--output", out, "--force", "--no-excerpts", "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["sections"] == ["Codes par groupe", "Co-occurrence des codes"]
    assert "--no-excerpts" in info["provenance"]["command"]
    doc = Document(str(out))
    assert not [p for p in doc.paragraphs if p.style.name == "Quote"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.docx"]


def test_report_usage_errors_write_nothing(run, tmp_path):
    res = run("export", "report", "--output", tmp_path / "r.pdf")
    assert res.exit_code == 2 and "a report is a .docx file, not .pdf" in res.output
    res = run("export", "report", "--format", "xlsx", "--output", tmp_path / "r.docx")
    assert res.exit_code == 2 and "unknown report format 'xlsx'" in res.output
    res = run("export", "report", "--unit", "page", "--output", tmp_path / "r.docx")
    assert res.exit_code == 2
    res = run("export", "report", "--seed", "3", "--output", tmp_path / "r.docx")
    assert res.exit_code == 2 and "--seed only applies with --max-excerpts" in res.output
    res = run("export", "report", "--by", "commune", "--output", tmp_path / "r.docx")
    assert res.exit_code == 1 and "no case has an attribute 'commune'" in res.output
    assert "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []


def test_report_sample_of_excerpts_is_recorded(run, tmp_path):
    out = tmp_path / "r.docx"
    res = run("export", "report", "--max-excerpts", "1", "--seed", "7", "--unit", "turn", "--output", out,
              "--json")
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["seed"] == 7 and info["excerpts_total"] == 4
    assert "--max-excerpts 1 --seed 7" in info["provenance"]["command"]
    assert "max_excerpts=1, seed=7" in info["provenance"]["filters"]
    doc = Document(str(out))
    assert doc.paragraphs[1].text.endswith(info["provenance"]["qualcode"])
    # every code has at most one excerpt per group here, so the sample keeps them all
    assert len([p for p in doc.paragraphs if p.style.name == "Quote"]) == info["excerpts"] == 4


def test_interrupted_report_leaves_no_file(coded_root, tmp_path, monkeypatch):
    from docx.document import Document as DocumentClass

    from qualcode.exporters.report import build_report

    def boom(self, path):
        with open(path, "wb") as f:
            f.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(DocumentClass, "save", boom)
    out = tmp_path / "r.docx"
    with Project.open(coded_root) as project:
        before = project.store.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
        with pytest.raises(KeyboardInterrupt):
            build_report(project, out)
        assert project.store.execute("SELECT COUNT(*) FROM codings").fetchone()[0] == before
        assert_offsets_sacred(project)
    assert list(tmp_path.iterdir()) == []
