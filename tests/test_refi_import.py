"""`qualcode import FILE.qdpx`: REFI-QDA projects written by other tools (a real NVivo 12
export, a French fixture and its QualCoder re-export, tests/data/realworld/refi-qda,
attributed in tests/data/realworld/README.md) and by qualcode itself (round trips), and
packages built here to break the rules (offset conventions, GUID spellings, zip bombs,
zip slip, XML entities, XML that is not well-formed).

The expected texts never come from qualcode: NVivo's are the UTF-16 slices of its own
text file, the fixture's are its expected-codings.json, a round trip's are the first
project's.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from helpers import Coding, Runner, add_codings, assert_offsets_sacred, db_path, db_rows, snapshot, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualcode
from qualcode.codebook import load_codebook
from qualcode.errors import InputError
from qualcode.ingest import import_paths
from qualcode.project import Project
from qualcode.refi.importer import import_qdpx
from qualcode.refi.offsets import place_source, raw_source
from qualcode.refi.writer import export_qdpx
from qualcode.store.codes import CodeSpec

DATA = Path(__file__).resolve().parent / "data" / "realworld" / "refi-qda"
NVIVO = DATA / "nvivo12_oltas0517.qdpx"
FR = DATA / "fr_minimal.qdpx"
FR_QUALCODER = DATA / "fr_minimal.qualcoder-reexport.qdpx"
FR_EXPECTED = DATA / "fr_minimal.expected-codings.json"
NS = "urn:QDA-XML:project:1.0"


def ok(res):
    assert res.exit_code == 0, res.output
    return res


def fresh(base: Path, name: str = "p") -> tuple[Path, Runner]:
    root = base / name
    Project.init(root).close()
    return root, Runner(root, env={"QUALCODE_USER": "importer"})


def label_paths(root) -> dict[int, str]:
    """Code id -> its labels from the top down, joined with '/'."""
    rows = {i: (label, parent) for i, label, parent in db_rows(root, "SELECT id, label, parent_id FROM codes")}

    def path(i):
        label, parent = rows[i]
        return label if parent is None else f"{path(parent)}/{label}"
    return {i: path(i) for i in rows}


def codings(root, statuses=("proposed", "accepted")) -> list[tuple]:
    """(document, coder, code labels path, start, end, text), sorted."""
    paths = label_paths(root)
    rows = db_rows(root, 'SELECT d.name, k.coder, k.code_id, k.start, k."end", k.text FROM codings k'
                         " JOIN documents d ON d.id = k.document_id"
                         f" WHERE k.status IN ({','.join('?' * len(statuses))})", statuses)
    return sorted((d, c, paths[code], s, e, t) for d, c, code, s, e, t in rows)


def code_tree(root) -> list[tuple]:
    paths = label_paths(root)
    return sorted((paths[i], d, fd, wu, wn, json.loads(ex), c and c.lower()) for i, d, fd, wu, wn, ex, c in db_rows(
        root, "SELECT id, definition, full_definition, when_to_use, when_not_to_use, examples, color FROM codes"))


def cases(root) -> dict[str, tuple]:
    attrs: dict[str, dict] = {}
    for case, name, value in db_rows(root, "SELECT c.name, a.name, a.value FROM cases c"
                                           " JOIN case_attributes a ON a.case_id = c.id"):
        attrs.setdefault(case, {})[name] = value
    docs: dict[str, list] = {}
    for case, doc in db_rows(root, "SELECT c.name, d.name FROM cases c JOIN case_documents cd ON cd.case_id = c.id"
                                   " JOIN documents d ON d.id = cd.document_id"):
        docs.setdefault(case, []).append(doc)
    names = [r[0] for r in db_rows(root, "SELECT name FROM cases")]
    return {n: (attrs.get(n, {}), sorted(docs.get(n, []))) for n in names}


def documents(root) -> dict[str, str]:
    return dict(db_rows(root, "SELECT name, text FROM documents"))


def package(entries: dict[str, bytes | str], path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def qde(sources: str, *, origin: str = "test 1.0", codes: str | None = None, users: str | None = None,
        extra: str = "") -> str:
    users = users if users is not None else '<User guid="0a0a0a0a-0000-4000-8000-000000000001" name="Ana"/>'
    codes = codes if codes is not None else (
        '<Code guid="c0de0000-0000-4000-8000-000000000001" name="lieu" isCodable="true"/>'
        '<Code guid="c0de0000-0000-4000-8000-000000000002" name="lieu" isCodable="true"/>')
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS}" name="t" origin="{origin}">'
            f"<Users>{users}</Users><CodeBook><Codes>{codes}</Codes></CodeBook>"
            f"<Sources>{sources}</Sources>{extra}</Project>")


def selection(start: int, end: int, code: str = "c0de0000-0000-4000-8000-000000000001",
              user: str = "0a0a0a0a-0000-4000-8000-000000000001", name: str = "") -> str:
    return (f'<PlainTextSelection guid="5e1e0000-0000-4000-8000-{start:06d}{end:06d}" name="{name}" '
            f'startPosition="{start}" endPosition="{end}" creatingUser="{user}">'
            f'<Coding guid="c0d10000-0000-4000-8000-{start:06d}{end:06d}"><CodeRef targetGUID="{code}"/></Coding>'
            "</PlainTextSelection>")


# ------------------------------------------------------------------ the real NVivo 12 export


@pytest.fixture(scope="module")
def nvivo(tmp_path_factory):
    base = tmp_path_factory.mktemp("nvivo")
    root, run = fresh(base)
    res = ok(run("import", NVIVO))
    as_json = ok(Runner(fresh(base, "dry")[0])("import", NVIVO, "--json", "--dry-run"))
    return root, res, json.loads(as_json.stdout)


def test_nvivo_all_303_codings_on_the_text_nvivo_gives_them(nvivo):
    """NVivo counts UTF-16 code units in its text file without the BOM: the text of each
    selection is that slice of the file, line ends as qualcode stores them."""
    root, res, _ = nvivo
    assert "codings: 13 placed exactly, 290 adjusted, 0 impossible (coders: Gergo 303)" in res.stdout
    assert "offsets as UTF-16 code units; leading BOM not counted" in res.stdout
    expected = []
    with zipfile.ZipFile(NVIVO) as zf:
        from xml.etree import ElementTree as ET

        root_el = ET.fromstring(zf.read("project.qde"))
        users = {u.get("guid"): u.get("name") for u in root_el.iter(f"{{{NS}}}User")}
        for src in root_el.iter(f"{{{NS}}}TextSource"):
            data = zf.read("Sources/" + src.get("plainTextPath").removeprefix("internal://"))
            assert data.startswith(b"\xef\xbb\xbf")
            units = data[3:].decode("utf-8").encode("utf-16-le")
            for sel in src.iter(f"{{{NS}}}PlainTextSelection"):
                a, b = int(sel.get("startPosition")), int(sel.get("endPosition"))
                text = units[2 * a:2 * b].decode("utf-16-le").replace("\r\n", "\n")
                for coding in sel.iter(f"{{{NS}}}Coding"):
                    expected.append((src.get("name"), users[coding.get("creatingUser")], text))
    got = [(d, c, t) for d, c, _, _, _, t in codings(root)]
    assert len(expected) == 303
    assert sorted(got) == sorted(expected)
    assert_offsets_sacred(root)


def test_nvivo_codes_hierarchy_and_codebook(nvivo):
    root, _, _ = nvivo
    paths = label_paths(root)
    assert len(paths) == 152
    assert "1. Oltás típusa/Nem COVID" in paths.values()
    assert "2. Attitűd szint az oltáshoz/sárga" in paths.values()
    cb = load_codebook(root / "codebooks" / "nvivo12_oltas0517.yaml")  # the project's codebook, valid
    assert len(list(cb.walk())) == 152
    assert {c.path for c in cb.walk()} == {r[0] for r in db_rows(root, "SELECT path FROM codes")}
    # the GUIDs are kept for a later export
    assert db_rows(root, "SELECT count(*) FROM refi_ids WHERE kind = 'code'") == [(152,)]


def test_nvivo_exported_again_keeps_nvivos_identifiers_and_texts(nvivo, tmp_path):
    """Back to NVivo with NVivo's own GUIDs for the users, codes, sources and codings, and
    offsets in code points of texts without BOM or CR that give the same coded texts."""
    from xml.etree import ElementTree as ET

    root, _, _ = nvivo
    ok(Runner(root)("export", "qdpx", tmp_path / "back.qdpx"))
    with zipfile.ZipFile(NVIVO) as zf:
        theirs = ET.fromstring(zf.read("project.qde"))
    with zipfile.ZipFile(tmp_path / "back.qdpx") as zf:
        ours = ET.fromstring(zf.read("project.qde"))
        texts = {src.get("guid"): zf.read("sources/" + src.get("plainTextPath").removeprefix("internal://"))
                 .decode("utf-8") for src in ours.iter(f"{{{NS}}}TextSource")}

    def guids(el, tag):
        return {e.get("guid") for e in el.iter(f"{{{NS}}}{tag}")}

    for tag in ("Code", "TextSource", "Coding"):
        assert guids(ours, tag) == guids(theirs, tag), tag
    assert guids(ours, "User") <= guids(theirs, "User")
    written = sorted(texts[src.get("guid")][int(sel.get("startPosition")):int(sel.get("endPosition"))]
                     for src in ours.iter(f"{{{NS}}}TextSource") for sel in src.iter(f"{{{NS}}}PlainTextSelection")
                     for _ in sel.iter(f"{{{NS}}}Coding"))
    assert written == sorted(t for *_, t in codings(root))


def test_nvivo_json_dry_run_lists_every_adjusted_coding_and_changes_nothing(nvivo, tmp_path):
    _, _, report = nvivo
    assert report["dry_run"] is True
    assert report["codings"] == {"exact": 13, "adjusted": 290, "impossible": 0, "duplicates": 0}
    assert len(report["adjusted"]) == 290
    assert {a["reason"] for a in report["adjusted"]} == {"offsets read as UTF-16 code units"}
    root, run = fresh(tmp_path)
    before = snapshot(root)
    ok(run("import", NVIVO, "--dry-run"))
    assert snapshot(root) == before
    assert not list((root / "codebooks").glob("*.yaml"))


# ------------------------------------------------------------------ the French fixture and QualCoder


@pytest.mark.parametrize("qdpx", [FR, FR_QUALCODER], ids=["fixture", "qualcoder-reexport"])
def test_french_fixture_codings_cases_and_note(qdpx, tmp_path):
    root, run = fresh(tmp_path)
    res = ok(run("import", qdpx))
    assert "codings: 5 placed exactly, 0 adjusted, 0 impossible (coders: Camille 5)" in res.stdout
    expected = sorted((e["source"], e["code"], e["text"].replace("\r\n", "\n"))
                      for e in json.loads(FR_EXPECTED.read_text(encoding="utf-8")))
    assert sorted((d, code, t) for d, _, code, _, _, t in codings(root)) == expected
    got = cases(root)
    assert sorted(got) == ["M. L.", "Mme D."]
    assert got["Mme D."][1] == ["entretien_habitante_lievin"] or qdpx == FR_QUALCODER  # QualCoder drops the links
    ages = {name: attrs.get("âge") for name, (attrs, _) in got.items()}
    assert ages == {"M. L.": 52, "Mme D.": 67}
    assert all(isinstance(v, int | float) for v in ages.values())
    texts = documents(root)
    assert "\r" not in "".join(texts.values()) and "😄" in texts["entretien_elu_loos"]
    if qdpx == FR_QUALCODER:  # its names are the selected texts (a line end in one is a space once parsed)
        assert "QualCoder's '\\n ' line ends read as CRLF; 3 selections checked against the text" in res.stdout
    assert db_rows(root, "SELECT count(*) FROM memos") != [(0,)]
    assert db_rows(root, "SELECT count(*) FROM turns")[0][0] >= 9  # speaker turns as for txt
    assert_offsets_sacred(root)


def test_into_an_existing_project_and_not_twice(tmp_path):
    root, run = fresh(tmp_path)
    write(tmp_path / "autre.txt", "E : Bonjour.\nP : Bonjour à vous.\n")
    ok(run("import", tmp_path / "autre.txt"))
    write(root / "codebooks" / "mine.yaml", "title: Le mien\ncodes:\n  - code: identite\n    label: Identité à moi\n")
    project = Project.open(root)
    try:
        with project.store.transaction():
            project.store.codes.sync([CodeSpec("identite", "Identité à moi")])
    finally:
        project.close()
    res = ok(run("import", FR))
    assert "codebooks/imported/fr_minimal.yaml (not the project's codebook" in res.stdout
    assert len(documents(root)) == 3
    # the project's own code is used as the project has it, the new ones are added under it
    assert db_rows(root, "SELECT label, definition FROM codes WHERE path = 'identite'") == [("Identité à moi", None)]
    assert sorted(db_rows(root, "SELECT path FROM codes")) == [
        ("identite",), ("identite/memoire_miniere",), ("identite/memoire_miniere/fierte_ouvriere",)]
    assert len(codings(root)) == 5
    assert (root / "codebooks" / "mine.yaml").read_text(encoding="utf-8").startswith("title: Le mien")
    before = snapshot(root)
    res = run("import", FR)
    assert res.exit_code == 1
    assert "already in the project" in res.output and len(res.output.strip().splitlines()) == 1
    assert snapshot(root) == before


# ------------------------------------------------------------------ round trips


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    ok(Runner(base, env={"QUALCODE_USER": "tester"})("demo", "bassin"))
    first = base / "bassin"
    add_codings(first, [
        Coding("entretien_01_elue_loos", "Mon père était mineur, mon grand-père était mineur",
               "identity/mining_memory", coder="camille", memo="Camille : lien familial"),
        Coding("entretien_01_elue_loos", "Mon père était mineur, mon grand-père était mineur",
               "identity/mining_memory", coder="dominique", status="proposed"),
        Coding("entretien_01_elue_loos", "On est une famille de la mine", "identity", coder="dominique"),
    ])
    run = Runner(first, env={"QUALCODE_USER": "camille"})
    ok(run("memo", "add", "--project-memo", "Pourquoi ce terrain."))
    ok(run("export", "qdpx", base / "one.qdpx"))
    second, run2 = fresh(base, "second")
    res = ok(run2("import", base / "one.qdpx"))
    ok(run2("export", "qdpx", base / "two.qdpx"))
    return first, second, base, res


def test_round_trip_documents_codes_codings_cases(round_trip):
    first, second, _, res = round_trip
    assert " 0 adjusted, 0 impossible" in res.stdout
    assert documents(second) == documents(first)
    assert codings(second) == codings(first)  # per coder, text and offsets identical
    assert {c for _, c, *_ in codings(second)} == {"rules", "camille", "dominique"}
    assert code_tree(second) == code_tree(first)
    assert cases(second) == cases(first)
    assert db_rows(second, "SELECT memo FROM codings WHERE memo IS NOT NULL") == [("Camille : lien familial",)]
    memos = db_rows(second, "SELECT target_type, text, author FROM memos")
    assert memos == [("project", "Pourquoi ce terrain.", "camille")]
    # speakers and their roles as the first project has them
    roles = "SELECT d.name, s.label, s.role FROM speakers s JOIN documents d ON d.id = s.document_id ORDER BY 1, 2"
    assert db_rows(second, roles) == db_rows(first, roles)


def test_round_trip_keeps_every_guid(round_trip):
    """Exported again, the imported project names everything as the first export did."""
    _, _, base, _ = round_trip

    def guids(path):
        with zipfile.ZipFile(path) as zf:
            from xml.etree import ElementTree as ET

            return sorted(e.get("guid") for e in ET.fromstring(zf.read("project.qde")).iter() if e.get("guid"))

    assert guids(base / "one.qdpx") == guids(base / "two.qdpx")


WORDS = ["mine", "été", "Liévin", "œuvre", "ça", "😄", "𝄞", "fosse", "terril", "«", "»", "d’être", "a"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(),
       docs=st.lists(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8), min_size=1, max_size=5),
                     min_size=1, max_size=3))
def test_round_trip_property(data, docs):
    """Any project (accents, characters outside the BMP, CRLF source files, overlapping
    codings, several coders, typed attributes) comes back from its own export."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        one = Project.init(base / "one")
        two = Project.init(base / "two")
        try:
            for i, lines in enumerate(docs):
                text = "\r\n".join(" ".join(words) for words in lines) + "\r\n"
                write(base / f"doc{i}.txt", text.encode("utf-8"))
            assert import_paths(one, [str(base / f"doc{i}.txt") for i in range(len(docs))]).skipped == 0
            store = one.store
            with store.transaction():
                ids = store.codes.sync([CodeSpec("lieu", "Lieu", None, "Un lieu."),
                                        CodeSpec("lieu/mine", "Mine", "lieu", None, color="#aabbcc"),
                                        CodeSpec("fierte", "Fierté", None, None)]).ids
                seen = set()
                for doc in store.documents.all():
                    full = store.documents.get(doc.id).text
                    for _ in range(data.draw(st.integers(0, 6))):
                        a = data.draw(st.integers(0, len(full) - 1))
                        b = data.draw(st.integers(a + 1, len(full)))
                        code = data.draw(st.sampled_from(sorted(ids)))
                        coder = data.draw(st.sampled_from(["camille", "dominique", "Zoé"]))
                        if (doc.id, code, coder, a, b) not in seen:
                            seen.add((doc.id, code, coder, a, b))
                            store.codings.add(document_id=doc.id, code_id=ids[code], start=a, end=b, coder=coder,
                                              origin="manual", status="accepted")
                    case = store.cases.ensure(f"P{doc.id}")
                    store.cases.link_document(case, doc.id)
                    store.cases.set_attribute(case, "âge", data.draw(st.integers(18, 99)))
                    store.cases.set_attribute(case, "commune", data.draw(st.sampled_from(["Lens", "Liévin 😄"])))
            export_qdpx(one, base / "one.qdpx")
            report = import_qdpx(two, base / "one.qdpx")
            assert report.impossible == [] and report.adjusted == []
            assert documents(base / "two") == documents(base / "one")
            assert codings(base / "two") == codings(base / "one")
            assert code_tree(base / "two") == code_tree(base / "one")
            assert cases(base / "two") == cases(base / "one")
        finally:
            one.close()
            two.close()


