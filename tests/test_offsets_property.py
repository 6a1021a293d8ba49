"""Offsets are sacred: after every operation, every coding's text equals the document text
between its offsets, and every turn's offsets index its text. Checked as a property over
generated transcripts (labels, accents, CRLF, blank lines, back-channels) and a sequence of
operations: import, auto-coding, role change, codebook edit and re-coding, re-import,
replacement by a corrected transcript and re-coding."""

from __future__ import annotations

import itertools
import re
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.autocode import autocode
from qualcode.errors import QualcodeError
from qualcode.ingest import import_paths, set_speaker_roles
from qualcode.project import Project
from qualcode.store.codings import NewCoding

WORDS = ["mineur", "mineurs", "fosse", "la", "le", "coron", "corons", "Unesco", "patrimoine", "fierté",
         "fierte", "jeunes", "partent", "euh", "ben", "musée", "Louvre-Lens", "terril", "image", "misère",
         "c'est", "l'avenir", "emploi", "chômage", "on", "était", "là", "aujourd'hui", "œuvre", "à"]
LABELS = ["Enquêtrice : ", "Mme Dufour : ", "E: ", "MARCEL : ", "[00:01:02] Inès : "]

CODEBOOK = """\
title: t
language: fr
unit: {unit}
codes:
  - code: memory
    label: Memory
    definition: d
    rules:
      - terms: [{terms}]
    exclude:
      - terms: ["mineur de moins de"]
  - code: heritage
    label: Heritage
    definition: d
    unit: turn
    rules:
      - terms: [unesco, "patrimoin*"]
      - near: {{terms: [image], with: [misère], within: 3}}
"""

sentence = st.tuples(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12), st.sampled_from(".?!…")).map(
    lambda x: " ".join(x[0]) + x[1])
turn = st.tuples(st.sampled_from(LABELS), st.lists(sentence, min_size=1, max_size=4),
                 st.sampled_from(["", " [E : mhm]", " [rires]", "\nsuite de la ligne."]))
transcript = st.lists(turn, min_size=2, max_size=8)


def render(turns, crlf: bool) -> bytes:
    lines = [label + " ".join(sents) + extra for label, sents, extra in turns]
    text = "Entretien fictif\n\n" + "\n\n".join(lines) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    return text.encode("cp1252" if crlf else "utf-8", errors="replace")


def check(project: Project) -> None:
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    try:
        for coded, text, start, end in conn.execute(
                'SELECT k.text, d.text, k.start, k."end" FROM codings k JOIN documents d ON d.id = k.document_id'):
            assert text[start:end] == coded
        for text, start, end in conn.execute(
                'SELECT d.text, t.start, t."end" FROM turns t JOIN documents d ON d.id = t.document_id'):
            chunk = text[start:end]
            assert chunk and chunk == chunk.strip()
    finally:
        conn.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.tuples(transcript, st.booleans()), min_size=1, max_size=3),
       unit=st.sampled_from(["sentence", "turn"]),
       terms=st.lists(st.sampled_from(["mineur", "fosse", "coron", "fierté", "jeune", "l'avenir"]),
                      min_size=1, max_size=3, unique=True))
def test_offsets_survive_every_operation(docs, unit, terms):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = Project.init(root / "p")
        try:
            files = []
            for i, (turns, crlf) in enumerate(docs):
                f = root / f"doc{i}.txt"
                f.write_bytes(render(turns, crlf))
                files.append(str(f))
            report = import_paths(project, files)
            assert report.skipped == 0
            check(project)
            cb = project.root / "codebooks" / "cb.yaml"
            cb.parent.mkdir()
            cb.write_text(CODEBOOK.format(unit=unit, terms=", ".join(f'"{t}"' for t in terms)), encoding="utf-8")
            autocode(project)
            check(project)
            labels = [s.label for s in project.store.documents.speakers(project.store.documents.by_name("doc0").id)]
            if "Enquêtrice" in labels:
                set_speaker_roles(project, "doc0", {"Enquêtrice": "participant"})
            autocode(project, include_interviewer=True)
            check(project)
            cb.write_text(CODEBOOK.format(unit="turn" if unit == "sentence" else "sentence",
                                          terms='"misère", "musée"'), encoding="utf-8")
            autocode(project)
            check(project)
            assert import_paths(project, files).unchanged == len(files)
            check(project)
            # a corrected transcript replaces the coded doc0: its codings are re-anchored
            # (or kept aside), its turns rebuilt, and re-coding works on the new text
            n = project.store.codings.count()
            raw = Path(files[0]).read_bytes()
            cut = len(raw) // 2
            Path(files[0]).write_bytes(raw[:cut].replace(b"mineur", b"mineurs") + b" euh" + raw[cut:])
            report = import_paths(project, files[:1], replace=True)
            assert report.skipped == 0 and report.results[0].status == "replaced"
            assert project.store.codings.count() + len(project.store.orphans.select()) == n
            check(project)
            autocode(project)
            check(project)
        finally:
            project.close()


