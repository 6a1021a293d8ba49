"""qualcode.analysis.units: the units of comparison and which of them a coder coded."""

from __future__ import annotations

import pytest
from helpers import build_project

from qualcode.analysis.units import (
    Unit,
    active_codes,
    char_universe,
    check_coders,
    coded_spans,
    coded_units,
    coder_documents,
    merge_intervals,
    project_units,
    unit_text,
)
from qualcode.errors import QualcodeError, UsageError
from qualcode.manual import code

CODEBOOK = """\
title: Units test
language: fr
codes:
  - code: mine
    children:
      - code: work
      - code: family
  - code: future
"""

DOC = """\
Enquêtrice : Vous êtes d'ici ? Racontez-moi.
Paul : Je suis né ici. Mon père était mineur. Il descendait à la fosse.
Enquêtrice : Et aujourd'hui ?
Paul : Aujourd'hui tout a changé. Les jeunes partent.
"""


@pytest.fixture
def proj(project, tmp_path):
    build_project(project, tmp_path, codebook=CODEBOOK, codebook_name="units",
                  documents={"paul": DOC, "other": "Marie : Rien à dire.\nMarie : Vraiment rien.\n"})
    return project


def text_of(project, unit: Unit) -> str:
    return project.store.documents.by_name("paul").text[unit.start:unit.end]


def test_turn_units_leave_out_interviewer_turns(proj):
    units = project_units(proj, "turn", ["paul"])
    assert [u.turn_index for u in units] == [2, 4]
    assert [text_of(proj, u) for u in units] == [
        "Je suis né ici. Mon père était mineur. Il descendait à la fosse.",
        "Aujourd'hui tout a changé. Les jeunes partent."]
    every = project_units(proj, "turn", ["paul"], include_interviewer=True)
    assert [u.turn_index for u in every] == [1, 2, 3, 4]
    # every document, in name order ("other" has two turns by Marie, a participant)
    names = proj.store.documents.names()
    assert [names[u.document_id] for u in project_units(proj, "turn")] == ["other", "other", "paul", "paul"]


def test_sentence_units_from_the_annotation(proj, monkeypatch):
    units = project_units(proj, "sentence", ["paul"])
    assert [(u.turn_index, text_of(proj, u)) for u in units] == [
        (2, "Je suis né ici."), (2, "Mon père était mineur."), (2, "Il descendait à la fosse."),
        (4, "Aujourd'hui tout a changé."), (4, "Les jeunes partent.")]
    assert len(project_units(proj, "sentence", ["paul"], include_interviewer=True)) == 8

    # The annotation is now cached: units come back without loading the spaCy pipeline.
    import qualcode.analysis.units
    import qualcode.nlp

    real = qualcode.nlp.load_pipeline("fr")

    def no_loading():
        raise AssertionError("the pipeline should not be loaded")

    unloaded = qualcode.nlp.Pipeline(None, real.name, real.description, "fr", True, loader=no_loading)
    monkeypatch.setattr(qualcode.analysis.units, "load_pipeline", lambda language: unloaded)
    assert project_units(proj, "sentence", ["paul"]) == units
    assert not unloaded.loaded


def test_bad_arguments(proj):
    with pytest.raises(UsageError, match="char"):
        project_units(proj, "char")
    with pytest.raises(UsageError, match="unknown unit 'word'"):
        project_units(proj, "word")
    with pytest.raises(QualcodeError, match=r"no document named 'pual'.*paul"):
        project_units(proj, "turn", ["pual"])


def test_overlap_rule_any_character(proj):
    units = project_units(proj, "sentence", ["paul"])
    s1, s2 = units[:2]
    # one character of sentence 2; a span across the end of sentence 1 and the start of 2;
    # a quote in an interviewer turn (not a unit)
    code(proj, "paul", "future", span=(s2.start + 1, s2.start + 2), coder="A")
    code(proj, "paul", "mine/work", span=(s1.end - 4, s2.start + 3), coder="A")
    code(proj, "paul", "mine", quote="Racontez-moi", coder="A")
    got = coded_units(proj, units, "A", ["mine", "mine/work", "mine/family", "future"])
    assert got == {"mine": {0, 1}, "mine/work": {0, 1}, "mine/family": set(), "future": {1}}
    # without roll-up the parent has only its own coding, which is in no unit
    exact = coded_units(proj, units, "A", ["mine", "mine/work"], rollup=False)
    assert exact == {"mine": set(), "mine/work": {0, 1}}
    # with interviewer turns, the parent's own quote marks the interviewer's sentence 2
    every = project_units(proj, "sentence", ["paul"], include_interviewer=True)
    exact = coded_units(proj, every, "A", ["mine"], rollup=False)
    assert [text_of(proj, every[i]) for i in exact["mine"]] == ["Racontez-moi."]
    assert coded_units(proj, units, "B", ["mine"]) == {"mine": set()}


