"""Every command that writes a file leaving the project (tables, charts, excerpts, report,
REFI-QDA, pseudonymized transcripts) is pseudonymized and audited the same way when the
project has a key: zero leaks of the planted names, words that only look like names
kept, a leaking file refused with the list (file, place, what) and nothing written,
``--allow-leaks`` writing it with the report, and the audit in the history."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from docx import Document
from helpers.db import assert_offsets_sacred, snapshot
from helpers.factory import Coding, add_codings
from helpers.pseudo import KEY, LOOKALIKES, build_pseudo_project
from openpyxl import load_workbook

NAMES = [name for name, _ in KEY]


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


# the rules' proposals that the gold coder (camille) did not make: false positives whose
# texts (with every kind of planted name) go into evaluate's and agreement's files
RULES = [
    Coding("entretien_vasseur", "Avec les Amis de la Ferme Delcourt on fait des visites", "lieux", coder="rules",
           status="proposed"),
    Coding("entretien_gerard", "Oui, Martine\nVasseur, c'est ma femme.", "lieux", coder="rules", status="proposed"),
    Coding("entretien_vasseur", "Mon mari Gérard travaillait à la fosse d'Hénin, comme son père.", "lieux",
           coder="rules", status="proposed"),
    Coding("entretien_vasseur", "M. Blanc, il étend son linge blanc le lundi.", "famille", coder="rules",
           status="proposed"),
]


@pytest.fixture
def run(project, tmp_path):
    runner = build_pseudo_project(project, tmp_path)
    add_codings(project, RULES)
    return runner


def leaked(text: str) -> list[str]:
    """The key's names left in ``text`` as whole words (any case for names of several
    words, capitalised for one-word names; across line breaks)."""
    out = []
    for name in NAMES:
        parts = [re.escape(p) for p in re.split(r"[\s-]+", name)]
        flags = 0 if " " not in name and "-" not in name else re.IGNORECASE
        if re.search(r"(?<!\w)" + r"[\s-]+".join(parts) + r"(?!\w)", text, flags):
            out.append(name)
    return out


def read_back(path) -> str:
    """The text of a written file, read the way a reader would: python-docx, openpyxl, zip."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        doc = Document(str(path))
        parts = [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
        parts += [p.text for s in doc.sections for p in (*s.header.paragraphs, *s.footer.paragraphs)]
        parts.append(doc.core_properties.title or "")
        return "\n".join(parts)
    if suffix == ".xlsx":
        wb = load_workbook(path)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                         if c is not None)
    if suffix in (".qdpx",):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8") for n in z.namelist())
    text = path.read_text(encoding="utf-8-sig")
    if suffix == ".json":  # the strings as a reader sees them, not their escapes
        return json.dumps(json.loads(text), ensure_ascii=False)
    # Markdown's and LaTeX's escapes
    for escaped, plain in (("\\[", "["), ("\\]", "]"), ("\\_\\allowbreak{}", "_"), ("\\_", "_"), ("{[}", "["),
                           ("{]}", "]")):
        text = text.replace(escaped, plain)
    return text


# command (before the output), the output's suffix, what the pseudonymized file must show
EXPORTS = {
    "report freq": (["report", "freq", "--by", "commune"], "[commune du bassin]"),
    "report cooccurrence": (["report", "cooccurrence", "--by", "commune", "--unit", "turn"], "[commune du bassin]"),
    "report matrix": (["report", "matrix", "--cols", "docs"], "entretien_Mme V."),
    "agreement": (["agreement", "--coders", "camille,rules", "--unit", "turn"], None),
    "evaluate": (["evaluate", "--gold", "camille", "--unit", "turn", "--show", "fp,fn"], "[une ferme]"),
}
TABLE_FORMATS = ["csv", "xlsx", "md", "tex", "docx", "json"]


@pytest.mark.parametrize("fmt", TABLE_FORMATS)
@pytest.mark.parametrize("name", list(EXPORTS))
def test_table_files_are_pseudonymized_and_audited(run, project, tmp_path, name, fmt):
    args, shown = EXPORTS[name]
    before = snapshot(project, ("documents", "codings"))
    out = tmp_path / f"table.{fmt}"
    res = run(*args, "-o", out)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    text = read_back(out)
    assert leaked(text) == []
    if shown:
        assert shown in text
    if name == "evaluate":  # the false positives' texts: every kind of planted name, replaced
        flat = " ".join(text.split())
        for replaced in ("Mme V.", "[son mari]", "[le voisin]", "[commune du bassin]"):
            assert replaced in flat
        assert "linge blanc" in flat  # a word that only looks like a name is kept
    assert snapshot(project, ("documents", "codings")) == before
    assert assert_offsets_sacred(project) > 0