# --------------------------------------------------------------------------- the store's guard
# Every write of a coding goes through store.codings.add / add_many / move, which take the
# text from the document and refuse offsets that are not a span of it.

TEXT = "Mme Dufour : C'est une fierté. Mon père descendait à la fosse.\n"


def _doc_and_code(project: Project, text: str = TEXT, name: str = "d") -> tuple[int, int]:
    store = project.store
    with store.transaction():
        doc = store.documents.insert(name=name, source_path=None, fmt="txt", encoding="utf-8",
                                     content_hash="x", text=text, meta={})
        code = int(store.execute("INSERT INTO codes (path, label, created_at, updated_at) VALUES (?, 'Pride', '', '')",
                                 (f"pride_{name}" if name != "d" else "pride",)).lastrowid)
    return doc, code


def _texts(project: Project) -> list[tuple[int, int, str]]:
    return [(k.start, k.end, k.text) for k in project.store.codings.select()]


def test_add_takes_the_text_from_the_document(project):
    doc, code = _doc_and_code(project)
    a, b = TEXT.index("fierté"), TEXT.index("fierté") + len("fierté")
    with project.store.transaction():
        cid = project.store.codings.add(document_id=doc, code_id=code, start=a, end=b, coder="me",
                                        origin="manual", status="accepted")
        project.store.codings.add(document_id=doc, code_id=code, start=0, end=3, coder="me", origin="manual",
                                  text="Mme")
    k = project.store.codings.get(cid)
    assert (k.text, k.document, k.code, k.code_label, k.status, k.unit) == ("fierté", "d", "pride", "Pride",
                                                                           "accepted", "span")
    assert _texts(project) == [(0, 3, "Mme"), (a, b, "fierté")]


@pytest.mark.parametrize("start, end", [(-1, 3), (3, 3), (5, 2), (0, len(TEXT) + 1), (len(TEXT), len(TEXT) + 1),
                                        (1.0, 3), ("1", 3), (True, 3)])
def test_add_refuses_offsets_that_are_not_a_span_of_the_document(project, start, end):
    doc, code = _doc_and_code(project)
    with pytest.raises(QualcodeError, match="coding offsets"), project.store.transaction():
        project.store.codings.add(document_id=doc, code_id=code, start=start, end=end, coder="me",
                                  origin="manual")
    assert _texts(project) == []


def test_add_refuses_a_text_that_is_not_the_documents(project):
    doc, code = _doc_and_code(project)
    with pytest.raises(QualcodeError, match="is not the text of d at 0:3"), project.store.transaction():
        project.store.codings.add(document_id=doc, code_id=code, start=0, end=3, coder="me", origin="manual",
                                  text="Mme ")
    assert _texts(project) == []


def test_add_refuses_unknown_document_code_status_unit_and_duplicates(project):
    doc, code = _doc_and_code(project)
    codings = project.store.codings
    with project.store.transaction():
        codings.add(document_id=doc, code_id=code, start=0, end=3, coder="me", origin="manual")
    for kwargs, message in (({"document_id": doc + 1}, "no document"), ({"code_id": code + 1}, "no such code"),
                            ({"status": "maybe"}, "unknown coding status"), ({"unit": "page"}, "unknown coding unit"),
                            ({}, "already has a coding")):
        with pytest.raises(QualcodeError, match=message), project.store.transaction():
            codings.add(**({"document_id": doc, "code_id": code, "start": 0, "end": 3, "coder": "me",
                            "origin": "manual"} | kwargs))
    assert _texts(project) == [(0, 3, "Mme")]


