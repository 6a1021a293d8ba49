"""`qualcode export qdpx`, `export qdc` and `codebook import`: REFI-QDA written as the
standard and QualCoder (see qualcode/refi/writer.py) need it.

Two projects: the demo (the sample transcripts auto-coded by the rules) with a second and
a third coder added on its passages, and a small one built for the edge cases (accents,
an emoji outside the BMP before the codings, two coders on one span, two codes sharing a
label, a CSS colour name, typed attributes, memos on every kind of target). Every check
reads the written zip back, as another tool would.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest
from helpers import Coding, Runner, add_codings, build_project, db_path, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.codebook import load_codebook
from qualcode.codebook.sync import sync_codes
from qualcode.project import Project
from qualcode.refi import CODEBOOK_NS, PROJECT_NS
from qualcode.refi.codebook import read_qdc
from qualcode.refi.writer import SCHEMAS, Guids, code_description, export_qdpx, parse_description
from qualcode.store.codes import CodeSpec

P = f"{{{PROJECT_NS}}}"
C = f"{{{CODEBOOK_NS}}}"
GUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# ------------------------------------------------------------------ helpers


def xsd_valid(xml: bytes, schema: str) -> list[str]:
    """The schema's complaints about ``xml`` (empty: valid)."""
    from lxml import etree

    xsd = etree.XMLSchema(etree.parse(str(SCHEMAS / schema)))
    xsd.validate(etree.fromstring(xml))
    return [f"{e.line}: {e.message}" for e in xsd.error_log]


class Qdpx:
    """A written .qdpx, read back: its entries, its XML and its texts by source guid."""

    def __init__(self, path: Path):
        self.path = path
        self.raw = path.read_bytes()
        with zipfile.ZipFile(path) as zf:
            self.names = zf.namelist()
            self.entries = {n: zf.read(n) for n in self.names}
        self.qde = self.entries["project.qde"]
        self.root = ET.fromstring(self.qde)
        self.users = {u.get("guid"): u.get("name") for u in self.root.iter(P + "User")}
        self.codes = {c.get("guid"): c for c in self.root.iter(P + "Code")}

    def text(self, element: ET.Element) -> str:
        path = element.get("plainTextPath")
        assert path.startswith("internal://")
        return self.entries["sources/" + path.removeprefix("internal://")].decode("utf-8")

    def code_path(self, guid: str) -> list[str]:
        """The names from the top code down to the code ``guid``."""
        parents = {child.get("guid"): parent for parent in self.root.iter(P + "Code")
                   for child in parent.findall(P + "Code")}
        names, cur = [], self.codes[guid]
        while cur is not None:
            names.insert(0, cur.get("name"))
            cur = parents.get(cur.get("guid"))
        return names

    def codings(self) -> list[tuple[str, str, str, int, int, str, str]]:
        """(source name, coder, code name, start, end, text at the offsets, selection name)."""
        out = []
        for src in self.root.iter(P + "TextSource"):
            text = self.text(src)
            for sel in src.findall(P + "PlainTextSelection"):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                for coding in sel.findall(P + "Coding"):
                    ref = coding[0]
                    assert ref.tag == P + "CodeRef"
                    out.append((src.get("name"), self.users[sel.get("creatingUser")],
                                self.codes[ref.get("targetGUID")].get("name"), start, end, text[start:end],
                                sel.get("name")))
        return out


def stored_codings(root: Path, statuses=("proposed", "accepted")) -> list[tuple[str, str, str, int, int, str]]:
    conn = sqlite3.connect(db_path(root))
    try:
        rows = conn.execute(
            'SELECT d.name, k.coder, c.label, k.start, k."end", k.text FROM codings k'
            " JOIN documents d ON d.id = k.document_id JOIN codes c ON c.id = k.code_id"
            f" WHERE k.status IN ({','.join('?' * len(statuses))})", statuses).fetchall()
    finally:
        conn.close()
    return sorted(rows)


def ok(res):
    assert res.exit_code == 0, res.output
    return res


# ------------------------------------------------------------------ the demo project