@pytest.mark.parametrize("name", list(EXPORTS))
def test_a_leaking_table_is_refused_then_written_with_allow_leaks(run, tmp_path, name):
    args, _ = EXPORTS[name]
    if name == "agreement":  # its table holds codes and coders only: a code's label in the key
        assert run("pseudo", "add", "Lieux de vie", "[les lieux]").exit_code == 0
    out = tmp_path / "table.xlsx"
    res = run(*args, "-o", out, "--no-pseudo")
    assert res.exit_code == 1, res.output
    assert not out.exists() and not list(tmp_path.glob(".table.xlsx*"))  # nothing written, no temporary file
    assert "export refused" in res.output
    assert re.search(re.escape(str(out)) + r":\S[^:]*!row \d+: leak: ", res.output)  # file, place, what
    res = run(*args, "-o", out, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0, res.output
    assert out.exists() and "written with leaks (--allow-leaks)" in res.output
    assert leaked(read_back(out)) or "entretien_vasseur" in read_back(out) or "Lieux de vie" in read_back(out)
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    audits = [h["details"] for h in history if h["details"]["action"] == "audit"]
    assert [(a["refused"], a["allow_leaks"], a["files"]) for a in audits] == [
        (True, False, [str(out)]), (False, True, [str(out)])]
    assert history[-1]["command"].startswith(" ".join(args[:2]) if args[0] == "report" else args[0])


def test_tables_on_standard_output_are_audited_too(run):
    res = run("report", "freq", "--by", "commune", "--format", "md")
    assert res.exit_code == 0, res.output
    shown = res.stdout.replace("\\[", "[").replace("\\]", "]")  # Markdown's escapes
    assert leaked(shown) == [] and "[commune du bassin]" in shown
    res = run("report", "freq", "--by", "commune", "--format", "md", "--no-pseudo")
    assert res.exit_code == 1
    assert "Hénin-Beaumont" not in res.stdout  # nothing printed
    assert "-:line" in res.stderr and "leak: Hénin-Beaumont" in res.stderr


def test_the_terminal_and_json_are_left_as_stored(run):
    """Only what leaves the project is pseudonymized: the researcher's own screen is not."""
    res = run("report", "freq", "--by", "commune", "--json")
    assert res.exit_code == 0 and "Hénin-Beaumont" in res.output


def chart_words(path) -> str:
    """The words of a chart: SVG draws them as paths, so they are read from the metadata
    (SVG keywords, PNG text chunks read with Pillow), where the chart writes them."""
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as img:
            return "\n".join(str(v) for v in img.text.values())
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", ["svg", "png"])
@pytest.mark.parametrize("chart", ["freq", "cooccurrence"])
def test_charts_are_pseudonymized_and_a_leaking_chart_is_refused(run, tmp_path, chart, suffix):
    out = tmp_path / f"figure.{suffix}"
    res = run("chart", chart, "--by", "commune", "-o", out)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    words = chart_words(out)
    assert leaked(words) == [] and "[commune du bassin]" in words
    leaky = tmp_path / f"fuite.{suffix}"
    res = run("chart", chart, "--by", "commune", "-o", leaky, "--no-pseudo")
    assert res.exit_code == 1 and not leaky.exists()
    assert "leak: Hénin-Beaumont" in res.output and f"{leaky}:" in res.output
    res = run("chart", chart, "--by", "commune", "-o", leaky, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0 and "Hénin-Beaumont" in chart_words(leaky)
    res = run("pseudo", "audit", leaky, "--no-ner")  # the same check on the file afterwards
    assert res.exit_code == 1 and "leak: Hénin-Beaumont" in res.output


def test_the_qdc_codebook_is_pseudonymized_and_audited(run, tmp_path):
    out = tmp_path / "livre.qdc"
    res = run("export", "qdc", out)
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert leaked(text) == [] and "[une rue]" in text  # the example in a code's definition
    assert "la ferme" in text  # not a name here
    res = run("export", "qdc", "-")
    assert res.exit_code == 0 and leaked(res.stdout) == [] and res.stdout.startswith("<?xml")
    leaky = tmp_path / "fuite.qdc"
    res = run("export", "qdc", leaky, "--no-pseudo")
    assert res.exit_code == 1 and not leaky.exists() and "leak: rue Émile-Zola" in res.output
    res = run("export", "qdc", "-", "--no-pseudo")
    assert res.exit_code == 1 and "<?xml" not in res.stdout and "-:<Description>" in res.stderr
    res = run("export", "qdc", leaky, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0 and "rue Émile-Zola" in leaky.read_text(encoding="utf-8")


def test_report_docx_refused_then_allowed(run, tmp_path):
    out = tmp_path / "rapport.docx"
    res = run("export", "report", "-o", out, "--by", "commune", "--no-pseudo")
    assert res.exit_code == 1 and not out.exists()
    assert f"{out}:" in res.output and "leak: Martine Vasseur" in res.output
    res = run("export", "report", "-o", out, "--by", "commune")
    assert res.exit_code == 0, res.output
    text = read_back(out)
    assert leaked(text) == []
    flat = " ".join(text.split())
    for word in LOOKALIKES:  # the excerpts of the report keep the words that only look like names
        assert word in flat


def test_the_audit_reads_json_files(run, tmp_path):
    page = tmp_path / "autre.json"
    page.write_text(json.dumps({"rows": [{"qui": "une habitante", "où": "rue Émile-Zola"}],
                                "note": "Martine\nVasseur"}, ensure_ascii=False), encoding="utf-8")
    res = run("pseudo", "audit", page, "--no-ner", "--json")
    assert res.exit_code == 1
    found = {(f["place"], f["what"]) for f in json.loads(res.output)["findings"]}
    assert ("rows[0]", "rue Émile-Zola") in found and ("note", "Martine\nVasseur") in found
