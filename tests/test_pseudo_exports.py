"""Every command that writes a file leaving the project (tables, charts, excerpts, report,
REFI-QDA, pseudonymized transcripts) is pseudonymized and audited the same way when the
project has a key: zero leaks of the planted names, words that only look like names
kept, a leaking file refused with the list (file, place, what) and nothing written,
``--allow-leaks`` writing it with the report, and the audit in the history."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import zipfile

import pytest
from docx import Document
from helpers.db import assert_offsets_sacred, snapshot
from helpers.factory import Coding, add_codings
from helpers.pseudo import DOCUMENTS, KEY, LOOKALIKES, build_pseudo_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from qualcode.errors import QualcodeError
from qualcode.pseudo.key import load_key

NAMES = [name for name, _ in KEY]


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


# a person's first or last name alone, capitalised; the documents' own names
PARTS = re.compile(r"(?<!\w)(?:Martine|Vasseur|Lefebvre|Jean-Pierre)(?!\w)|entretien_(?:vasseur|gerard)")


def identifying(text: str) -> list[str]:
    """Everything of the fixture that says who spoke: the key's names (people, streets,
    communes, the association, an e-mail, a phone number, across line breaks), a person's
    first or last name alone, the documents' names."""
    return leaked(text) + PARTS.findall(text)


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


# ---------------------------------------------------------------------------- the acceptance test

# every format a file leaves the project in: the command, the files it writes (in tmp_path),
# and whether they hold the interviews' own words (then the look-alike words must be there)
FORMATS = {
    **{f"excerpts {fmt}": (["export", "excerpts", "-o", f"x.{fmt}"], [f"x.{fmt}"], True)
       for fmt in ("docx", "md", "tex", "csv", "xlsx")},
    "report docx": (["export", "report", "-o", "r.docx", "--by", "commune"], ["r.docx"], True),
    "qdpx": (["export", "qdpx", "p.qdpx"], ["p.qdpx"], True),
    "qdc": (["export", "qdc", "c.qdc"], ["c.qdc"], False),
    **{f"evaluate {fmt}": (["evaluate", "--gold", "camille", "--unit", "turn", "--show", "fp,fn", "-o", f"e.{fmt}"],
                           [f"e.{fmt}"], False) for fmt in TABLE_FORMATS},
    **{f"report matrix {fmt}": (["report", "matrix", "--cols", "docs", "-o", f"m.{fmt}"], [f"m.{fmt}"], False)
       for fmt in ("xlsx", "json")},
    "chart svg": (["chart", "freq", "--by", "commune", "-o", "g.svg"], ["g.svg"], False),
    "chart png": (["chart", "cooccurrence", "--by", "commune", "-o", "g.png"], ["g.png"], False),
    **{f"pseudonymized {fmt}": (["export", "pseudonymized", "partage", "--format", fmt],
                                [f"partage/entretien_Mme V.{fmt}", f"partage/entretien_[son mari].{fmt}",
                                 "partage/turns.csv"], True) for fmt in ("txt", "docx")},
}


@pytest.mark.parametrize("name", list(FORMATS))
def test_planted_names_never_leave_in_any_format(run, project, tmp_path, name):
    """Issue 15's acceptance test: people, streets, communes, an association, elisions
    (d'Hénin, L'Hénin), possessives (à Gérard, Martine's), a name split across a line
    break, a surname that is also a common word (Blanc) and a farm (Ferme Delcourt) —
    zero leaks in every format, the words that only look like names untouched, the
    stored codings where they were."""
    args, files, texts = FORMATS[name]
    before = snapshot(project, ("documents", "codings"))
    res = run(*[str(tmp_path / a) if a.endswith(tuple(f".{x}" for x in (*TABLE_FORMATS, "qdpx", "qdc", "svg",
                                                                         "png"))) or a == "partage" else a
                for a in args])
    assert res.exit_code == 0, res.output
    assert "audit: 0 leaks" in res.output
    written = []
    for file in files:
        path = tmp_path / file
        text = chart_words(path) if path.suffix in (".png", ".svg") else read_back(path)
        assert identifying(text) == [], file
        written.append(text)
        # what the audit of any file says, afterwards (the same rules as the export's)
        assert run("pseudo", "audit", path, "--no-ner").exit_code == 0, file
    if texts:
        flat = " ".join(" ".join(written).split())
        for word in LOOKALIKES:
            assert word in flat, word
        assert "linge blanc" in flat and "[le voisin]" in flat  # Blanc the neighbour, blanc the colour
        assert "[adresse e-mail]" in flat or "excerpts" in name or "report" in name  # not in an excerpt
        assert "jardin à [son mari]" in flat and "Mme V.'s garden" in flat  # possessives
    assert snapshot(project, ("documents", "codings")) == before
    assert assert_offsets_sacred(project) > 0