def test_statuses_and_retired_codes(proj):
    units = project_units(proj, "turn", ["paul"])
    rows = code(proj, "paul", "mine/family", turn=2, coder="A")
    code(proj, "paul", "future", turn=4, coder="A")
    assert coded_units(proj, units, "A", ["mine", "future"]) == {"mine": {0}, "future": {1}}
    # test setup: a rejected coding, then a retired code
    with proj.store.transaction():
        proj.store.execute("UPDATE codings SET status = 'rejected' WHERE id = ?", (rows[0]["id"],))
    assert coded_units(proj, units, "A", ["mine"]) == {"mine": set()}
    assert coded_units(proj, units, "A", ["mine"], statuses=("accepted", "rejected")) == {"mine": {0}}
    # a rejected coding still shows the coder saw the document
    assert coder_documents(proj, "A") == {proj.store.documents.by_name("paul").id}
    with proj.store.transaction():
        proj.store.execute("UPDATE codes SET status = 'retired' WHERE path = 'future'")
    assert coded_units(proj, units, "A", ["future"]) == {"future": set()}
    with pytest.raises(QualcodeError, match="retired"):
        active_codes(proj, "future")


def test_active_codes_subtree_and_errors(proj, cli):
    code(proj, "paul", "future", turn=2, coder="A")  # syncs the codebook's codes
    assert [(c["path"], c["depth"]) for c in active_codes(proj)] == [
        ("mine", 0), ("mine/work", 1), ("mine/family", 1), ("future", 0)]
    assert [(c["path"], c["depth"]) for c in active_codes(proj, "mine/work")] == [("mine/work", 0)]
    with pytest.raises(QualcodeError, match=r"unknown code 'mines'.*'mine'"):
        active_codes(proj, "mines")
    with pytest.raises(QualcodeError, match="no codings by coder 'Z'"):
        check_coders(proj, ["A", "Z"])
    with pytest.raises(UsageError, match="at least 2"):
        check_coders(proj, ["A", "A "])


def test_char_universe_and_coded_spans(proj):
    doc = proj.store.documents.by_name("paul")
    turns = proj.store.documents.turns(doc.id)
    assert char_universe(proj, ["paul"]) == {doc.id: [(turns[1].start, turns[1].end),
                                                     (turns[3].start, turns[3].end)]}
    code(proj, "paul", "mine/work", span=(60, 70), coder="A")
    code(proj, "paul", "mine/family", span=(65, 80), coder="A")
    code(proj, "paul", "mine/family", span=(90, 95), coder="A")
    spans = coded_spans(proj, "A", ["mine", "mine/family"])
    assert spans == {"mine": {doc.id: [(60, 80), (90, 95)]}, "mine/family": {doc.id: [(65, 80), (90, 95)]}}
    assert coded_spans(proj, "A", ["mine"], rollup=False) == {"mine": {}}
    assert merge_intervals([(5, 8), (1, 3), (3, 4), (7, 9)]) == [(1, 4), (5, 9)]


def test_unit_text_collapses_whitespace():
    assert unit_text("a  b\n c d", Unit(1, 0, 9, 1)) == "a b c d"
    assert unit_text("a  b\n c d", Unit(1, 0, 9, 1), width=4) == "a b…"


def test_annotations_one_document_at_a_time_same_as_loaded_at_once(proj):
    """iter_annotations (reports, kwic, agreement) yields what load_annotations gives, in the
    documents' order; documents missing from the cache are annotated and cached first,
    the others read from the cache; a cached annotation gone stale meanwhile is computed
    again (not cached)."""
    from qualcode.annotations import iter_annotations, load_annotations
    from qualcode.lookup import select_documents
    from qualcode.nlp import cache_key, load_pipeline

    pipeline = load_pipeline("fr")
    docs = select_documents(proj, ["paul", "other"], order="given")
    store = proj.store
    keys = {d.id: cache_key(d.text, [(t.start, t.end) for t in store.documents.turns(d.id)], pipeline)
            for d in docs}
    assert store.annotations.cached(keys) == set()  # nothing annotated yet
    got = [(d.name, ann.to_bytes()) for d, ann in iter_annotations(proj, docs, pipeline)]
    assert [n for n, _ in got] == ["paul", "other"]
    assert store.annotations.cached(keys) == set(keys)  # both cached by the first pass
    expected, computed, _ = load_annotations(proj, docs, pipeline, write=False)
    assert computed == 0
    assert got == [(d.name, expected[d.id].to_bytes()) for d in docs]
    # from the cache now: the same bytes again
    assert [(d.name, a.to_bytes()) for d, a in iter_annotations(proj, docs, pipeline)] == got
    # a stale row met during the iteration (another command re-imported the document):
    # the annotation is computed for the text given, and the cache left alone
    paul = docs[0]
    seen = []
    for d, ann in iter_annotations(proj, docs, pipeline):
        if d.id == paul.id:
            with store.transaction():
                store.annotations.put(docs[1].id, cache_key="stale", pipeline=pipeline.name, data=b"x")
        seen.append((d.name, ann.to_bytes()))
    assert seen == got
    assert store.annotations.cached(keys) == {paul.id}