# ------------------------------------------------------------------ offsets of other tools


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab é😄𝄞\t", min_size=0, max_size=12), min_size=1, max_size=6),
       data=st.data())
def test_offsets_of_every_convention_land_on_the_same_text(lines, data):
    """A span written in code points, UTF-16 units, CRLF-as-one or with the BOM counted,
    in a CRLF file with a BOM, is placed on the same stored text; a selection whose text the
    file records is verified against it."""
    raw = "\r\n".join(lines)
    if not raw.strip():
        return
    a = data.draw(st.integers(0, len(raw) - 1))
    b = data.draw(st.integers(a + 1, len(raw)))
    if raw[a - 1:a + 1] == "\r\n" or raw[b - 1:b + 1] == "\r\n" or not raw[a:b].strip("\r\n"):
        return  # a span that begins or ends inside a CRLF has no CRLF-as-one form
    expected = raw[a:b].replace("\r\n", "\n")

    def u16(i):
        return len(raw[:i].encode("utf-16-le")) // 2

    def crlf1(i):
        return i - raw[:i].count("\r\n")

    src = raw_source("\ufeff" + raw)
    for name, (s, e) in {"code points": (a, b), "UTF-16 code units": (u16(a), u16(b)),
                         "CRLF counted as one": (crlf1(a), crlf1(b)), "BOM counted": (a + 1, b + 1)}.items():
        _, (placed,) = place_source(src, [(s, e, expected)], (name,))
        assert placed.reason is None, (name, placed.reason)
        assert src.text[placed.start:placed.end] == expected, name