def test_add_many_checks_every_coding_before_writing_any(project):
    doc, code = _doc_and_code(project)
    codings = project.store.codings
    good = [NewCoding(doc, code, 0, 3, "rules", "r1"), NewCoding(doc, code, 4, 10, "rules", "r1", text="Dufour")]
    for bad, message in ((NewCoding(doc, code, 10, len(TEXT) + 5, "rules", "r1"), "coding offsets"),
                         (NewCoding(doc, code, 4, 10, "other", "r1", text="dufour"), "is not the text of d"),
                         (NewCoding(doc, code, 7, 7, "rules", "r1"), "coding offsets")):
        with pytest.raises(QualcodeError, match=message), project.store.transaction():
            codings.add_many([*good, bad])
        assert _texts(project) == []
    with project.store.transaction():
        assert codings.add_many(good) == 2
    assert _texts(project) == [(0, 3, "Mme"), (4, 10, "Dufour")]
    with pytest.raises(QualcodeError, match="already has a coding"), project.store.transaction():
        codings.add_many([NewCoding(doc, code, 0, 3, "rules", "r2")])
    assert _texts(project) == [(0, 3, "Mme"), (4, 10, "Dufour")]


def test_move_takes_the_text_again_and_refuses_bad_offsets_and_duplicates(project):
    doc, code = _doc_and_code(project)
    codings = project.store.codings
    with project.store.transaction():
        cid = codings.add(document_id=doc, code_id=code, start=0, end=3, coder="me", origin="manual")
        other = codings.add(document_id=doc, code_id=code, start=4, end=10, coder="me", origin="manual")
        codings.move(cid, start=TEXT.index("fosse"), end=TEXT.index("fosse") + 5)
    assert codings.get(cid).text == "fosse"
    for kwargs in ({"start": 5, "end": 2}, {"end": len(TEXT) + 1}, {"start": -2}):
        with pytest.raises(QualcodeError, match="coding offsets"), project.store.transaction():
            codings.move(cid, **kwargs)
    with pytest.raises(QualcodeError, match="already has a coding"), project.store.transaction():
        codings.move(cid, start=4, end=10)
    with pytest.raises(QualcodeError, match="no coding with id"):
        codings.move(other + 100, start=0, end=1)
    assert codings.get(cid).text == "fosse" and codings.get(other).text == "Dufour"
    assert codings.find(document_id=doc, code_id=code, coder="me", start=4, end=10).id == other


_names = itertools.count(1)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory):
    project = Project.init(tmp_path_factory.mktemp("offsets") / "p")
    yield project
    project.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="ab é\n’œ", min_size=1, max_size=12),
       spans=st.lists(st.tuples(st.integers(-2, 15), st.integers(-2, 15), st.booleans()), min_size=1, max_size=6))
def test_add_and_move_keep_the_text_equal_to_the_offsets(shared_project, text, spans):
    project = shared_project
    doc, code = _doc_and_code(project, text, name=f"d{next(_names)}")
    codings = project.store.codings
    made: list[int] = []
    for i, (a, b, wrong) in enumerate(spans):
        ok = 0 <= a < b <= len(text)
        expected = (text[a:b] + "x") if wrong else None
        try:
            with project.store.transaction():
                made.append(codings.add(document_id=doc, code_id=code, start=a, end=b, coder=f"c{i}",
                                        origin="manual", text=expected))
        except QualcodeError:
            assert not ok or wrong
        else:
            assert ok and not wrong
        if made:
            try:
                with project.store.transaction():
                    codings.move(made[0], start=a, end=b)
            except QualcodeError:
                assert not ok
            else:
                assert ok
        for k in codings.select(document_ids=[doc]):
            assert k.text == text[k.start:k.end] and 0 <= k.start < k.end <= len(text)
    check(project)


def test_only_the_codings_store_writes_codings():
    """Every write path goes through store.codings (add/add_many/move and the writes
    that cannot touch offsets): no other module inserts, updates or deletes codings."""
    root = Path(__file__).resolve().parent.parent / "qualcode"
    write = re.compile(r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE(\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)\s+codings\b",
                       re.IGNORECASE)
    found = [f"{p.relative_to(root)}:{m.group(0)}" for p in sorted(root.rglob("*.py"))
             if p.relative_to(root).as_posix() != "store/codings.py" for m in write.finditer(p.read_text("utf-8"))]
    assert found == []
