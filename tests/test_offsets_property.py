"""Offsets are sacred: after every operation, every coding's text equals the document text
between its offsets, and every turn's offsets index its text. Checked as a property over
generated transcripts (labels, accents, CRLF, blank lines, back-channels) and a sequence of
operations: import, auto-coding, role change, codebook edit and re-coding, re-import."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.autocode import autocode
from qualcode.ingest import import_paths, set_speaker_roles
from qualcode.project import Project

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
        finally:
            project.close()