def test_atlas_crlf_as_one_upper_case_braced_guids_capital_sources_no_dates(tmp_path):
    text = "E : Où êtes-vous née ?\r\nP : À Liévin, en 1957.\r\nP : Mon père était mineur.\r\n"
    line3 = text.index("Mon père")
    start, end = line3 - 2, line3 - 2 + len("Mon père était mineur")  # two CRLF before it, counted as one
    src = ('<TextSource guid="{5A5A5A5A-0000-4000-8000-00000000000A}" name="entretien" '
           'plainTextPath="internal://5A5A5A5A-0000-4000-8000-00000000000A.txt">'
           + selection(start, end, code="{C0DE0000-0000-4000-8000-000000000002}",
                       user="{0A0A0A0A-0000-4000-8000-000000000001}") + "</TextSource>")
    src += ('<PDFSource guid="9d9d9d9d-0000-4000-8000-000000000001" name="article" path="internal://a.pdf">'
            '<PDFSelection guid="9d9d9d9d-0000-4000-8000-000000000002" firstX="1" firstY="1" secondX="2" '
            'secondY="2" page="1"/></PDFSource>')
    path = package({"project.qde": qde(src, origin="ATLAS.ti 9"),
                    "Sources/5a5a5a5a-0000-4000-8000-00000000000a.txt": text.encode("utf-8")}, tmp_path / "a.qdpx")
    root, run = fresh(tmp_path)
    res = ok(run("import", path))
    assert "offsets as CRLF counted as one" in res.stdout
    assert "not imported PDFSource 'article' (only text sources are imported, 1 coded selections)" in res.stderr
    assert "codings: 0 placed exactly, 1 adjusted, 0 impossible (coders: Ana 1)" in res.stdout
    ((_, coder, code, _, _, coded),) = codings(root)
    assert (coder, code, coded) == ("Ana", "lieu", "Mon père était mineur")
    # the two codes named alike are two codes (the second one is the coded one)
    assert sorted(db_rows(root, "SELECT path, label FROM codes")) == [("lieu", "lieu"), ("lieu_2", "lieu")]
    assert db_rows(root, "SELECT path FROM codes JOIN codings ON codings.code_id = codes.id") == [("lieu_2",)]