spans = st.lists(st.tuples(st.sampled_from(sorted(DOCUMENTS)), st.integers(0, 500), st.integers(1, 120)),
                 min_size=1, max_size=6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spans)
def test_property_exports_never_move_stored_codings(run, project, tmp_path, picked):
    """Codings on any span — starting or ending inside a name, across a line break —
    stay where they are through pseudonymized exports; each excerpt written is the
    pseudonymized form of exactly its span (a name cut by its edge replaced whole)."""
    store = project.store
    ids = {name: i for i, name in store.documents.names().items()}
    code = next(c.id for c in store.codes.all() if c.path == "lieux")
    with store.transaction():
        for doc, start, length in picked:
            text = store.documents.text(ids[doc])
            start = min(start, len(text) - 1)
            end = min(start + length, len(text))
            with contextlib.suppress(QualcodeError):  # the same span twice
                store.codings.add(document_id=ids[doc], code_id=code, start=start, end=end, coder="prop",
                                  origin="manual", status="accepted")
    before = snapshot(project, ("documents", "codings"))
    out = tmp_path / "prop.csv"
    res = run("export", "excerpts", "-o", out, "--coder", "prop", "--force")
    assert res.exit_code == 0, res.output
    assert snapshot(project, ("documents", "codings")) == before
    assert assert_offsets_sacred(project) > 0
    key = load_key(tmp_path / "keys" / "key.toml").pseudonymizer()
    lines = [line for line in out.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    stored = {name: store.documents.text(i) for name, i in ids.items()}
    written = {key.name(name): name for name in stored}
    assert rows
    for r in rows:
        original = stored[written[r["document"]]]
        start, end = int(r["start"]), int(r["end"])
        expected = key.document(original).slice(start, end)
        assert " ".join(r["text"].split()) == " ".join(expected.split())
        assert leaked(r["text"]) == []


def test_the_key_names_are_leaks_not_unknown_names(run, tmp_path):
    """The NER list holds only what the key does not know: neither its names (already
    leaks) nor its replacements, brackets and points aside ("[commune A]", "Mme D.")."""
    assert run("pseudo", "add", "Lens", "[commune A]").exit_code == 0
    page = tmp_path / "brouillon.md"
    page.write_text("# Brouillon\n\nMartine Vasseur a travaillé avec Jean Dupont à Marseille, puis à Lens.\n\n"
                    "Mme V. a travaillé avec Jean Dupont à Marseille, puis à [commune A].\n", encoding="utf-8")
    res = run("pseudo", "audit", page, "--json")
    assert res.exit_code == 1
    findings = json.loads(res.output)["findings"]
    leaks = {f["what"] for f in findings if f["kind"] == "leak"}
    unknown = {f["what"] for f in findings if f["kind"] == "unknown-name"}
    assert leaks == {"Martine Vasseur", "Lens"}
    assert "Marseille" in unknown and "Jean Dupont" in unknown
    assert not unknown & {"Martine Vasseur", "Lens", "A", "Mme V", "Mme V.", "[commune A]", "commune A"}


@pytest.mark.parametrize("fmt", ["md", "docx", "csv", "xlsx"])
def test_the_codebook_document_is_pseudonymized_and_audited(run, tmp_path, fmt):
    """``codebook export``: a code's definition quotes a street of the key."""
    out = tmp_path / f"livre.{fmt}"
    res = run("codebook", "export", "-o", out)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    text = read_back(out)
    assert identifying(text) == [] and "[une rue]" in text and "la ferme" in text
    leaky = tmp_path / f"fuite.{fmt}"
    res = run("codebook", "export", "-o", leaky, "--no-pseudo")
    assert res.exit_code == 1 and not leaky.exists()
    assert f"{leaky}:" in res.output and "leak: rue Émile-Zola" in res.output
    res = run("codebook", "export", "-o", leaky, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0 and "rue Émile-Zola" in read_back(leaky)
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    assert [h["details"]["refused"] for h in history if h["command"] == "codebook export"] == [False, True, False]


def test_the_codebook_on_standard_output_is_audited(run):
    res = run("codebook", "export")
    assert res.exit_code == 0 and "[une rue]" in res.stdout.replace("\\[", "[").replace("\\]", "]")
    assert "Émile-Zola" not in res.stdout
    res = run("codebook", "export", "--no-pseudo")
    assert res.exit_code == 1 and "Émile-Zola" not in res.stdout and "-:line" in res.stderr
