"""`qualcode demo DIR`: one real run on the bundled sample (it takes several seconds), then
checks of what it printed and wrote: the table of codes by group, report.docx and
tables.xlsx, re-opened with python-docx and openpyxl."""

from __future__ import annotations

import re

import pytest
from docx import Document
from helpers import Runner
from openpyxl import load_workbook

from qualcode.project import Project

pytestmark = pytest.mark.slow  # the whole demo: 11 transcripts imported, annotated, coded, exported


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    res = Runner(base)("demo", "bassin")
    assert res.exit_code == 0, res.output
    return base / "bassin", res.stdout


def printed_row(stdout: str, label: str) -> list[int]:
    """Numbers of a row of the printed table: units/participants per group, then all."""
    line = next(ln for ln in stdout.splitlines() if ln.strip().startswith(label + " ") and "/" in ln)
    return [int(n) for n in re.findall(r"(\d+) / (\d+)", line) for n in n]


def test_demo_prints_steps_table_and_export_paths(demo):
    root, out = demo
    for step in ("1. import: 11 transcripts imported", "2. cases: 11 participants",
                 "3. autocode: codebook", "4. codes by group", "5. exports:"):
        assert step in out
    assert "local_actor (n=5)" in out and "resident (n=6)" in out
    lines = [line.strip() for line in out.splitlines()]
    assert "bassin/report.docx  (report: codes by group, co-occurrence, charts, excerpts)" in lines
    assert "bassin/tables.xlsx  (tables: codes by group, co-occurrence, codes × cases)" in lines
    assert (root / "report.docx").is_file() and (root / "tables.xlsx").is_file()


def test_demo_tables_xlsx_matches_printed_table(demo):
    root, out = demo
    wb = load_workbook(root / "tables.xlsx")
    assert "provenance" in wb.sheetnames
    freq = wb[wb.sheetnames[0]]
    header = [c.value for c in freq[1]]
    rows = {r[1]: dict(zip(header, r)) for r in freq.iter_rows(min_row=2, values_only=True)}
    for label in ("Mining memory", "Heritage instrumentalization", "Youth leaving"):
        r = rows[label]
        assert printed_row(out, label) == [r["local_actor units"], r["local_actor participants"],
                                           r["resident units"], r["resident participants"],
                                           r["total units"], r["total participants"]]
    # co-occurrence (code × code) and matrix (codes × the 11 cases) sheets
    assert len(wb.sheetnames) == 4
    cooc, matrix = wb[wb.sheetnames[1]], wb[wb.sheetnames[2]]
    assert [c.value for c in cooc[1]][:3] == ["code", "label", "identity"]
    assert [c.value for c in matrix[1]][2:13] == [f"P{i:02d}" for i in range(1, 12)]
    prov = {r[0]: r[1] for r in wb["provenance"].iter_rows(values_only=True) if r[0]}
    assert prov["project"] == "Bassin minier (demo)"
    assert "run by qualcode demo" in prov["command"]


def test_demo_report_docx(demo):
    root, _ = demo
    doc = Document(str(root / "report.docx"))
    assert doc.paragraphs[0].style.name == "Title"
    assert "command: qualcode export report --by group" in doc.paragraphs[1].text
    assert "codebook: Bassin minier – reconversion des sites miniers par la culture (version " \
           in doc.paragraphs[1].text
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == ["Codes par groupe", "Co-occurrence des codes", "Extraits par code"]
    assert len(doc.inline_shapes) == 2
    assert len(doc.tables) == 2
    nb = "\u00a0"  # the demo's labels (qualcode.toml [labels]), French numbers
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Code", f"acteurs locaux (n{nb}={nb}5)",
                                                           f"habitants (n{nb}={nb}6)", f"Total (n{nb}={nb}11)"]
    with Project.open(root) as project:
        n_codings = project.store.execute("SELECT COUNT(*) FROM codings").fetchone()[0]
        rows = project.store.execute('SELECT k.text, d.text, k.start, k."end" FROM codings k '
                                     "JOIN documents d ON d.id = k.document_id").fetchall()
    assert all(doc_text[s:e] == text for text, doc_text, s, e in rows)
    # every coding is quoted once (no coding is shared by two coders in the demo)
    assert len([p for p in doc.paragraphs if p.style.name == "Quote"]) == n_codings


def test_demo_refuses_to_overwrite_without_force(demo):
    from qualcode.demo import write_demo_exports
    from qualcode.errors import QualcodeError

    root, _ = demo
    before = (root / "report.docx").read_bytes()
    res = Runner(root.parent)("demo", "bassin")
    assert res.exit_code == 1
    assert "already holds a project (use --force to rebuild it)" in res.output
    with Project.open(root) as project, pytest.raises(QualcodeError, match="already exists"):
        write_demo_exports(project, root)
    assert (root / "report.docx").read_bytes() == before
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".report") or p.name.startswith(".tables")) \
        == []



def test_demo_force_rebuilds_its_own_folder(demo, tmp_path):
    """The README's `qualcode demo --force`, run again on a demo folder (a copy of the
    module's): rebuilt, marker kept; the demo refuses other folders (test_demo_folder.py)."""
    import shutil

    root, _ = demo
    assert (root / ".qualcode-demo").is_file()
    copy = shutil.copytree(root, tmp_path / "bassin")
    (copy / "report.docx").write_bytes(b"stale")
    res = Runner(tmp_path)("demo", "bassin", "--force")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in root.iterdir())
    assert Document(str(copy / "report.docx")).paragraphs[0].style.name == "Title"
