"""Pseudonymization end to end: the key outside the project, every export pseudonymized
and audited (zero leaks, words that only look like names kept), leaks refused, the
audit of any file, k-anonymity of citations, offsets of stored codings untouched."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
import zipfile

import pytest
from docx import Document
from helpers.db import assert_offsets_sacred, snapshot
from helpers.pseudo import KEY, LOOKALIKES, build_pseudo_project
from openpyxl import load_workbook

from qualcode.pseudo.key import load_key

# every key name and the lower-case one-word forms that must never be reported
NAMES = [name for name, _ in KEY]


@pytest.fixture
def run(project, tmp_path):
    return build_pseudo_project(project, tmp_path)


def leaked(text: str) -> list[str]:
    """The key's names left in ``text`` as whole words (any case and accents for names of
    several words, capitalised for one-word names)."""
    out = []
    for name in NAMES:
        parts = [re.escape(p) for p in re.split(r"[\s-]+", name)]
        flags = 0 if " " not in name and "-" not in name else re.IGNORECASE
        if re.search(r"(?<!\w)" + r"[\s-]+".join(parts) + r"(?!\w)", text, flags):
            out.append(name)
    return out


def docx_text(path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    parts += [p.text for s in doc.sections for p in s.footer.paragraphs]
    parts.append(doc.core_properties.title or "")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- the key


def test_the_key_lives_outside_the_project_and_records_who_and_when(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    res = run("pseudo", "add", "Gérard", "[son mari]")
    assert res.exit_code == 0, res.output
    config = tomllib.loads((project.root / "qualcode.toml").read_text(encoding="utf-8"))
    path = config["pseudo"]["key"]
    assert str(tmp_path / "data" / "qualcode" / "keys") in path
    assert not path.startswith(str(project.root))
    key = load_key(path)
    assert [(e.name, e.replacement, e.added_by) for e in key.entries] == [("Gérard", "[son mari]", "tester")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", key.entries[0].added_at)
    assert run("pseudo", "add", "Martine Vasseur", "Mme V.").exit_code == 0
    assert run("pseudo", "add", "Gérard", "[le mari]").exit_code == 0  # changes the replacement
    listed = json.loads(run("pseudo", "list", "--json").output)
    assert [(e["name"], e["replacement"], e["kind"]) for e in listed["entries"]] == [
        ("Gérard", "[le mari]", "other"), ("Martine Vasseur", "Mme V.", "person")]
    res = run("pseudo", "remove", "Gérard")
    assert res.exit_code == 0 and "removed: Gérard" in res.output
    assert [e.name for e in load_key(path).entries] == ["Martine Vasseur"]
    # every change is in the history, without the names (the history is part of the project)
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    assert [h["details"]["action"] for h in history] == ["add", "add", "change", "remove"]
    assert "Gérard" not in json.dumps(history, ensure_ascii=False)
    assert "Vasseur" not in json.dumps(history, ensure_ascii=False)


def test_a_key_inside_the_project_is_refused(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    res = run("pseudo", "add", "Gérard", "[son mari]", "--key", str(project.root / "cle.toml"))
    assert res.exit_code == 2
    assert "outside the project folder" in res.output
    assert not (project.root / "cle.toml").exists()
    assert "[pseudo]" not in (project.root / "qualcode.toml").read_text(encoding="utf-8")


def test_a_damaged_key_file_is_named(run, tmp_path):
    (tmp_path / "keys" / "key.toml").write_text("[[entry]]\nname = 3\n", encoding="utf-8")
    res = run("pseudo", "list")
    assert res.exit_code == 1
    assert "key.toml: entry 1 needs a name and a replacement" in res.output


# ---------------------------------------------------------------------------- exports


@pytest.mark.parametrize("fmt", ["docx", "md", "tex", "csv", "xlsx"])
def test_excerpts_come_out_with_zero_leaks_in_every_format(run, project, tmp_path, fmt):
    before = snapshot(project, ("documents", "codings"))
    out = tmp_path / f"extraits.{fmt}"
    res = run("export", "excerpts", "-o", out)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    if fmt == "docx":
        text = docx_text(out)
    elif fmt == "xlsx":
        wb = load_workbook(out)
        text = "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    else:
        text = out.read_text(encoding="utf-8-sig").replace("\\[", "[").replace("\\]", "]")  # Markdown escapes
    assert leaked(text) == []
    assert "[commune du bassin]" in text and "[son mari]" in text and "Mme V." in text
    for word in LOOKALIKES:  # words that only look like names are not damaged
        assert word in text.replace("\n", " ")
    # the stored texts and codings did not move
    assert snapshot(project, ("documents", "codings")) == before
    assert assert_offsets_sacred(project) > 0


def test_csv_columns_are_pseudonymized_too(run, tmp_path):
    out = tmp_path / "extraits.csv"
    assert run("export", "excerpts", "-o", out).exit_code == 0
    lines = [line for line in out.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert {r["document"] for r in rows} == {"entretien_Mme V.", "entretien_[son mari]"}
    assert {r["speaker"] for r in rows} == {"Mme V.", "[son mari]"}


def test_an_export_that_would_leak_is_refused_with_the_list(run, tmp_path):
    out = tmp_path / "extraits.docx"
    res = run("export", "excerpts", "-o", out, "--no-pseudo")
    assert res.exit_code == 1
    assert not out.exists()  # nothing written
    assert "export refused" in res.output and "leak: Hénin-Beaumont" in res.output
    assert f"{out}:paragraph" in res.output  # the file and the place
    res = run("export", "excerpts", "-o", out, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0 and out.exists()
    assert "written with leaks" in res.output
    assert set(leaked(docx_text(out))) >= {"Martine Vasseur", "Hénin-Beaumont", "Gérard"}
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    audits = [h for h in history if h["details"]["action"] == "audit"]
    assert [a["details"]["refused"] for a in audits] == [True, False]


def test_the_audit_finds_the_leak_in_a_docx_made_by_the_exporters(run, tmp_path):
    out = tmp_path / "fuite.docx"
    assert run("export", "excerpts", "-o", out, "--no-pseudo", "--allow-leaks").exit_code == 0
    res = run("pseudo", "audit", out, "--no-ner", "--json")
    assert res.exit_code == 1
    report = json.loads(res.output)
    found = {f["what"] for f in report["findings"] if f["kind"] == "leak"}
    assert {"Martine Vasseur", "Hénin-Beaumont", "Gérard", "Blanc", "Jean-Pierre Lefebvre"} <= found
    assert "blanc" not in found and "Blanchard" not in found  # words that only look like names
    clean = tmp_path / "propre.docx"
    assert run("export", "excerpts", "-o", clean).exit_code == 0
    res = run("pseudo", "audit", clean, "--no-ner")
    assert res.exit_code == 0, res.output
    assert "0 names of the key" in res.output


def test_citing_commune_and_age_breaks_k_anonymity(run, tmp_path):
    out = tmp_path / "cites.md"
    res = run("export", "excerpts", "-o", out, "--cite", "{pseudonym}, {commune}, {age} ans")
    assert res.exit_code == 1 and not out.exists()
    assert "k-anonymity" in res.output and "fits 1 participant" in res.output
    # group alone: five residents and local actors, nobody singled out
    assert run("export", "excerpts", "-o", out, "--cite", "{group}").exit_code == 0
    # k = 3 by default; with --allow-leaks the file is written and the report printed
    res = run("export", "excerpts", "-o", out, "--force", "--cite", "{age} ans", "--allow-leaks")
    assert res.exit_code == 0 and "age=61" in res.output


def test_report_docx_is_pseudonymized(run, tmp_path):
    out = tmp_path / "rapport.docx"
    res = run("export", "report", "-o", out, "--by", "commune")
    assert res.exit_code == 0, res.output
    text = docx_text(out)
    assert leaked(text) == []
    assert "[commune du bassin]" in text  # the groups of the tables, by commune


def test_qdpx_texts_and_offsets_are_pseudonymized(run, project, tmp_path):
    out = tmp_path / "projet.qdpx"
    res = run("export", "qdpx", out)
    assert res.exit_code == 0, res.output
    from lxml import etree

    with zipfile.ZipFile(out) as z:
        root = etree.fromstring(z.read("project.qde"))
        ns = {"q": root.nsmap[None]}
        sources = root.findall(".//q:TextSource", ns)
        assert len(sources) == 2
        for src in sources:
            text = z.read("sources/" + src.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
            assert leaked(text) == [] and leaked(src.get("name")) == []
            for sel in src.findall("q:PlainTextSelection", ns):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                assert text[start:end] == sel.get("name")
        names = " ".join(root.xpath("//@name")) + " ".join(root.xpath("//text()"))
        assert leaked(names) == []
    assert assert_offsets_sacred(project) > 0


def test_kwic_and_show_with_pseudo(run):
    res = run("show", "entretien_gerard", "--pseudo", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    shown = json.dumps(data, ensure_ascii=False)
    assert leaked(shown) == [] and data["document"] == "entretien_[son mari]"
    assert data["turns"][0]["text"] == "Vous connaissez Mme V. ?"
    plain = json.loads(run("show", "entretien_gerard", "--json").output)
    assert plain["turns"][0]["text"] == "Vous connaissez Mme Vasseur ?"  # without --pseudo: as stored
    lines = json.loads(run("kwic", "fosse", "--pseudo", "--json").output)
    assert len(lines) == 2 and leaked(json.dumps(lines, ensure_ascii=False)) == []
    assert any("[un collègue]" in x["right"] for x in lines)


# ---------------------------------------------------------------------------- suggest, import


def test_suggest_then_import_the_filled_in_sheet(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    res = run("pseudo", "suggest", "--json")
    assert res.exit_code == 0, res.output
    found = {c["name"]: c for c in json.loads(res.output)["candidates"]}
    # people, places, a title, the speaker, an attribute, an e-mail and a phone number
    assert {"Martine Vasseur", "Gérard", "Hénin-Beaumont", "Noyelles-Godault", "Jean-Pierre Lefebvre"} <= set(found)
    assert found["Martine Vasseur"]["count"] == 4  # three speaker labels, and once across a line break
    assert "speaker" in found["Gérard"]["sources"]
    assert found["martine.vasseur@example.fr"]["kind"] == "email"
    assert found["06 12 34 56 78"]["kind"] == "phone"
    assert any(s.startswith("attribute:commune") for s in found["Liévin"]["sources"])
    assert "Mme Vasseur" in found and "title" in found["Mme Vasseur"]["sources"]
    assert all(c["example"] and c["count"] >= 1 for c in found.values())
    # words that only look like names, the interviewer's label and the pseudonyms are not proposed
    assert not {"ferme", "blanc", "Enquêtrice", "Enquêteur", "Mireille", "Roger"} & set(found)

    sheet = tmp_path / "keys" / "candidats.xlsx"
    sheet.parent.mkdir()
    assert run("pseudo", "suggest", "-o", sheet, "--no-ner").exit_code == 0
    wb = load_workbook(sheet)
    ws = wb["candidates"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["decision", "name", "replacement"]
    for row in ws.iter_rows(min_row=2):
        name = row[1].value
        if name == "Martine Vasseur":
            row[0].value, row[2].value = "accept", "Mme V."  # accepted, replacement edited
        elif name == "Hénin-Beaumont":
            row[0].value = "accept"  # the proposed replacement kept
        elif name == "Gérard":
            row[0].value = "reject"
    wb.save(sheet)
    res = run("pseudo", "import", sheet)
    assert res.exit_code == 0, res.output
    assert "accepted 2" in res.output
    entries = {e["name"]: e for e in json.loads(run("pseudo", "list", "--json").output)["entries"]}
    assert set(entries) == {"Martine Vasseur", "Hénin-Beaumont"}
    assert entries["Martine Vasseur"]["replacement"] == "Mme V."
    assert entries["Hénin-Beaumont"]["replacement"].startswith("[lieu")
    assert entries["Martine Vasseur"]["added_by"] == "tester"
    # a mistyped decision names its row; nothing changes
    ws = load_workbook(sheet)["candidates"]
    wb = ws.parent
    ws.cell(2, 1).value = "peut-être"
    wb.save(sheet)
    res = run("pseudo", "import", sheet)
    assert res.exit_code == 1 and f"{sheet}:2: decision 'peut-être'" in res.output
    assert len(json.loads(run("pseudo", "list", "--json").output)["entries"]) == 2


# ---------------------------------------------------------------------------- transcripts


@pytest.mark.parametrize("fmt", ["txt", "docx"])
def test_pseudonymized_transcripts_with_their_turn_mapping(run, project, tmp_path, fmt):
    out = tmp_path / "partage"
    res = run("export", "pseudonymized", out, "--format", fmt)
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([f"entretien_Mme V.{fmt}", f"entretien_[son mari].{fmt}", "turns.csv"])
    texts = {}
    for p in out.glob(f"*.{fmt}"):
        if fmt == "txt":
            texts[p.name] = p.read_text(encoding="utf-8")
        else:
            texts[p.name] = "\n".join(para.text for para in Document(str(p)).paragraphs)
        assert leaked(texts[p.name]) == []
    for word in LOOKALIKES:  # words that only look like names are kept
        assert word in texts[f"entretien_Mme V.{fmt}"]
    rows = list(csv.DictReader(io.StringIO((out / "turns.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 10 and leaked(json.dumps(rows, ensure_ascii=False)) == []
    key = load_key(tmp_path / "keys" / "key.toml").pseudonymizer()
    ids = {name: i for i, name in project.store.documents.names().items()}
    stored = {"entretien_Mme V.": project.store.documents.text(ids["entretien_vasseur"]),
              "entretien_[son mari]": project.store.documents.text(ids["entretien_gerard"])}
    for r in rows:  # each turn is where the mapping says, in the written file
        written = texts[r["file"]][int(r["written_start"]):int(r["written_end"])]
        turn = stored[r["document"]][int(r["start"]):int(r["end"])]
        assert written == key.document(stored[r["document"]]).slice(int(r["start"]), int(r["end"]))
        assert leaked(written) == [] and "Vasseur" not in written
        assert written != turn or "Vasseur" not in turn
    assert next(r for r in rows if r["turn"] == "2" and "son mari" in r["document"])["speaker"] == "[son mari]"
    # the key's own folder is refused
    res = run("export", "pseudonymized", tmp_path / "keys")
    assert res.exit_code == 2 and "inside this folder" in res.output


# ---------------------------------------------------------------------------- files from other tools


def test_the_audit_reads_files_written_by_other_tools(run, tmp_path):
    doc = Document()
    doc.add_paragraph("Chapitre 4. Les habitants parlent de leur quartier.")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "qui", "où"
    table.cell(1, 0).text, table.cell(1, 1).text = "une habitante", "rue Émile-Zola"
    doc.sections[0].header.paragraphs[0].text = "Entretien avec Mme Vasseur"
    path = tmp_path / "autre.docx"
    doc.save(str(path))
    res = run("pseudo", "audit", path, "--no-ner", "--json")
    assert res.exit_code == 1
    found = {(f["place"], f["what"]) for f in json.loads(res.output)["findings"]}
    assert ("table 1 row 2", "rue Émile-Zola") in found
    assert ("section 1 header", "Mme Vasseur") in found  # a last name after a title

    sheet = tmp_path / "autre.csv"
    sheet.write_text("pseudonyme;commune;âge\nMireille;Hénin-Beaumont;61\nNadia;Liévin;61\n", encoding="utf-8")
    report = json.loads(run("pseudo", "audit", sheet, "--no-ner", "--json").output)
    kinds = {(f["kind"], f["what"]) for f in report["findings"]}
    assert ("leak", "Hénin-Beaumont") in kinds
    # Liévin alone fits three participants (k = 3 holds); with --k 4 it does not; the
    # French header "âge" is the attribute age: 61 in Liévin fits one participant
    assert ("k-anonymity", "commune=Liévin") not in kinds and ("k-anonymity", "age=61, commune=Liévin") in kinds
    sheet.write_text("pseudonyme;commune\nMireille;Hénin-Beaumont\nNadia;Liévin\n", encoding="utf-8")
    report = json.loads(run("pseudo", "audit", sheet, "--no-ner", "--k", "4", "--json").output)
    assert any(f["kind"] == "k-anonymity" and f["what"] == "commune=Liévin" for f in report["findings"])


def test_the_audit_lists_names_the_key_does_not_know(run, tmp_path):
    page = tmp_path / "brouillon.md"
    page.write_text("# Brouillon\n\nMme V. a travaillé avec Jean Dupont à Marseille pendant dix ans.\n",
                    encoding="utf-8")
    res = run("pseudo", "audit", page, "--json")
    assert res.exit_code == 0  # names not in the key are warnings
    unknown = {f["what"] for f in json.loads(res.output)["findings"] if f["kind"] == "unknown-name"}
    assert "Jean Dupont" in unknown and "Marseille" in unknown
    assert "Mme V." not in unknown  # the key's replacements are not names to hide


def test_a_refused_qdpx_export_is_in_the_history(run, tmp_path):
    out = tmp_path / "projet.qdpx"
    res = run("export", "qdpx", out, "--no-pseudo")
    assert res.exit_code == 1 and not out.exists()
    assert "leak: Gérard" in res.output
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    audit = history[-1]["details"]
    assert audit["action"] == "audit" and audit["refused"] is True and audit["files"] == [str(out)]
