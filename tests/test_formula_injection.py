"""Formula injection (issue 16, D6): no spreadsheet qualcode writes holds a live formula.

A project whose document names, transcript text, case attributes, code labels and
definitions start with ``=``, ``+``, ``-``, ``@``, tab or carriage return is exported to
every CSV and XLSX output (report tables, agreement, excerpts, codebook, review and
reconcile sheets). Every text cell that would start a formula must carry a leading ``'``
(OWASP), XLSX cells must be strings (never data type ``f``), and the review and reconcile
sheets must read back exactly (the quote taken off again).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from helpers import Coding, add_codings, build_project
from hypothesis import given
from hypothesis import strategies as st

from qualcode.autocode import _record_version
from qualcode.codebook import load_codebook
from qualcode.codebook.sync import sync_codes
from qualcode.formulas import neutralize, restore

CODEBOOK = """\
title: Injection
language: fr
codes:
  - code: link
    label: '=HYPERLINK("http://evil.example","clic")'
    definition: '@SUM(1+1)*cmd|'' /C calc''!A0'
  - code: plus
    label: '+1+cmd'
    definition: "\\t=1+2"
  - code: minus
    label: '-2+3'
    definition: "\\r=1+2"
"""

# Document names (from the file names) and turns that start like formulas.
DOCS = {
    "=doc": "Enquêtrice : Bonjour.\nPaul : =HYPERLINK(\"http://evil.example\") et voilà.\n"
            "Enquêtrice : Et ?\nPaul : +33 6 12 34 56 78 appelez.\n",
    "-doc": "Enquêtrice : Bonjour.\nMarie : -2+3 au total.\nEnquêtrice : Et ?\nMarie : @SUM(A1) fin.\tcmd|calc\n",
}

PARTICIPANTS = "case;pseudonym;document;group\nP1;=Paul;=doc;=1+1\nP2;@Marie;-doc;-2+3\n"

PASSAGES = [("=doc", '=HYPERLINK("http://evil.example") et voilà.', "link"),
            ("=doc", "+33 6 12 34 56 78 appelez.", "plus"),
            ("-doc", "-2+3 au total.", "minus"),
            ("-doc", "@SUM(A1) fin.", "link")]
TAB = "\tcmd|calc"  # a passage that starts with a tab (its own coding, for the review sheet)

# Texts that must appear, quoted, in the outputs named by the tests below.
LABELS = ['=HYPERLINK("http://evil.example","clic")', "+1+cmd", "-2+3"]
DEFINITIONS = ["@SUM(1+1)*cmd|' /C calc'!A0", "=1+2"]  # (the codebook strips the tab and CR)
TEXTS = [p for _, p, _ in PASSAGES]

DANGER = ("=", "+", "-", "@", "\t", "\r")
# a text that is only a number is read as that number by a spreadsheet: it may stay as is
NUMBER = re.compile(r"[-+]?(?:(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?|inf)")


def live(v) -> bool:
    """Whether a cell value would be taken for a formula by a spreadsheet."""
    return isinstance(v, str) and v[:1] in DANGER and not NUMBER.fullmatch(v)


@pytest.fixture
def injected(project, tmp_path):
    build_project(project, tmp_path / "src", codebook=CODEBOOK, documents=DOCS, participants=PARTICIPANTS)
    book = project.root / "codebooks" / "test.yaml"
    codebook = load_codebook(book)
    with project.store.transaction():  # the codes table, as autocode would leave it
        sync_codes(project, codebook)
        _record_version(project, codebook, book)
    add_codings(project, [Coding(d, p, c, coder="rules", status="proposed") for d, p, c in PASSAGES]
                + [Coding("-doc", TAB, "minus", coder="rules", status="proposed")]
                + [Coding(d, p, c, coder=coder) for d, p, c in PASSAGES
                   for coder in ("A", "B") if not (coder == "B" and c == "plus")])
    return project


def csv_cells(path):
    text = path.read_text(encoding="utf-8-sig")
    body = [ln for ln in text.splitlines(keepends=True) if not ln.startswith("#")]
    return [c for row in csv.reader(io.StringIO("".join(body))) for c in row]


def xlsx_cells(path):
    from openpyxl import load_workbook

    wb = load_workbook(path)  # formulas kept as formulas (not data_only)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    return [c.value for c in cells]


def check(path, expected):
    """No live formula in the file; every text of ``expected`` is there, quoted."""
    values = xlsx_cells(path) if path.suffix == ".xlsx" else csv_cells(path)
    assert [v for v in values if live(v)] == []
    strings = [v for v in values if isinstance(v, str)]
    for text in expected:
        assert any(v == "'" + text or (text.strip() and v.startswith("'" + text)) for v in strings), (text, path)
    return values


def ok(res):
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_report_and_agreement_tables(injected, cli, tmp_path, ext):
    out = tmp_path / f"freq.{ext}"
    ok(cli("report", "freq", "--by", "group", "--status", "proposed", "--status", "accepted", "-o", out))
    check(out, ["=1+1", "-2+3", *LABELS])
    out = tmp_path / f"matrix.{ext}"
    ok(cli("report", "matrix", "--cols", "docs", "-o", out))
    check(out, ["=doc", "-doc"])
    out = tmp_path / f"agreement.{ext}"
    ok(cli("agreement", "--coders", "A,B", "--unit", "turn", "-o", out))
    check(out, [])


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_excerpts(injected, cli, tmp_path, ext):
    out = tmp_path / f"excerpts.{ext}"
    ok(cli("export", "excerpts", "--by", "group", "--coder", "rules", "-o", out))
    check(out, ["=1+1", "-2+3", "=Paul", "@Marie", "=doc", "-doc", *LABELS, *TEXTS])


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_codebook_export(injected, cli, tmp_path, ext):
    out = tmp_path / f"codebook.{ext}"
    ok(cli("codebook", "export", "-o", out))
    check(out, [*LABELS, *DEFINITIONS])


def fill(path, column: str, values: dict[int, str]) -> None:
    """Write ``values`` (row index -> text) in ``column`` of the sheet, as a coder would."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path)
        ws = wb.worksheets[0]
        col = [c.value for c in ws[1]].index(column) + 1
        for i, v in values.items():
            ws.cell(i + 2, col).value = v
        wb.save(path)
        return
    text = path.read_text(encoding="utf-8-sig")
    head = [ln for ln in text.splitlines(keepends=True) if ln.startswith("#")]
    rows = list(csv.reader(io.StringIO("".join(ln for ln in text.splitlines(keepends=True)
                                                if not ln.startswith("#")))))
    col = rows[0].index(column)
    for i, v in values.items():
        rows[i + 1][col] = v
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text("".join(head) + buf.getvalue(), encoding="utf-8-sig", newline="")


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_review_sheet_round_trip(injected, cli, tmp_path, ext):
    sheet = tmp_path / f"review.{ext}"
    ok(cli("review", "--export", sheet))
    check(sheet, ["=doc", "-doc", *LABELS, *TEXTS, TAB])
    n = len(PASSAGES) + 1
    fill(sheet, "decision", dict.fromkeys(range(n), "accept"))
    fill(sheet, "note", {0: "- à revoir", 1: "@ voir"})
    res = ok(cli("review", "--import", sheet, "--json"))
    assert f'"accepted": {n}' in res.stdout, res.stdout
    statuses = injected.store.execute("SELECT status FROM codings WHERE coder = 'rules'").fetchall()
    assert [s[0] for s in statuses] == ["accepted"] * n
    memos = sorted(m[0] for m in injected.store.execute("SELECT text FROM memos WHERE target_type = 'coding'"))
    assert memos == ["- à revoir", "@ voir"]


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_reconcile_sheet_round_trip(injected, cli, tmp_path, ext):
    sheet = tmp_path / f"reconcile.{ext}"
    ok(cli("reconcile", "--coders", "A,B", "--unit", "turn", "--export", sheet))
    check(sheet, ["=doc", "+1+cmd", TEXTS[1]])  # the one disagreement: B did not code "plus"
    fill(sheet, "decision", {0: "keep"})
    res = ok(cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet, "--json"))
    assert '"kept": 1' in res.stdout, res.stdout
    kept = injected.store.execute("SELECT d.name, k.text FROM codings k JOIN documents d ON d.id = k.document_id"
                                  " WHERE k.origin = 'reconcile:kept'").fetchall()
    assert [(r[0], r[1].endswith(TEXTS[1])) for r in kept] == [("=doc", True)]


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "1", ",", "a", " ", "e"]),
               max_size=8))
def test_restore_undoes_neutralize(s):
    assert restore(neutralize(s)) == s
    assert not live(neutralize(s))


def test_neutralize_examples():
    assert neutralize("=1+1") == "'=1+1"
    assert neutralize("'=1+1") == "''=1+1" and restore("''=1+1") == "'=1+1"
    assert neutralize("-3") == "-3" and neutralize("-0,25") == "-0,25" and neutralize("-inf") == "-inf"
    assert neutralize("-3 ans") == "'-3 ans"
    assert neutralize("'quoted") == "'quoted" and restore("'quoted") == "'quoted"
    assert neutralize(-3) == -3 and neutralize(None) is None
