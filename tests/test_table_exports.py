"""Report exports (`--format csv|xlsx|md|tex|docx|json --output FILE`), re-opened with the
tools a reader would use: csv/pandas, openpyxl, python-docx, and parsers for Markdown and
TeX tables. The numbers are those computed by hand in test_reports.py."""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pytest
from helpers.reports import build

from qualcode.analysis.table import TableResult
from qualcode.exporters.base import Provenance


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    """The report fixture (English codebook), exporting in English: the tables' words and
    numbers as the analyses write them (French exports: test_export_language.py)."""
    tmp = tmp_path_factory.mktemp("exports")
    runner = build(tmp / "proj", tmp)
    config = tmp / "proj" / "qualcode.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[export]\nlanguage = "en"\n', encoding="utf-8")
    return runner


@pytest.fixture
def out(tmp_path):
    return tmp_path


def run(fx, *args):
    res = fx("report", *args)
    assert res.exit_code == 0, res.output
    return res


def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


PROVENANCE_RE = re.compile(
    r"project: Fixture; command: (?P<command>[^;]+); codebook: Fixture codebook \(version [0-9a-f]{12}\); "
    r"filters: (?P<filters>[^;]+); coders: (?P<coders>[^;]+); created: \d{4}-\d\d-\d\dT[\d:]+\+00:00; "
    r"qualcode: \d+\.\d+\.\d+")

# heritage row of `report freq --by group` (test_reports.py): local_actor 3 units, 1 participant,
# 50.0 %; resident 2, 2, 100.0; (no case) 1 unit; total 6, 3, 75.0
HERITAGE = ["heritage", "Heritage", "3", "1", "50.0", "2", "2", "100.0", "1", "", "", "6", "3", "75.0"]
FREQ_COLUMNS = ["code", "label", "local_actor units", "local_actor participants", "local_actor %",
                "resident units", "resident participants", "resident %", "(no case) units",
                "(no case) participants", "(no case) %", "total units", "total participants", "total %"]


# --------------------------------------------------------------------------- csv


def test_csv(fx, out):
    path = out / "freq.csv"
    res = run(fx, "freq", "--by", "group", "--output", path)
    assert f"wrote {path}" in res.stdout
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# qualcode: ")  # BOM, then the provenance comment
    lines = raw.decode("utf-8-sig").splitlines()
    m = PROVENANCE_RE.fullmatch(lines[0][len("# qualcode: "):])
    assert m, lines[0]
    assert m["command"] == "qualcode report freq --by group" and m["coders"] == "all"
    assert m["filters"] == "by=group, level=all, status=proposed+accepted"
    assert lines[1] == "# Codes by group"
    rows = list(csv.reader(io.StringIO("\n".join(line for line in lines if not line.startswith("#")))))
    assert rows[0] == FREQ_COLUMNS
    assert next(r for r in rows if r[0] == "heritage") == HERITAGE
    assert "# note: Counted: 13 codings with status proposed and accepted (rejected left out), by all coders " \
           "(camille, rules); 1 coding of a retired code left out." in lines

    import pandas as pd

    df = pd.read_csv(path, comment="#", encoding="utf-8-sig")
    row = df.set_index("code").loc["identity/mining_memory"]
    assert (row["total units"], row["total participants"], row["total %"]) == (3, 3, 75.0)


def test_csv_several_tables_and_filters_in_provenance(fx, out):
    path = out / "co.csv"
    run(fx, "cooccurrence", "--unit", "turn", "--by", "group", "--level", "top", "--coder", "camille,rules",
        "--status", "accepted", "--status", "proposed", "-o", path)
    text = path.read_text(encoding="utf-8-sig")
    first, *blocks = text.split("\n\n")
    m = PROVENANCE_RE.fullmatch(first.splitlines()[0][len("# qualcode: "):])
    assert m["coders"] == "camille, rules"
    assert m["command"] == ("qualcode report cooccurrence --unit turn --by group --level top "
                            "--coder camille,rules --status accepted,proposed")
    assert "unit=turn" in m["filters"] and "status=proposed+accepted" in m["filters"]
    blocks = [first.split("\n", 1)[1], *blocks]
    assert [b.splitlines()[0] for b in blocks] == [
        "# Code co-occurrence (turn units): group = local_actor",
        "# Code co-occurrence (turn units): group = resident",
        "# Code co-occurrence (turn units): group = (no case)"]
    tables = [list(csv.reader(io.StringIO("\n".join(line for line in b.splitlines() if not line.startswith("#")))))
              for b in blocks]
    resident = {r[0]: r for r in tables[1][1:]}
    assert tables[1][0] == ["code", "label", "identity", "heritage", "future"]
    assert resident["identity"][3] == "2"  # identity × heritage: bruno T2, chloe T2