def test_qc_style_bare_text_paths_no_namespace_no_dates(tmp_path):
    """qc writes text paths without ``internal://``; some writers leave out the namespace,
    the users and every date: all accepted, the coding placed on its text."""
    text = "Enquêtrice : Et la mine ?\nMme D. : On a été fiers d’être mineurs.\n"
    a = text.index("fiers")
    xml = ('<?xml version="1.0"?><Project name="qc" origin="qc 1.3"><CodeBook><Codes>'
           '<Code guid="C1" name="fierté" isCodable="true"/></Codes></CodeBook><Sources>'
           '<TextSource guid="S1" name="entretien" plainTextPath="s1.txt">'
           f'<PlainTextSelection guid="P1" startPosition="{a}" endPosition="{a + 5}">'
           '<Coding guid="K1"><CodeRef targetGUID="c1"/></Coding></PlainTextSelection>'
           '</TextSource></Sources></Project>')
    root, run = fresh(tmp_path)
    ok(run("import", package({"project.qde": xml, "sources/s1.txt": text}, tmp_path / "qc.qdpx")))
    assert [(code, t) for _, _, code, _, _, t in codings(root)] == [("fierté", "fiers")]
    assert db_rows(root, "SELECT DISTINCT coder FROM codings") == [("importer",)]  # no user: the project's
    speakers = db_rows(root, "SELECT label, role FROM speakers ORDER BY label")
    assert speakers == [("Enquêtrice", "interviewer"), ("Mme D.", "participant")]


