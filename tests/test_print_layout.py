"""Tables and figures as a thesis page holds them (issue 13, parts 1 and 5), read back from
the files: DOCX grids whose widths sum within the text block and agree with every cell's,
repeated header rows, caption fields (SEQ) and the report's TOC field, language tags; LaTeX
longtables whose columns sum to the line width, at 7 pt or more, with the packages a
standalone document loads; XLSX columns as wide as their content; charts whose smallest
text is 7 pt at the width they are inserted.

The wide tables are made here as the analyses make them (a code × code co-occurrence of 20
codes on two levels with long labels, a code × document matrix with long file names):
the demo's shapes, without the demo's cost."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from helpers import Runner
from helpers.figures import build

from qualcode.analysis.table import TableResult
from qualcode.exporters import layout
from qualcode.exporters.base import Provenance
from qualcode.exporters.charts import (
    MIN_PT,
    BarData,
    HeatmapData,
    draw_grouped_bars,
    draw_heatmaps,
    min_text_pt,
    save_figure,
)
from qualcode.exporters.tables import TEX_PACKAGES, to_tex, write_docx, write_xlsx, xlsx_width

PROV = Provenance(project="Thèse", command="qualcode report cooccurrence")
A4_TEXT_TWIPS = {False: round(16.0 * 567), True: round(24.7 * 567)}  # portrait, landscape
LETTER_TEXT_TWIPS = {False: round(16.59 * 567), True: round(22.94 * 567)}

PARENTS = ["Identité territoriale", "Instrumentalisation du patrimoine", "Perspectives d'avenir",
           "Gouvernance"]
CHILDREN = ["Mémoire de la mine", "Stigmate et image du territoire", "Fierté et appartenance",
            "Labels patrimoniaux (Unesco)", "Projets phares", "Storytelling territorial et marketing",
            "Décisions descendantes contre concertation", "Tourisme", "Muséalisation (musée de plein air)",
            "Emploi et économie", "Départ des jeunes", "Jeunes qui restent ou reviennent",
            "Reconversion des sites", "Appropriation locale des nouveaux sites", "Élus locaux",
            "Associations"]


def cooc_table(n_children: int = 16) -> TableResult:
    """A code × code table shaped as analysis.cooccurrence makes it: parents then their
    sub-codes, a parent's own sub-codes blank, the diagonal the code's units."""
    codes: list[tuple[str, str, int]] = []
    per = -(-n_children // len(PARENTS))
    for k, parent in enumerate(PARENTS):
        slug = f"parent_{k}"
        codes.append((slug, parent, 0))
        for m, child in enumerate(CHILDREN[k * per:(k + 1) * per]):
            codes.append((f"{slug}/child_number_{m}_with_a_long_path", child, 1))
    records = []
    for i, (a, label, _d) in enumerate(codes):
        rec: dict = {"code": a, "label": label}
        for j, (b, _l, _e) in enumerate(codes):
            related = a != b and (a.startswith(b + "/") or b.startswith(a + "/"))
            rec[b] = None if related else (300 + i if i == j else (i * 7 + j * 3) % 40)
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=["code", "label", *[c[0] for c in codes]])
    for c in codes:
        df[c[0]] = df[c[0]].astype("Int64")
    return TableResult("Co-occurrence des codes (unités : phrases)", df,
                       ["Cellules : nombre de phrases où les deux codes apparaissent."],
                       {"kind": "matrix", "depth": [c[2] for c in codes], "tree_column": "label",
                        "matrix_columns": [c[0] for c in codes], "unit": "sentence"})


def doc_matrix() -> TableResult:
    docs = [f"entretien_{k:02d}_{name}" for k, name in enumerate(
        ["elue_loos", "mission_bassin_minier", "mediatrice_louvre_lens", "association_9_9bis",
         "developpement_territorial", "ancien_mineur", "fille_de_mineur", "jeune_parti", "jeune_restee",
         "commercant", "petite_fille_mineur"], 1)]
    base = cooc_table()
    rows = []
    for i, r in enumerate(base.df[["code", "label"]].to_dict("records")):
        rows.append({**r, **{d: (i * 5 + k * 11) % 37 for k, d in enumerate(docs)}, "total": 100 + i})
    df = pd.DataFrame.from_records(rows, columns=["code", "label", *docs, "total"])
    return TableResult("Codes × documents (unités codées)", df, [],
                       {"kind": "matrix", "depth": base.meta["depth"], "tree_column": "label",
                        "matrix_columns": docs, "cols": "docs"})


def freq_by_group() -> TableResult:
    base = cooc_table()
    groups = ["acteurs locaux", "habitants"]
    records = []
    for i, r in enumerate(base.df[["code", "label"]].to_dict("records")):
        rec = dict(r)
        for g in [*groups, "total"]:
            rec.update({f"{g} units": 10 + i, f"{g} participants": 4, f"{g} %": 83.3})
        records.append(rec)
    cols = ["code", "label"] + [f"{g} {m}" for g in [*groups, "total"] for m in ("units", "participants", "%")]
    return TableResult("Codes par groupe", pd.DataFrame.from_records(records, columns=cols), [],
                       {"kind": "freq", "depth": base.meta["depth"], "tree_column": "label", "groups": groups,
                        "group_sizes": {"acteurs locaux": 5, "habitants": 6}, "total_cases": 11, "by": "group",
                        "decimals": {f"{g} %": 1 for g in [*groups, "total"]}})


# --------------------------------------------------------------------------- DOCX


def docx_xml(path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def check_grid(doc, text_twips: dict[bool, int]) -> list[bool]:
    """Every table: fixed layout, table width = the grid's sum <= the text block of the
    section it is in, each cell's tcW = the grid columns it spans. Returns the orientation
    of the section of each table."""
    body = doc.element.body
    orientations = []
    for tbl in body.iter(qn("w:tbl")):
        # the section a table is in: the next sectPr in the body (in a paragraph, or the last one)
        sect = None
        for el in tbl.itersiblings():
            found = el.find(f".//{qn('w:sectPr')}") if el.tag != qn("w:sectPr") else el
            if found is not None:
                sect = found
                break
        page = sect.find(qn("w:pgSz"))
        landscape = int(page.get(qn("w:w"))) > int(page.get(qn("w:h")))
        orientations.append(landscape)
        grid = [int(c.get(qn("w:w"))) for c in tbl.find(qn("w:tblGrid"))]
        pr = tbl.find(qn("w:tblPr"))
        assert pr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert int(pr.find(qn("w:tblW")).get(qn("w:w"))) == sum(grid)
        assert sum(grid) <= text_twips[landscape], (sum(grid), text_twips[landscape])
        for tr in tbl.iter(qn("w:tr")):
            j = 0
            for tc in tr.iter(qn("w:tc")):
                span_el = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
                assert int(tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").get(qn("w:w"))) == sum(grid[j:j + span])
                j += span
            assert j == len(grid)
    return orientations


def run_sizes(path) -> list[float]:
    """The font sizes (pt) of every run inside a table."""
    xml = docx_xml(path)
    return [int(m) / 2 for tbl in re.findall(r"<w:tbl>.*?</w:tbl>", xml, re.S)
            for m in re.findall(r'<w:sz w:val="(\d+)"/>', tbl)]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_wide_docx_tables_fit_the_text_block(tmp_path, paper):
    out = tmp_path / "t.docx"
    write_docx([cooc_table(), doc_matrix(), freq_by_group()], PROV, out, paper=paper, language="fr")
    doc = Document(str(out))
    orientations = check_grid(doc, A4_TEXT_TWIPS if paper == "a4" else LETTER_TEXT_TWIPS)
    assert orientations == [True, False, True]  # 21 columns across the page, 13 numbered ones upright
    sizes = run_sizes(out)
    assert sizes and min(sizes) >= layout.MIN_FONT_PT
    page = doc.sections[0]
    assert round(page.page_height.cm, 2) == {"a4": 21.0, "letter": 21.59}[paper]  # landscape from page 1
    # the code × code table: numbered columns, the legend in the first column, the diagonal shaded
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["Code", *[str(k) for k in range(1, 21)]]
    assert table.rows[1].cells[0].text == "1. Identité territoriale"
    assert table.rows[2].cells[0].text == "2. Mémoire de la mine"
    assert table.rows[2].cells[2]._tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}").get(qn("w:fill")) == "E7E6E6"
    # header rows repeated on every page; no row split across two pages
    for t in doc.tables:
        first = t.rows[0]._tr.find(qn("w:trPr"))
        assert first.find(qn("w:tblHeader")).get(qn("w:val")) == "true"
        assert all(r._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for r in t.rows)
    # the document matrix: numbers over the columns, the file names in the legend under the table
    legend = next(p.text for p in doc.paragraphs if p.text.startswith("1 = "))
    assert "11 = entretien_11_petite_fille_mineur" in legend
    # grouped frequencies: two header rows, the group (n = size) spanning its three columns
    freq = doc.tables[2]
    assert [c.text for c in freq.rows[0].cells][1:4] == ["acteurs locaux (n\u00a0=\u00a05)"] * 3
    assert [c.text for c in freq.rows[1].cells][:4] == ["Code", "unités", "participants", "%"]
    assert freq.rows[2].cells[3].text == "83,3"  # a decimal comma in French


def test_docx_captions_are_seq_fields_in_the_language(tmp_path):
    for language, word in (("fr", "Tableau"), ("en", "Table")):
        out = tmp_path / f"{language}.docx"
        write_docx([freq_by_group(), freq_by_group()], PROV, out, language=language)
        xml = docx_xml(out)
        assert re.findall(r"<w:instrText[^>]*> SEQ (\w+) \\\* ARABIC </w:instrText>", xml) == [word, word]
        doc = Document(str(out))
        captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
        assert captions == [f"{word} 1 – Codes par groupe", f"{word} 2 – Codes par groupe"]
        assert all(p.paragraph_format.keep_with_next for p in doc.paragraphs if p.style.name == "Caption")
        styles = zipfile.ZipFile(out).read("word/styles.xml").decode("utf-8")
        tag = {"fr": "fr-FR", "en": "en-GB"}[language]
        assert f'<w:lang w:val="{tag}"' in styles


def test_narrow_table_stays_portrait_with_natural_widths(tmp_path):
    df = pd.DataFrame({"code": ["a", "b"], "label": ["Mémoire", "Fierté"], "n": [3, 4]})
    out = tmp_path / "n.docx"
    write_docx([TableResult("Petit", df, [], {})], PROV, out, language="fr")
    doc = Document(str(out))
    assert check_grid(doc, A4_TEXT_TWIPS) == [False]
    grid = [int(c.get(qn("w:w"))) for c in doc.tables[0]._tbl.find(qn("w:tblGrid"))]
    assert sum(grid) < A4_TEXT_TWIPS[False] / 2  # as wide as the content, not stretched
    assert min(run_sizes(out)) == 9.0


def test_fit_never_goes_below_seven_points():
    shown = layout.display_table(cooc_table(), lambda v, d=None: "" if v is None or pd.isna(v) else str(v))
    for paper in ("a4", "letter"):
        fit = layout.fit_columns(shown, layout.Page(paper))
        assert fit.font_pt >= layout.MIN_FONT_PT
        assert fit.total_cm <= fit.page.text_width_cm + 1e-9
        # no word broken: every column at least as wide as its longest word at that size
        lo, _hi = layout._min_natural(shown, fit.font_pt)
        assert all(w >= a - 1e-9 for w, a in zip(fit.widths_cm, lo))


# --------------------------------------------------------------------------- LaTeX


def tex_column_shares(tex: str) -> list[list[float]]:
    return [[float(x) for x in re.findall(r"p\{\\dimexpr ([\d.]+)\\linewidth", spec)]
            for spec in re.findall(r"\\begin\{longtable\}\{(.*)\}\n", tex)]


@pytest.mark.parametrize("standalone", [False, True])
def test_tex_longtables_fit_the_line_width(standalone):
    tex = to_tex([cooc_table(), doc_matrix(), freq_by_group()], PROV, standalone=standalone, language="fr")
    shares = tex_column_shares(tex)
    assert [len(s) for s in shares] == [21, 13, 10]
    assert all(sum(s) <= 1.0 + 1e-3 for s in shares)
    assert "\\resizebox" not in tex and "\\tiny" not in tex  # nothing under 7 pt
    assert re.findall(r"\\(small|footnotesize|scriptsize)\n", tex)
    assert tex.count("\\begin{landscape}") == tex.count("\\end{landscape}") == 2  # the 13 numbered columns fit
    assert tex.count("\\endhead") == 3  # the header repeated on every page
    assert "entretien\\_\\allowbreak{}11\\_\\allowbreak{}petite" in tex  # long names can break
    assert "n~=~5" in tex and "83,3" in tex
    used = {"booktabs": "\\toprule", "longtable": "\\begin{longtable}", "array": ">{\\raggedright",
            "pdflscape": "\\begin{landscape}"}
    assert set(used) <= set(TEX_PACKAGES) and all(mark in tex for mark in used.values())
    if standalone:
        assert tex.startswith("% qualcode") and "\\documentclass[10pt,a4paper]{article}" in tex
        assert f"\\usepackage{{{','.join(TEX_PACKAGES)}}}" in tex and "\\usepackage[french]{babel}" in tex
        assert tex.rstrip().endswith("\\end{document}")
    else:
        assert "\\documentclass" not in tex and f"% needs \\usepackage{{{','.join(TEX_PACKAGES)}}}" in tex


# --------------------------------------------------------------------------- XLSX


def test_xlsx_columns_as_wide_as_their_content(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    write_xlsx([cooc_table(), freq_by_group()], PROV, out)
    wb = load_workbook(out)
    for ws in wb.worksheets[:2]:
        for col in ws.iter_cols(min_row=1):
            width = ws.column_dimensions[col[0].column_letter].width
            header = col[0]
            if header.alignment.text_rotation != 90:
                longest = max(str(header.value).split(), key=len)
                assert width >= xlsx_width(longest, bold=True), (ws.title, header.value)
            for cell in col[1:]:
                if cell.value is not None:
                    text = f"{cell.value:.1f}" if isinstance(cell.value, float) else str(cell.value)
                    assert width >= xlsx_width(text, bold=cell.font.bold) + cell.alignment.indent * 2.5 - 1e-6, \
                        (ws.title, cell.coordinate, text, width)
    cooc = wb.worksheets[0]
    assert cooc["C1"].alignment.text_rotation == 90  # code paths upright over narrow number columns
    assert cooc.column_dimensions["C"].width < 8
    assert cooc.row_dimensions[1].height > 100
    freq = wb.worksheets[1]
    assert freq["C1"].alignment.wrap_text  # "acteurs locaux units" wraps over its number column


# --------------------------------------------------------------------------- charts


def test_heatmap_smallest_text_is_seven_points_at_the_printed_width():
    t = cooc_table()
    labels = [f"{lbl}" for lbl in t.df["label"]]
    values = [[None if pd.isna(v) else float(v) for v in row] for row in t.df.iloc[:, 2:].itertuples(index=False)]
    data = HeatmapData(labels, labels, values, mask_diagonal=True, depths=list(t.meta["depth"]),
                       colorbar_label="unités où les deux codes apparaissent", language="fr")
    for width in (16.0, 12.0, 24.7):
        fig = draw_heatmaps([data], width_cm=width)
        assert fig.get_figwidth() == pytest.approx(width / 2.54)
        assert min_text_pt(fig) >= MIN_PT
    stacked = draw_heatmaps([data, data], width_cm=16.0)
    assert min_text_pt(stacked) >= MIN_PT
    assert stacked.get_figwidth() == pytest.approx(16.0 / 2.54)
    assert stacked.get_figheight() <= 21.0 / 2.54 + 0.01  # two panels of 20 codes on one page
    tops = sorted(ax.get_position().y0 for ax in stacked.axes if ax.get_images() and ax.get_ylim()[0] > 10)
    assert len(tops) == 2  # one panel above the other


def test_heatmap_colour_scale_per_level():
    t = cooc_table()
    values = [[None if pd.isna(v) else float(v) for v in row] for row in t.df.iloc[:, 2:].itertuples(index=False)]
    labels = list(t.df["label"])
    depths = list(t.meta["depth"])
    fig = draw_heatmaps([HeatmapData(labels, labels, values, mask_diagonal=True, depths=depths)])
    (grid,) = [ax for ax in fig.axes if len(ax.get_images()) >= 2]
    scales = {img.get_cmap().name: img.norm.vmax for img in grid.get_images()[:2]}
    top = [values[i][j] for i in range(len(depths)) for j in range(len(depths))
           if i != j and depths[i] == depths[j] == 0 and values[i][j] is not None]
    sub = [values[i][j] for i in range(len(depths)) for j in range(len(depths))
           if i != j and (depths[i] or depths[j]) and values[i][j] is not None]
    assert scales == {"Oranges": max(top), "Blues": max(sub)}
    # rows numbered "k. label", columns by number, as in the tables
    assert grid.get_yticklabels()[1].get_text() == "2. Mémoire de la mine"
    assert [x.get_text() for x in grid.get_xticklabels()][:3] == ["1", "2", "3"]


def test_bar_chart_smallest_text_is_seven_points(tmp_path):
    labels = list(cooc_table().df["label"])
    data = BarData(labels=labels, groups=["acteurs locaux (n = 5)", "habitants (n = 6)"],
                   values=[[100.0, 83.3]] * len(labels), depths=[0] * len(labels),
                   annotations=[["100 % (5)", "83,3 % (5)"]] * len(labels), xlabel="participants", language="fr",
                   note="Décompte : 875 codages au statut proposé ou accepté.")
    fig = draw_grouped_bars(data, width_cm=16.0)
    assert fig.get_figwidth() == pytest.approx(16.0 / 2.54)
    assert min_text_pt(fig) >= MIN_PT
    assert min_text_pt(fig, 8.0) < MIN_PT  # printed at half the width it was drawn for: too small
    pdf = save_figure(fig, tmp_path / "bars.pdf", provenance=PROV)
    again = save_figure(draw_grouped_bars(data, width_cm=16.0), tmp_path / "again.pdf", provenance=PROV)
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF") and raw == again.read_bytes()  # no dates: the same bytes
    assert b"DejaVuSans" in raw and b"CreationDate" not in raw
    assert "command: qualcode report cooccurrence".encode("utf-16-be") in raw  # the provenance, in the metadata


# --------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def coded_root(tmp_path_factory):
    return build(tmp_path_factory.mktemp("print"))


def test_report_figures_inserted_at_the_width_they_were_drawn(coded_root, tmp_path):
    from PIL import Image

    run = Runner(coded_root)
    for paper, text_cm in (("a4", 16.0), ("letter", 16.59)):
        out = tmp_path / f"{paper}.docx"
        res = run("export", "report", "--paper", paper, "--heading-level", "2", "-o", out)
        assert res.exit_code == 0, res.output
        doc = Document(str(out))
        shapes = doc.inline_shapes
        assert len(shapes) == 2
        for shape in shapes:
            assert shape.width.cm == pytest.approx(text_cm, abs=0.01)
        with zipfile.ZipFile(out) as z:
            pngs = [n for n in z.namelist() if n.startswith("word/media/")]
            for name in pngs:
                with z.open(name) as f:
                    width_px = Image.open(f).size[0]
                assert width_px / 200 * 2.54 == pytest.approx(text_cm, abs=0.02)  # drawn at 200 dpi that wide
        xml = docx_xml(out)
        assert ' TOC \\o "2-4" \\h \\z \\u ' in xml
        # before Word updates it, the field already lists the sections (as LibreOffice prints it)
        body = xml[xml.index(' TOC \\o'):]
        end = body.index('w:fldCharType="end"')
        for heading in ("Codes par group", "Co-occurrence des codes", "Extraits par code"):
            assert f"<w:t>{heading}" in body[:end]
        assert re.findall(r" SEQ (\w+) \\\* ARABIC ", xml) == ["Tableau", "Figure", "Tableau", "Figure"]
        assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["Rapport de codage – Projet d'essai"]
        assert check_grid(doc, A4_TEXT_TWIPS if paper == "a4" else LETTER_TEXT_TWIPS)
        assert min(run_sizes(out)) >= layout.MIN_FONT_PT
        footer = doc.sections[0].footer.paragraphs[0].text
        assert str(tmp_path) not in footer and f"--output {paper}.docx" in footer  # the file, not its folder


def test_many_codes_stay_on_a_page_at_seven_points():
    labels = [f"Code numéro {k}" for k in range(45)]
    bars = BarData(labels=labels, groups=["a", "b", "c"], values=[[50.0, 60.0, 70.0]] * 45, language="fr")
    fig = draw_grouped_bars(bars, width_cm=16.0)
    assert fig.get_figheight() * 2.54 <= 21.0 + 0.05  # thinner bars, within a page
    assert min_text_pt(fig) >= MIN_PT
    assert not any(t.get_text().strip().endswith("%") for ax in fig.axes for t in ax.texts)  # no room for values
    few = draw_grouped_bars(BarData(labels=labels[:5], groups=["a", "b"], values=[[50.0, 60.0]] * 5), width_cm=16.0)
    assert len(few.axes[0].texts) == 10  # every bar with its value
    n = 40
    values = [[float((i * j) % 9) for j in range(n)] for i in range(n)]
    heat = draw_heatmaps([HeatmapData(labels[:n], labels[:n], values, mask_diagonal=True)], width_cm=16.0)
    assert min_text_pt(heat) >= MIN_PT
    (grid,) = [ax for ax in heat.axes if ax.get_images()]
    assert {t.get_rotation() for t in grid.get_xticklabels()} == {90.0}  # 40 numbers upright, not overlapping