# --------------------------------------------------------------------------- xlsx


def test_xlsx(fx, out):
    from openpyxl import load_workbook

    path = out / "freq.xlsx"
    run(fx, "freq", "--by", "group", "-o", path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["freq", "provenance"]
    ws = wb["freq"]
    header = [c.value for c in ws[1]]
    assert header == FREQ_COLUMNS
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows["heritage"]) == ["heritage", "Heritage", 3, 1, 50.0, 2, 2, 100.0, 1, None, None, 6, 3, 75.0]
    assert isinstance(rows["heritage"][2], int)
    museum_row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "heritage/museum")
    assert museum_row[1].alignment.indent == 1  # sub-codes indented under their parent
    assert ws.column_dimensions["B"].width >= len("Mining memory")
    prov = {r[0]: r[1] for r in wb["provenance"].iter_rows(values_only=True) if r[0]}
    assert prov["project"] == "Fixture" and prov["command"] == "qualcode report freq --by group"
    assert prov["codebook"].startswith("Fixture codebook (version ") and prov["qualcode"]
    notes = [r[1] for r in wb["provenance"].iter_rows(values_only=True) if r[0] in (None, "") and r[1]]
    assert any(n.startswith("Counted: 13 codings") for n in notes)


def test_xlsx_one_sheet_per_table(fx, out):
    from openpyxl import load_workbook

    path = out / "words.xlsx"
    run(fx, "words", "--by", "group", "--top", "3", "-o", path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["group=local_actor", "group=resident", "group=(no case)", "provenance"]
    ws = wb["group=resident"]
    assert [c.value for c in ws[1]] == ["rank", "lemma", "count", "per 1000 words", "documents"]
    assert [c.value for c in ws[2]] == [1, "musée", 2, round(2000 / 36, 2), 2]


# --------------------------------------------------------------------------- markdown


def parse_md_tables(text):
    """{title: [rows as lists of cells]} from '## title' headings and pipe tables."""
    tables, title = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:]
            tables[title] = []
        elif line.startswith("|") and title is not None:
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                tables[title].append(cells)
    return tables


def test_markdown(fx, out):
    path = out / "freq.md"
    run(fx, "freq", "--by", "group", "-o", path)
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("<!-- qualcode: ") and first.endswith(" -->")
    assert PROVENANCE_RE.fullmatch(first[len("<!-- qualcode: "):-len(" -->")])
    table = parse_md_tables(text)["Codes by group"]
    assert table[0] == FREQ_COLUMNS
    assert next(r for r in table if r[0] == "heritage") == HERITAGE
    assert "|:---|:---|---:|" in text  # text left, numbers right
    assert "*Unreviewed: 6 of the counted codings are proposals not reviewed yet.*" in text


def test_markdown_escapes_pipes():
    import pandas as pd

    from qualcode.exporters.tables import to_markdown

    t = TableResult("T", pd.DataFrame({"label": ["a | b", "c"], "n": [1, 2]}), notes=["x"])
    text = to_markdown([t], Provenance(project="p", command="c"))
    assert parse_md_tables(text)["T"] == [["label", "n"], ["a | b", "1"], ["c", "2"]]


# --------------------------------------------------------------------------- tex