def test_impossible_codings_are_reported_with_their_reason_never_shifted(tmp_path):
    text = "E : Bonjour.\nP : Bonjour à vous.\n"
    src = ('<TextSource guid="5a5a5a5a-0000-4000-8000-00000000000a" name="entretien" '
           'plainTextPath="internal://t.txt">' + selection(4, 12) + selection(30, 400)
           + selection(10, 10) + selection(4, 12, code="dead0000-0000-4000-8000-000000000000") + "</TextSource>")
    path = package({"project.qde": qde(src), "sources/t.txt": text}, tmp_path / "i.qdpx")
    root, run = fresh(tmp_path)
    res = ok(run("import", path, "--json"))
    report = json.loads(res.stdout)
    assert report["codings"]["exact"] == 1 and report["codings"]["impossible"] == 3
    reasons = sorted(i["reason"] for i in report["impossible"])
    assert any("outside the text" in r for r in reasons)
    assert any("empty or reversed" in r for r in reasons)
    assert any("refers to no code" in r for r in reasons)
    assert [t for *_, t in codings(root)] == ["Bonjour."]


def test_a_recorded_text_found_nowhere_makes_the_coding_impossible(tmp_path):
    """Where the file records the selected texts (QualCoder, qualcode), a selection whose
    text is at none of its offsets' readings is not placed, whatever its offsets say."""
    text = "E : Où êtes-vous née ?\nP : À Liévin, en 1957.\nP : Mon père était mineur.\n"

    def at(passage, shift=0):
        a = text.index(passage) + shift
        return selection(a, a + len(passage), name=passage)

    src = ('<TextSource guid="5a5a5a5a-0000-4000-8000-00000000000a" name="e" plainTextPath="internal://t.txt">'
           + at("À Liévin") + at("en 1957") + at("Mon père était mineur", shift=-2) + "</TextSource>")
    path = package({"project.qde": qde(src, origin="QualCoder 3.6"), "sources/t.txt": text}, tmp_path / "m.qdpx")
    root, run = fresh(tmp_path)
    res = ok(run("import", path))
    assert "2 selections checked against the text the file records" in res.stdout
    assert "codings: 2 placed exactly, 0 adjusted, 1 impossible" in res.stdout
    assert "is not the text the file records for it («Mon père était mineur»)" in res.stderr
    assert sorted(t for *_, t in codings(root)) == ["en 1957", "À Liévin"]