DEMO_CODINGS = [
    Coding("entretien_01_elue_loos", "Mon père était mineur, mon grand-père était mineur", "identity/mining_memory",
           coder="camille"),
    Coding("entretien_01_elue_loos", "Mon père était mineur, mon grand-père était mineur", "identity/mining_memory",
           coder="dominique", status="proposed"),
    Coding("entretien_01_elue_loos", "On est une famille de la mine", "identity", coder="dominique"),
    Coding("entretien_07_fille_de_mineur", "mineur", "identity/mining_memory", coder="camille", status="rejected"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("refi_demo")
    ok(Runner(base, env={"QUALCODE_USER": "tester"})("demo", "bassin"))
    root = base / "bassin"
    add_codings(root, DEMO_CODINGS)
    run = Runner(root, env={"QUALCODE_USER": "camille"})
    ok(run("export", "qdpx", base / "demo.qdpx"))
    ok(run("export", "qdpx", base / "again.qdpx"))
    ok(run("export", "qdc", base / "demo.qdc"))
    return root, base


def test_demo_qde_and_qdc_are_schema_valid(demo):
    _, base = demo
    assert xsd_valid(Qdpx(base / "demo.qdpx").qde, "Project.xsd") == []
    assert xsd_valid((base / "demo.qdc").read_bytes(), "Codebook.xsd") == []


def test_demo_every_coding_is_qualcodes_text_at_its_offsets(demo):
    root, base = demo
    q = Qdpx(base / "demo.qdpx")
    written = q.codings()
    assert len(written) > 800  # the demo's rule codings and the three coders' by hand
    for source, coder, code, start, end, at_offsets, name in written:
        assert at_offsets == name, (source, coder, code, start, end)
    # exactly qualcode's proposed and accepted codings, coder by coder, text by text
    assert sorted(w[:6] for w in written) == stored_codings(root)
    assert {w[1] for w in written} == {"rules", "camille", "dominique"}


def test_demo_two_exports_are_byte_identical(demo):
    _, base = demo
    assert (base / "demo.qdpx").read_bytes() == (base / "again.qdpx").read_bytes()


def test_demo_sources_are_utf8_without_bom_or_cr_and_paths_flat(demo):
    _, base = demo
    q = Qdpx(base / "demo.qdpx")
    assert q.names == sorted(q.names)
    for name in q.names:
        assert name == "project.qde" or (name.startswith("sources/") and name.count("/") == 1), name
    texts = [n for n in q.names if n.startswith("sources/")]
    assert len(texts) == 11
    for name in texts:
        data = q.entries[name]
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        data.decode("utf-8")  # strict
    referenced = {"sources/" + e.get("plainTextPath").removeprefix("internal://")
                  for e in q.root.iter() if e.get("plainTextPath")}
    assert referenced == set(texts)  # every file referenced, no file unreferenced


def test_demo_coders_kept_apart_one_selection_per_coder_and_span(demo):
    _, base = demo
    q = Qdpx(base / "demo.qdpx")
    span = "Mon père était mineur, mon grand-père était mineur"
    sels = [s for s in q.root.iter(P + "PlainTextSelection") if s.get("name") == span]
    assert sorted(q.users[s.get("creatingUser")] for s in sels) == ["camille", "dominique"]
    for s in sels:
        codings = s.findall(P + "Coding")
        assert len(codings) == 1
        assert codings[0].get("creatingUser") == s.get("creatingUser")
    keys = [(s.get("creatingUser"), s.get("startPosition"), s.get("endPosition"))
            for src in q.root.iter(P + "TextSource") for s in src.findall(P + "PlainTextSelection")]
    per_source = {}
    for src in q.root.iter(P + "TextSource"):
        k = [(s.get("creatingUser"), s.get("startPosition"), s.get("endPosition"))
             for s in src.findall(P + "PlainTextSelection")]
        assert len(k) == len(set(k)), src.get("name")
        per_source[src.get("name")] = k
    assert sum(map(len, per_source.values())) == len(keys)


def test_demo_cases_and_typed_variables(demo):
    _, base = demo
    q = Qdpx(base / "demo.qdpx")
    variables = {v.get("name"): v for v in q.root.iter(P + "Variable")}
    assert variables["age"].get("typeOfVariable") == "Integer"
    assert variables["group"].get("typeOfVariable") == "Text"
    by_guid = {v.get("guid"): n for n, v in variables.items()}
    sources = {s.get("guid"): s.get("name") for s in q.root.iter(P + "TextSource")}
    cases = {c.get("name"): c for c in q.root.iter(P + "Case")}
    assert len(cases) == 11
    p01 = cases["P01"]
    values = {}
    for vv in p01.findall(P + "VariableValue"):
        values[by_guid[vv.find(P + "VariableRef").get("targetGUID")]] = (vv[1].tag.removeprefix(P), vv[1].text)
    assert values["age"] == ("IntegerValue", "54")
    assert values["commune"] == ("TextValue", "Loos-en-Gohelle")
    assert [sources[r.get("targetGUID")] for r in p01.findall(P + "SourceRef")] == ["entretien_01_elue_loos"]
    speakers = {s.get("name"): s.find(P + "VariableValue") for s in q.root.iter(P + "TextSource")}
    vv = speakers["entretien_06_ancien_mineur"]
    assert by_guid[vv[0].get("targetGUID")] == "speakers" and vv[1].text == "E (interviewer); MARCEL (participant)"
    for case in cases.values():  # at most one value per variable per case (QualCoder crashes on two)
        refs = [vv.find(P + "VariableRef").get("targetGUID") for vv in case.findall(P + "VariableValue")]
        assert len(refs) == len(set(refs))


def test_demo_codebook_import_gives_back_names_tree_and_definitions(demo, tmp_path):
    root, base = demo
    out = tmp_path / "back.yaml"
    res = ok(Runner(tmp_path)("codebook", "import", base / "demo.qdc", "-o", out))
    assert "note: rules: none in REFI-QDA" in res.output
    ok(Runner(tmp_path)("codebook", "check", out))
    original = load_codebook(root / "codebooks" / "bassin_minier.yaml")
    back = load_codebook(out)

    def tree(codes):
        return [(c.label, c.definition, c.full_definition, c.when_to_use, c.when_not_to_use, c.examples,
                 c.color and c.color.lower(), tree(c.children)) for c in codes]

    assert tree(back.codes) == tree(original.codes)
    assert all(not c.rules for c in back.walk())


def test_demo_guids_stable_and_lower_case(demo):
    _, base = demo
    a, b = Qdpx(base / "demo.qdpx"), Qdpx(base / "again.qdpx")
    guids = [v for e in a.root.iter() for k, v in e.attrib.items() if k == "guid" or k.endswith("GUID")
             or k in ("creatingUser", "modifyingUser")]
    assert guids and all(re.fullmatch(GUID_RE, g) for g in guids)
    declared = [e.get("guid") for e in a.root.iter() if e.get("guid")]
    assert len(declared) == len(set(declared))
    refs = {e.get("targetGUID") for e in a.root.iter() if e.get("targetGUID")}
    assert refs <= set(declared)  # every reference resolves
    assert declared == [e.get("guid") for e in b.root.iter() if e.get("guid")]


def test_demo_interop_constraints_of_qualcoder(demo):
    """INTEROP.md's list for QualCoder, item by item."""
    _, base = demo
    q = Qdpx(base / "demo.qdpx")
    origin = q.root.get("origin")
    assert origin and origin.startswith("qualcode ") and "ATLAS" not in origin.upper()  # 2
    # what produced it, as the project's description (QualCoder's project memo), without a date
    description = q.root.find(P + "Description").text
    assert "qualcode export qdpx --status proposed --status accepted" in description
    assert "codebook 'Bassin minier – reconversion des sites miniers par la culture', version" in description
    names = [s.get("name") for s in q.root.iter(P + "TextSource")]
    assert all(names) and len(names) == len(set(names))  # 3
    for s in q.root.iter(P + "TextSource"):
        assert s.get("plainTextPath") == f"internal://{s.get('guid')}.txt"
        assert s.get("richTextPath") is None and s.find(P + "PlainTextContent") is None
    code_names = [c.get("name") for c in q.codes.values()]
    assert len(code_names) == len(set(code_names))  # 7
    assert all(c.get("isCodable") == "true" for c in q.codes.values())
    assert all(c.get("color") is None or len(c.get("color")) == 7 for c in q.codes.values())
    for sel in q.root.iter(P + "PlainTextSelection"):  # 8
        codings = sel.findall(P + "Coding")
        assert codings and all(c[0].tag == P + "CodeRef" for c in codings)
        assert sel.get("creatingUser") in q.users
    variable_names = [v.get("name") for v in q.root.iter(P + "Variable")]
    assert len(variable_names) == len(set(variable_names))  # 10
    case_names = [c.get("name") for c in q.root.iter(P + "Case")]
    assert len(case_names) == len(set(case_names))


def test_demo_filters_coder_status_document(demo, tmp_path):
    root, _ = demo
    run = Runner(root)
    out = tmp_path / "camille.qdpx"
    res = ok(run("export", "qdpx", out, "--coder", "camille", "--status", "accepted", "--status", "rejected",
                 "--json"))
    summary = json.loads(res.stdout)
    assert summary["coders"] == ["camille"] and summary["codings"] == 2 and summary["left_out"] == {}
    q = Qdpx(out)
    assert sorted((w[0], w[1], w[5]) for w in q.codings()) == [
        ("entretien_01_elue_loos", "camille", "Mon père était mineur, mon grand-père était mineur"),
        ("entretien_07_fille_de_mineur", "camille", "mineur")]
    assert set(q.users.values()) == {"camille"}
    one = tmp_path / "one.qdpx"
    res = ok(run("export", "qdpx", one, "--document", "entretien_07_fille_de_mineur"))
    assert "note: 1 rejected coding left out" in res.output
    q1 = Qdpx(one)
    assert [s.get("name") for s in q1.root.iter(P + "TextSource")] == ["entretien_07_fille_de_mineur"]
    assert [c.get("name") for c in q1.root.iter(P + "Case")] == ["P07"]
    assert {w[0] for w in q1.codings()} == {"entretien_07_fille_de_mineur"}
    assert xsd_valid(q1.qde, "Project.xsd") == []
    # the same GUIDs as in the whole export, for the same things
    whole = Qdpx(demo[1] / "demo.qdpx")
    guid = next(s.get("guid") for s in whole.root.iter(P + "TextSource")
                if s.get("name") == "entretien_07_fille_de_mineur")
    assert next(q1.root.iter(P + "TextSource")).get("guid") == guid


def test_cli_refuses_to_overwrite_and_unknown_coder(demo, tmp_path):
    root, base = demo
    run = Runner(root)
    before = (base / "demo.qdpx").read_bytes()
    res = run("export", "qdpx", base / "demo.qdpx", "--coder", "camille")
    assert res.exit_code == 1 and (base / "demo.qdpx").read_bytes() == before
    res = run("export", "qdpx", tmp_path / "x.qdpx", "--coder", "nobody")
    assert res.exit_code == 1 and "nobody" in res.output and not (tmp_path / "x.qdpx").exists()
    res = run("export", "qdpx", tmp_path / "x.qdpx", "--status", "done")
    assert res.exit_code == 2 and "unknown status 'done'" in res.output and not (tmp_path / "x.qdpx").exists()
    res = run("export", "qdpx", tmp_path / "x.qdpx", "--coder", "camile")
    assert res.exit_code == 1 and "did you mean 'camille'" in res.output


# ------------------------------------------------------------------ the edge cases

CODEBOOK = """\
title: Édition
codes:
  - code: identite
    label: Identité
    definition: Rapport au territoire.
    when_to_use: "Quand l'enquêté·e dit « nous »."
    examples: ["On est d'ici.", "Première ligne\\nseconde ligne"]
    color: darkorange
    children:
      - code: fierte
        label: Fierté
        definition: Fierté ouvrière 🏭.
        color: "#abc"
  - code: patrimoine
    label: Patrimoine
    children:
      - code: fierte
        label: Fierté
        full_definition: Fierté du label Unesco.
"""

EMOJI_DOC = ("Enquêtrice : Et la mine ? 😀😀\n"
             "Mme Dufour : Mon père 👷🏻‍♂️ était mineur, à Liévin.\n"
             "Enquêtrice : Et le Louvre ? 🇫🇷\n"
             "Mme Dufour : C'est « notre » fierté, vraiment.\n")


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    base = tmp_path_factory.mktemp("refi_edge")
    root = base / "p"
    Project.init(root, language="fr", name="Édition 😀").close()
    build_project(root, base / "src", codebook=CODEBOOK, documents={"entretien_é": EMOJI_DOC},
                  participants="case;document;age;taille;commune\nP1;entretien_é;67;1.62;Liévin\n")
    # the codes table is filled by the codebook (as autocode would), then codings by hand
    with Project.open(root) as proj, proj.store.transaction():
        sync_codes(proj, load_codebook(root / "codebooks" / "test.yaml"))
    add_codings(root, [
        Coding("entretien_é", "Mon père 👷🏻‍♂️ était mineur", "identite", coder="camille", memo="père mineur"),
        Coding("entretien_é", "Mon père 👷🏻‍♂️ était mineur", "identite/fierte", coder="camille"),
        Coding("entretien_é", "Mon père 👷🏻‍♂️ était mineur", "identite", coder="dominique"),
        Coding("entretien_é", "« notre » fierté", "patrimoine/fierte", coder="dominique"),
    ])
    with pytest.MonkeyPatch.context() as mp, Project.open(root) as proj:
        mp.setenv("QUALCODE_USER", "camille")
        with proj.store.transaction():
            proj.store.cases.set_attribute(proj.store.cases.id("P1"), "ancien_mineur", True)
        coding = proj.store.codings.select(coders=["dominique"], codes=["patrimoine/fierte"])[0]
        proj.add_memo("Mémo du projet ✨", project_memo=True)
        proj.add_memo("Sur l'entretien", document="entretien_é")
        proj.add_memo("Sur le code", code="identite")
        proj.add_memo("Sur le cas", case="P1")
        proj.add_memo("Sur le codage", coding=coding.id)
    out = base / "edge.qdpx"
    ok(Runner(root, env={"QUALCODE_USER": "camille"})("export", "qdpx", out))
    return root, Qdpx(out)


def test_edge_schema_valid_and_offsets_in_code_points(edge):
    root, q = edge
    assert xsd_valid(q.qde, "Project.xsd") == []
    written = q.codings()
    assert len(written) == 4
    text = q.text(next(q.root.iter(P + "TextSource")))
    assert text == EMOJI_DOC  # the stored text as it is
    for *_, start, end, at_offsets, name in written:
        assert at_offsets == name
        assert text[start:end] == at_offsets
    stored = stored_codings(root)
    assert sorted((s, c, st, e, t) for s, c, _, st, e, t in stored) == \
        sorted((w[0], w[1], w[3], w[4], w[5]) for w in written)
    # code points, not UTF-16 units: the emoji before the codings would shift them
    start = min(w[3] for w in written)
    assert start == EMOJI_DOC.index("Mon père")
    assert start != len(EMOJI_DOC[:start].encode("utf-16-le")) // 2


def test_edge_one_selection_per_coder_and_span_with_all_its_codes(edge):
    _, q = edge
    sels = [s for s in q.root.iter(P + "PlainTextSelection") if s.get("name") == "Mon père 👷🏻‍♂️ était mineur"]
    by_coder = {q.users[s.get("creatingUser")]: s for s in sels}
    assert set(by_coder) == {"camille", "dominique"}
    camille = by_coder["camille"]
    assert sorted(q.code_path(c[0].get("targetGUID"))[-1] for c in camille.findall(P + "Coding")) == \
        ["Fierté (identite/fierte)", "Identité"]
    assert "Identité: père mineur" in camille.find(P + "Description").text
    assert len(by_coder["dominique"].findall(P + "Coding")) == 1


def test_edge_duplicate_labels_made_unique_colours_hex(edge):
    _, q = edge
    names = {c.get("name"): c for c in q.codes.values()}
    assert set(names) == {"Identité", "Fierté (identite/fierte)", "Patrimoine", "Fierté (patrimoine/fierte)"}
    assert names["Identité"].get("color") == "#ff8c00"  # darkorange
    assert names["Fierté (identite/fierte)"].get("color") == "#aabbcc"
    assert q.code_path(names["Fierté (patrimoine/fierte)"].get("guid")) == ["Patrimoine", "Fierté (patrimoine/fierte)"]
    desc = names["Identité"].find(P + "Description").text
    assert parse_description(desc) == {"definition": "Rapport au territoire.",
                                       "when_to_use": "Quand l'enquêté·e dit « nous ».",
                                       "examples": ["On est d'ici.", "Première ligne\nseconde ligne"]}


def test_edge_typed_variables(edge):
    _, q = edge
    types = {v.get("name"): v.get("typeOfVariable") for v in q.root.iter(P + "Variable")}
    assert types == {"age": "Integer", "taille": "Float", "commune": "Text", "ancien_mineur": "Boolean",
                     "speakers": "Text"}
    case = next(q.root.iter(P + "Case"))
    values = {vv[1].tag.removeprefix(P): vv[1].text for vv in case.findall(P + "VariableValue")}
    assert values == {"IntegerValue": "67", "FloatValue": "1.62", "TextValue": "Liévin", "BooleanValue": "true"}
    # the document's speakers and roles: a text variable of its source
    source = next(q.root.iter(P + "TextSource"))
    [vv] = source.findall(P + "VariableValue")
    assert vv[1].text == "Enquêtrice (interviewer); Mme Dufour (participant)"


def test_edge_memos_as_notes_with_dates_and_links(edge):
    _, q = edge
    notes = {q.entries["sources/" + n.get("plainTextPath").removeprefix("internal://")].decode("utf-8"): n
             for n in q.root.iter(P + "Note")}
    assert set(notes) == {"Mémo du projet ✨", "Sur l'entretien", "Sur le code", "Sur le codage"}
    for n in notes.values():
        assert n.get("name") and n.get("creationDateTime").endswith("Z")
        assert q.users[n.get("creatingUser")] == "camille"
    assert len({n.get("name") for n in notes.values()}) == 4
    start = EMOJI_DOC.index("« notre » fierté")
    assert notes["Sur le codage"].get("name").endswith(
        f"on dominique's coding of Fierté (patrimoine/fierte) in entretien_é ({start}-{start + 16})")
    assert notes["Sur le code"].get("name").endswith("on code Identité")
    linked = {parent.tag.removeprefix(P): ref.get("targetGUID") for parent in q.root.iter()
              for ref in parent.findall(P + "NoteRef")}
    assert linked == {"Project": notes["Mémo du projet ✨"].get("guid"),
                      "TextSource": notes["Sur l'entretien"].get("guid"),
                      "Code": notes["Sur le code"].get("guid"),
                      "Coding": notes["Sur le codage"].get("guid")}
    # for readers that ignore NoteRef (QualCoder): the memo in the target's Description too
    source = next(q.root.iter(P + "TextSource"))
    assert "Sur l'entretien" in source.find(P + "Description").text
    case = next(q.root.iter(P + "Case"))
    assert "Sur le cas" in case.find(P + "Description").text
    sel = next(s for s in q.root.iter(P + "PlainTextSelection") if s.get("name") == "« notre » fierté")
    assert sel.find(P + "Description").text == "Sur le codage"


def test_edge_qdc_and_codebook_import(edge, tmp_path):
    root, _ = edge
    ok(Runner(root)("export", "qdc", tmp_path / "cb.qdc"))
    data = (tmp_path / "cb.qdc").read_bytes()
    assert xsd_valid(data, "Codebook.xsd") == []
    codes, origin = read_qdc(tmp_path / "cb.qdc")
    assert origin.startswith("qualcode ")
    assert [c.name for c in codes] == ["Identité", "Patrimoine"]
    res = ok(Runner(tmp_path)("codebook", "import", tmp_path / "cb.qdc"))
    yaml_text = res.stdout
    write(tmp_path / "back.yaml", yaml_text)
    ok(Runner(tmp_path)("codebook", "check", tmp_path / "back.yaml"))
    back = load_codebook(tmp_path / "back.yaml")
    assert [(c.path, c.label) for c in back.walk()] == [
        ("identite", "Identité"), ("identite/fierte_identite_fierte", "Fierté (identite/fierte)"),
        ("patrimoine", "Patrimoine"), ("patrimoine/fierte_patrimoine_fierte", "Fierté (patrimoine/fierte)")]
    ident = back.codes[0]
    assert ident.examples == ["On est d'ici.", "Première ligne\nseconde ligne"]
    assert ident.color == "#ff8c00"
    assert back.codes[1].children[0].full_definition == "Fierté du label Unesco."


# ------------------------------------------------------------------ descriptions and foreign codebooks


def test_description_round_trip_and_foreign_text():
    code = SimpleNamespace(
        definition="Déf.\n\nSur deux paragraphes.", full_definition=None, when_to_use="Toujours.",
        when_not_to_use="Jamais : sauf si.", examples=["a", "b\nc"])

    text = code_description(code)
    assert parse_description(text) == {"definition": "Déf.\n\nSur deux paragraphes.", "when_to_use": "Toujours.",
                                       "when_not_to_use": "Jamais : sauf si.", "examples": ["a", "b\nc"]}
    assert parse_description("Written by NVivo: no labels here.") == {
        "definition": "Written by NVivo: no labels here."}
    assert parse_description("Définition : Mémoire.\n\nQuand l'utiliser : souvent.\n\nExemples :\n- un") == {
        "definition": "Mémoire.", "when_to_use": "souvent.", "examples": ["un"]}
    assert parse_description(None) == {}


FOREIGN_QDC = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder 3.6">
<Codes>
<Code guid="422FDD1E-E747-4B97-88E5-D52B5336EEA8" name="Catégorie" isCodable="false">
<Code guid="b5658009-366c-4067-ab7f-ee13e32f692a" name="Mémoire minière" isCodable="true" color="#FF6F00">
<Description>Souvenirs de la mine.</Description>
</Code>
<Code guid="aa956956-97ab-4845-ac6d-7be727c9f1de" name="Mémoire-minière" isCodable="true"/>
</Code>
<Code guid="{aa956956-97ab-4845-ac6d-7be727c9f1df}" name="2024 !" isCodable="true" color="#abc"/>
</Codes>
</CodeBook>
"""


def test_codebook_import_of_another_tools_qdc(tmp_path):
    src = write(tmp_path / "other.qdc", FOREIGN_QDC)
    out = tmp_path / "cb.yaml"
    res = ok(Runner(tmp_path)("codebook", "import", src, "-o", out, "--title", "Autre"))
    assert "categories: 1 non-codable" in res.output
    ok(Runner(tmp_path)("codebook", "check", out))
    cb = load_codebook(out)
    assert cb.title == "Autre"
    assert [(c.path, c.label, c.definition, c.color) for c in cb.walk()] == [
        ("categorie", "Catégorie", None, None),
        ("categorie/memoire_miniere", "Mémoire minière", "Souvenirs de la mine.", "#ff6f00"),
        ("categorie/memoire_miniere_2", "Mémoire-minière", None, None),
        ("code_2024", "2024 !", None, "#aabbcc")]
    res = Runner(tmp_path)("codebook", "import", src, "-o", out)
    assert res.exit_code == 1 and out.read_text(encoding="utf-8").startswith("#")  # not overwritten


def test_codebook_import_refuses_entities_and_broken_xml(tmp_path):
    bomb = write(tmp_path / "bomb.qdc", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                                         '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    res = Runner(tmp_path)("codebook", "import", bomb)
    assert res.exit_code == 1 and "bomb.qdc" in res.output and "Traceback" not in res.output
    broken = write(tmp_path / "broken.qdc", "<CodeBook><Codes>")
    res = Runner(tmp_path)("codebook", "import", broken)
    assert res.exit_code == 1 and "broken.qdc" in res.output and "not well-formed" in res.output
    other = write(tmp_path / "other.qdc", "<html/>")
    res = Runner(tmp_path)("codebook", "import", other)
    assert res.exit_code == 1 and "not a REFI-QDA codebook" in res.output


def test_project_uid_is_kept(tmp_path):
    root = tmp_path / "p"
    Project.init(root).close()
    with Project.open(root) as proj, proj.store.transaction():
        uid = proj.store.meta.uid()
    with Project.open(root) as proj:
        assert proj.store.meta.uid() == uid


SMALL_BOOK = """\
title: Petit
codes:
  - code: memoire
    label: Mémoire
    children:
      - code: ancien
        label: Ancien
  - code: avenir
    label: Avenir
"""


def identified(q: Qdpx) -> dict[tuple, str]:
    """(tag, name, start) -> guid of every element that has a guid."""
    return {(e.tag, e.get("name"), e.get("startPosition")): e.get("guid") for e in q.root.iter() if e.get("guid")}


def test_guids_survive_edits_and_retired_codes_with_codings_are_kept(tmp_path):
    root = tmp_path / "p"
    Project.init(root).close()
    build_project(root, tmp_path / "src", codebook=SMALL_BOOK, documents={"d1": "Mon père était mineur.\n",
                                                                           "d2": "Le Louvre est à nous.\n"})
    with Project.open(root) as proj, proj.store.transaction():
        sync_codes(proj, load_codebook(root / "codebooks" / "test.yaml"))
    add_codings(root, [Coding("d1", "père", "memoire/ancien"), Coding("d2", "Louvre", "avenir")])
    run = Runner(root)
    ok(run("export", "qdpx", tmp_path / "a.qdpx"))
    before = Qdpx(tmp_path / "a.qdpx")
    guids_a = identified(before)
    # more work, a code retired: what was there keeps its identifier
    add_codings(root, [Coding("d1", "mineur", "avenir", coder="dominique")])
    ok(run("memo", "add", "--doc", "d2", "à relire"))
    conn = sqlite3.connect(db_path(root))
    with conn:
        conn.execute("UPDATE codes SET status = 'retired' WHERE path IN ('memoire', 'memoire/ancien')")
    conn.close()
    ok(run("export", "qdpx", tmp_path / "b.qdpx"))
    after = Qdpx(tmp_path / "b.qdpx")
    guids_b = identified(after)
    assert {k: guids_b.get(k) for k in guids_a} == guids_a
    assert len(guids_b) > len(guids_a)
    # the retired code still carries its coding, under its retired parent; the codebook alone leaves them out
    ancien = next(g for g, c in after.codes.items() if c.get("name") == "Ancien")
    assert after.code_path(ancien) == ["Mémoire", "Ancien"]
    ok(run("export", "qdc", tmp_path / "b.qdc"))
    codes, _ = read_qdc(tmp_path / "b.qdc")
    assert [c.name for c in codes] == ["Avenir"]


def test_export_qdc_without_codes_is_one_line_error(tmp_path):
    root = tmp_path / "p"
    Project.init(root).close()
    res = Runner(root)("export", "qdc", tmp_path / "x.qdc")
    assert res.exit_code == 1 and "no codes" in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.qdc").exists()


def test_demo_qdc_back_with_like_is_the_same_codebook_version(demo, tmp_path):
    root, base = demo
    original = root / "codebooks" / "bassin_minier.yaml"
    out = tmp_path / "back.yaml"
    res = ok(Runner(tmp_path)("codebook", "import", base / "demo.qdc", "--like", original, "-o", out))
    assert "kept from bassin_minier.yaml for the 18 code(s) found there by name (15 with rules)" in res.output
    # the same content hash: labels, tree, MacQueen fields, colours, rules, units, metadata
    assert load_codebook(out).version == load_codebook(original).version


def test_like_keeps_slugs_and_rules_of_codes_found_by_name_only(demo, tmp_path):
    root, base = demo
    original = root / "codebooks" / "bassin_minier.yaml"
    # the codebook as a supervisor sends it back: one definition edited, one code renamed, one added
    tree = ET.parse(base / "demo.qdc")
    codes = {c.get("name"): c for c in tree.getroot().iter(C + "Code")}
    codes["Mining memory"].find(C + "Description").text = "Mémoire de la mine, revue."
    codes["Stigma and image of the area"].set("name", "Stigmate")
    new = ET.SubElement(codes["Identity"], C + "Code", {"guid": "0f5c8a52-8a47-4f5e-9b0c-2e7a1d9c4b83",
                                                        "name": "Nostalgie", "isCodable": "true"})
    ET.SubElement(new, C + "Description").text = "Regret du temps des mines."
    edited = tmp_path / "retour.qdc"
    tree.write(edited, encoding="utf-8", xml_declaration=True, default_namespace=None)
    out = tmp_path / "retour.yaml"
    res = ok(Runner(tmp_path)("codebook", "import", edited, "--like", original, "-o", out))
    assert "for the 17 code(s) found there by name (14 with rules); the 2 other(s) have none" in res.output
    before, after = load_codebook(original).by_path(), load_codebook(out).by_path()
    assert after["identity/mining_memory"].definition == "Mémoire de la mine, revue."
    def rules(code):
        return [(r.kind, r.value) for r in code.rules], [(r.kind, r.value) for r in code.exclude]

    assert rules(after["identity/mining_memory"]) == rules(before["identity/mining_memory"]) != ([], [])
    assert "identity/stigma_image" not in after and not after["identity/stigmate"].rules
    assert after["identity/nostalgie"].definition == "Regret du temps des mines."
    assert [c.code for c in load_codebook(out).codes[0].children][-1] == "nostalgie"
    unchanged = set(before) - {"identity/mining_memory", "identity/stigma_image"}
    for path in unchanged:
        assert (rules(after[path]), after[path].definition) == (rules(before[path]), before[path].definition), path


# ------------------------------------------------------------------ offsets, as a property

# What transcripts hold: ASCII, accents (precomposed and combining), typographic spaces and
# quotes, CJK, emoji outside the BMP, ZWJ sequences and flags, newlines.
PIECES = ["a", "Z", " ", "\n", "é", "ç", "e\u0301", "\u00a0", "«", "’", "中", "😀", "👷🏻\u200d♂️", "🇫🇷", "𝄞", "\t"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=60).map("".join), min_size=1,
                      max_size=3),
       spans=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 400), st.integers(1, 40),
                                st.sampled_from(["anna", "bruno", "rules"]), st.sampled_from(["a", "a/b"])),
                      max_size=12))
def test_every_selection_is_the_coded_text_in_code_points(texts, spans):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        proj = Project.init(root)
        try:
            store = proj.store
            with store.transaction():
                ids = store.codes.sync([CodeSpec("a", "A"), CodeSpec("a/b", "B", parent="a")]).ids
                docs = [store.documents.insert(name=f"d{i}", source_path=None, fmt="txt", encoding="utf-8",
                                               content_hash=str(i), text=t, meta={}) for i, t in enumerate(texts)]
                stored = set()
                for d, start, length, coder, code in spans:
                    d %= len(texts)
                    start %= len(texts[d])
                    end = min(start + length, len(texts[d]))
                    key = (f"d{d}", coder, code, start, end)
                    if key not in stored:
                        store.codings.add(document_id=docs[d], code_id=ids[code], start=start, end=end,
                                          coder=coder, origin="manual", status="accepted")
                        stored.add(key)
            export_qdpx(proj, Path(tmp) / "x.qdpx")
        finally:
            proj.close()
        q = Qdpx(Path(tmp) / "x.qdpx")
        written = q.codings()
        names = {"A": "a", "B": "a/b"}
        assert {(src, coder, names[code], start, end) for src, coder, code, start, end, _, _ in written} == stored
        for src, _, _, start, end, at_offsets, name in written:
            assert at_offsets == name == texts[int(src[1:])][start:end]
        for n in q.names:
            if n.startswith("sources/"):
                assert not q.entries[n].startswith(b"\xef\xbb\xbf")
        assert xsd_valid(q.qde, "Project.xsd") == []


def test_guids_imported_ones_first_never_twice():
    imported = {("code", "identity"): "{8C030B1F-3EFF-4679-A46C-36E43DEC3598}",
                ("note", "7"): "3c35e650-0e75-4ad1-9736-2b680ab2916f",
                ("document", "d1"): "dc22fa37-ad38-444a-bac4-73ceb7eb7efe",
                ("document", "d2"): "dc22fa37-ad38-444a-bac4-73ceb7eb7efe"}  # a file that reused one
    g = Guids("uid-1", imported)
    assert g("code", 1, "identity") == g("code", 1, "identity") == "8c030b1f-3eff-4679-a46c-36e43dec3598"
    assert g("memo", 7, "7") == "3c35e650-0e75-4ad1-9736-2b680ab2916f"
    assert g("document", 1, "d1") == "dc22fa37-ad38-444a-bac4-73ceb7eb7efe"
    other = g("document", 2, "d2")
    assert other != "dc22fa37-ad38-444a-bac4-73ceb7eb7efe" and re.fullmatch(GUID_RE, other)
    # without an imported one: UUID 5 of the project's uid, kind and key, stable
    assert g("code", 2, "heritage") == Guids("uid-1")("code", 2) != Guids("uid-2")("code", 2)