def parse_tex_tables(text):
    """Captions, header rows (between \\toprule and \\midrule) and body rows (after
    \\endlastfoot) of the booktabs longtables."""
    out = []
    for block in text.split("\\begin{longtable}")[1:]:
        block = block.split("\\end{longtable}")[0]
        caption = re.search(r"\\caption\{(.*)\}", block).group(1)
        head = block.split("\\toprule\n", 1)[1].split("\\midrule\n", 1)[0]
        header = [[c.strip() for c in re.sub(r"\\\\.*$", "", line).split(" & ")] for line in head.splitlines()]
        body = block.split("\\endlastfoot\n", 1)[1]
        rows = [[c.strip() for c in line.rstrip("\\ ").split(" & ")]
                for line in body.splitlines() if line.strip() and line.strip() != "\\midrule"]
        out.append((caption, header, rows))
    return out


def test_tex(fx, out):
    path = out / "freq.tex"
    run(fx, "freq", "--by", "group", "--format", "tex", "--output", path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("% qualcode: ")
    assert PROVENANCE_RE.fullmatch(text.splitlines()[0][len("% qualcode: "):])
    ((caption, header, rows),) = parse_tex_tables(text)
    assert caption == "Codes by group"
    # two header rows: the groups over units / participants / %; labels instead of code paths
    assert header[0][1].startswith("\\multicolumn{3}{c}{\\textbf{local\\_\\allowbreak{}actor (n~=~")
    assert header[1][:4] == ["\\textbf{Code}", "\\textbf{units}", "\\textbf{participants}", "\\textbf{\\%}"]
    assert rows[3] == ["\\textbf{Heritage}", *HERITAGE[2:]]
    assert rows[1][0] == "\\hspace*{0.8em}Mining memory"
    assert "\\toprule" in text and "\\bottomrule" in text and "\\endhead" in text  # header on every page
    assert "\\resizebox" not in text
    assert "{\\footnotesize\\noindent Counted: 13 codings" in text


def test_tex_escape():
    from qualcode.exporters.tables import tex_escape

    assert tex_escape("a_b & 50% #1 {x} $ ~ ^ \\") == \
        "a\\_b \\& 50\\% \\#1 \\{x\\} \\$ \\textasciitilde{} \\textasciicircum{} \\textbackslash{}"
    assert tex_escape("A∩B") == "A$\\cap$B"
    assert tex_escape("a/b_c", breaks=True) == "a/\\allowbreak{}b\\_\\allowbreak{}c"


# --------------------------------------------------------------------------- docx


def test_docx(fx, out):
    from docx import Document
    from docx.shared import Pt

    path = out / "freq.docx"
    run(fx, "freq", "--by", "group", "-o", path)
    doc = Document(str(path))
    first = doc.paragraphs[0]
    assert first.text.startswith("qualcode: ") and PROVENANCE_RE.fullmatch(first.text[len("qualcode: "):])
    assert first.runs[0].font.size == Pt(8)
    footer = doc.sections[0].footer.paragraphs[0].text
    assert footer.startswith("qualcode: project: Fixture; command: qualcode report freq --by group; created: ")
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions == ["Table 1 – Codes by group"]  # exports in English ([export] language)
    (table,) = doc.tables
    assert table.style.name == "Table Grid"
    groups = [c.text for c in table.rows[0].cells]  # merged cells repeat their text
    assert groups[1:4] == ["local_actor (n\u00a0=\u00a02)"] * 3 and groups[-1].startswith("total (n\u00a0=")
    header = table.rows[1].cells
    assert [c.text for c in header] == ["Code", *[c.split(" ", 1)[1] if c.startswith(("local", "resid", "total"))
                                                   else c.rsplit(" ", 1)[1] for c in FREQ_COLUMNS[2:]]]
    assert all(run.bold for c in header for run in c.paragraphs[0].runs)
    rows = {r.cells[0].text: r for r in table.rows[2:]}
    assert [c.text for c in rows["Heritage"].cells] == HERITAGE[1:]
    assert rows["Museum"].cells[0].paragraphs[0].paragraph_format.left_indent > 0
    assert rows["Heritage"].cells[0].paragraphs[0].runs[0].bold  # top-level codes in bold
    notes = [p.text for p in doc.paragraphs if p.runs and p.runs[0].italic]
    assert notes[0].startswith("Counted: 13 codings") and any(n.startswith("Unreviewed: 6") for n in notes)


def test_docx_several_tables(fx, out):
    from docx import Document

    path = out / "words.docx"
    run(fx, "words", "--by", "group", "--top", "2", "-o", path)
    doc = Document(str(path))
    assert [p.text for p in doc.paragraphs if p.style.name == "Caption"] == [
        "Table 1 – Most frequent lemmas (top 2): group = local_actor",
        "Table 2 – Most frequent lemmas (top 2): group = resident",
        "Table 3 – Most frequent lemmas (top 2): group = (no case)"]
    assert [c.text for c in doc.tables[1].rows[1].cells] == ["1", "musée", "2", f"{2000 / 36:.2f}", "2"]


# --------------------------------------------------------------------------- json


def test_json_file_and_stdout(fx, out):
    path = out / "m.json"
    run(fx, "matrix", "--cols", "docs", "--presence", "-o", path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["provenance"]["command"] == "qualcode report matrix --rows codes --cols docs --presence"
    (table,) = data["tables"]
    assert {r["code"]: r["total"] for r in table["rows"]}["heritage/tourism"] == 2
    stdout = json.loads(run(fx, "matrix", "--cols", "docs", "--presence", "--json").stdout)
    assert stdout["tables"] == data["tables"]


# --------------------------------------------------------------------------- safety


def test_never_overwrites_without_force(fx, out):
    path = out / "freq.csv"
    run(fx, "freq", "--level", "top", "-o", path)
    before = path.read_bytes()
    res = fx("report", "freq", "--by", "group", "-o", path)
    assert res.exit_code == 1 and "already exists (use --force to overwrite it)" in res.stderr
    assert path.read_bytes() == before
    run(fx, "freq", "--by", "group", "-o", path, "--force")
    assert path.read_bytes() != before and "local_actor units" in path.read_text(encoding="utf-8-sig")
    assert leftovers(out) == []


def test_failed_write_leaves_no_file(fx, out, monkeypatch):
    import qualcode.exporters.tables as tables

    def broken(tables_, provenance, path, *args, **options):
        path.write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(tables, "write_docx", broken)
    path = out / "r.docx"
    res = fx("report", "freq", "-o", path)
    assert res.exit_code == 1 and "disk full" in res.stderr
    assert not path.exists() and leftovers(out) == []
    path.write_bytes(b"previous report")
    res = fx("report", "freq", "-o", path, "--force")
    assert res.exit_code == 1 and path.read_bytes() == b"previous report" and leftovers(out) == []


def test_file_mode_follows_umask(fx, out):
    old = os.umask(0o022)
    try:
        path = out / "freq.md"
        run(fx, "freq", "-o", path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_format_and_output_errors(fx, out):
    res = fx("report", "freq", "-o", out / "freq.pdf")
    assert res.exit_code == 2 and "cannot tell the format" in res.stderr
    res = fx("report", "freq", "--format", "xlsx")
    assert res.exit_code == 2 and "needs --output FILE" in res.stderr
    res = fx("report", "freq", "--format", "odt", "-o", out / "x.odt")
    assert res.exit_code == 2 and "unknown format 'odt'" in res.stderr
    res = fx("report", "freq", "--json", "-o", out / "x.json")
    assert res.exit_code == 2
    res = fx("report", "freq", "-o", out / "missing" / "x.csv")
    assert res.exit_code == 1 and "does not exist" in res.stderr
    assert list(out.iterdir()) == []
    # a text format without --output goes to stdout; --format wins over the extension
    res = run(fx, "freq", "--format", "md")
    assert res.stdout.startswith("<!-- qualcode: ") and "## Codes" in res.stdout
    path = out / "table.txt"
    run(fx, "freq", "--format", "csv", "-o", path)
    assert path.read_text(encoding="utf-8-sig").startswith("# qualcode: ")