# ------------------------------------------------------------------ safety: nothing written on failure


def _bad_packages(tmp: Path) -> dict[str, tuple[Path, str]]:
    good_src = ('<TextSource guid="5a5a5a5a-0000-4000-8000-00000000000a" name="e" plainTextPath="internal://t.txt">'
                + selection(0, 3) + "</TextSource>")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde(good_src))
        zf.writestr("sources/t.txt", b"E : " + b" " * (8 * 1024 * 1024))
    laughs = ('<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
              f'<Project xmlns="{NS}" name="&b;" origin="x"/>')
    return {
        "bomb": (write(tmp / "bomb.qdpx", bomb.getvalue()), "zip bomb"),
        "slip": (package({"project.qde": qde(good_src), "../../evil.txt": "x", "sources/t.txt": "E : oui"},
                         tmp / "slip.qdpx"), "zip slip"),
        "entities": (package({"project.qde": laughs}, tmp / "laughs.qdpx"), "XML with a DTD or entities"),
        "not well-formed": (package({"project.qde": qde(good_src).replace("</Sources>", "<Sources>"),
                                     "sources/t.txt": "E : oui"}, tmp / "broken.qdpx"),
                            "project.qde line 1: not well-formed XML"),
        "not a zip": (write(tmp / "plain.qdpx", "juste du texte"), "not a zip"),
        "no project": (package({"sources/t.txt": "E : oui"}, tmp / "empty.qdpx"), "no project.qde"),
    }


@pytest.mark.parametrize("kind", ["bomb", "slip", "entities", "not well-formed", "not a zip", "no project"])
def test_refused_in_one_line_naming_the_file_and_nothing_written(kind, tmp_path):
    path, reason = _bad_packages(tmp_path)[kind]
    root, run = fresh(tmp_path)
    before = snapshot(root)
    res = run("import", path)
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), res.output
    assert reason in res.output, res.output
    assert "Traceback" not in res.output
    assert snapshot(root) == before
    assert not list((root / "codebooks").rglob("*.yaml"))


def test_a_failure_half_way_leaves_nothing(tmp_path, monkeypatch):
    root, run = fresh(tmp_path)
    before = snapshot(root)

    def boom(*a, **kw):
        raise InputError("simulated failure after the documents and codings were written")

    monkeypatch.setattr("qualcode.refi.importer._import_cases", boom)
    res = run("import", FR)
    assert res.exit_code == 1 and "simulated failure" in res.output
    assert snapshot(root) == before
    assert not list((root / "codebooks").rglob("*.yaml"))
    assert sqlite3.connect(db_path(root)).execute("SELECT count(*) FROM documents").fetchone() == (0,)


def test_qdpx_with_other_files_or_options_is_a_usage_error(tmp_path):
    _, run = fresh(tmp_path)
    write(tmp_path / "a.txt", "E : oui\n")
    assert run("import", FR, tmp_path / "a.txt").exit_code == 2
    res = run("import", FR, "--replace")
    assert res.exit_code == 2 and "--replace" in res.output


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.parametrize(("point", "expected"), [
    ("refi-import-journaled", "before"), ("refi-import-yaml-written", "before"), ("refi-import-committed", "after")])
def test_an_import_killed_between_codebook_and_database_is_undone_or_completed(point, expected, tmp_path):
    """A real process killed by SIGKILL inside the import's two steps (the codebook file,
    the database): the next command finds the project before or after the import, whole."""
    root, _ = fresh(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(qualcode.__file__).parents[1]), "QUALCODE_USER": "tester",
           "QUALCODE_TEST_KILL_AT": point}
    killed = subprocess.run([sys.executable, "-m", "qualcode", "import", str(FR)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    ok(Runner(root)("docs"))  # the next command recovers
    assert not (root / ".qualcode" / "journal.json").exists()
    books = list((root / "codebooks").glob("*.yaml"))
    if expected == "before":
        assert books == [] and documents(root) == {}
    else:
        assert [b.name for b in books] == ["fr_minimal.yaml"] and len(documents(root)) == 2
        assert len(codings(root)) == 5
        load_codebook(books[0])
    assert not [p.name for p in (root / "codebooks").iterdir() if p.name.startswith(".")]
