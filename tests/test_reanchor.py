"""Re-anchoring coded spans on a corrected text (qualcode.reanchor), alone: random edits
outside the spans leave every span's text byte-identical, edits inside a span flag it,
deleted spans are reported, never lost."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import qualcode.reanchor as reanchor_module
from qualcode.reanchor import counts, opcodes, reanchor, similarity


@contextmanager
def diff_by(lines: bool):
    """The character diff (short texts), or the line diff first (long texts) on any text."""
    with mock.patch.object(reanchor_module, "LINE_DIFF_ABOVE", 0 if lines else 10**9):
        yield

# Words of lowercase letters; the edits insert or substitute characters from another
# alphabet (upper case, digits, punctuation), so that an edit can never slide, through a
# repeated letter, from one side of a span boundary to the other.
WORD = st.text("abcdefghijklmnopqrstuvwxyzéèàç", min_size=1, max_size=9)
EDIT_CHARS = "XYZQ0123456789 .,;!?'\n"


@st.composite
def text_and_spans(draw):
    words = draw(st.lists(WORD, min_size=8, max_size=60))
    text = "".join(w + draw(st.sampled_from([" ", " ", " ", "\n"])) for w in words).rstrip()
    n = draw(st.integers(1, 6))
    spans = []
    for i in range(n):
        a = draw(st.integers(0, len(text) - 2))
        b = draw(st.integers(a + 1, min(len(text), a + 40)))
        spans.append((i, a, b))
    return text, spans


def _covered(spans, pos: int) -> bool:
    """Whether an edit of the character at ``pos`` touches a span."""
    return any(a <= pos < b for _, a, b in spans)


def _strictly_inside(spans, pos: int) -> bool:
    """Whether an insertion before ``pos`` falls strictly inside a span."""
    return any(a < pos < b for _, a, b in spans)


@st.composite
def edits(draw, text, spans, inside: bool):
    """Edits (position, kind, new characters) all outside the spans, or one inside a span."""
    out = []
    if inside:
        _, a, b = draw(st.sampled_from(spans))
        pos = draw(st.integers(a, b - 1))
        kind = draw(st.sampled_from(["insert", "delete", "substitute"]))
        if kind == "insert":
            pos = draw(st.integers(a + 1, b - 1)) if b - a > 1 else a
            if b - a == 1:
                kind = "substitute"
        out.append((pos, kind, draw(st.text(EDIT_CHARS[:4], min_size=1, max_size=3))))
        return out
    touched: set[int] = set()  # a character is deleted or substituted once
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["insert", "delete", "substitute"]))
        pos = draw(st.integers(0, len(text) if kind == "insert" else len(text) - 1))
        if (kind == "insert" and _strictly_inside(spans, pos)) or (kind != "insert" and _covered(spans, pos)) \
                or (kind != "insert" and pos in touched):
            continue
        if kind != "insert":
            touched.add(pos)
        out.append((pos, kind, draw(st.text(EDIT_CHARS, min_size=1, max_size=5))))
    return out


def apply(text: str, edits) -> str:
    """Apply the edits from the last position to the first, so that positions stay valid."""
    for pos, kind, chars in sorted(edits, key=lambda e: (e[0], e[1] != "insert"), reverse=True):
        if kind == "insert":
            text = text[:pos] + chars + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + 1:]
        else:
            text = text[:pos] + chars + text[pos + 1:]
    return text


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_edits_outside_spans_leave_every_span_byte_identical(data):
    text, spans = data.draw(text_and_spans())
    new = apply(text, data.draw(edits(text, spans, inside=False)))
    with diff_by(data.draw(st.booleans(), label="line diff")):
        placed = reanchor(text, new, spans)
    assert [p.key for p in placed] == [k for k, _, _ in spans]  # one per span, none lost
    for p, (_, a, b) in zip(placed, spans):
        assert p.status in ("kept", "moved"), (p, new)
        assert new[p.start:p.end] == text[a:b] == p.new_text == p.old_text
        assert (p.status == "kept") == ((p.start, p.end) == (a, b))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_an_edit_inside_a_span_flags_it(data):
    text, spans = data.draw(text_and_spans())
    new = apply(text, data.draw(edits(text, spans, inside=True)))
    with diff_by(data.draw(st.booleans(), label="line diff")):
        placed = reanchor(text, new, spans)
    for p, (_, a, b) in zip(placed, spans):
        assert p.old_text == text[a:b]
        if text[a:b] not in new:  # its text is gone: never reported kept or moved
            assert p.status in ("changed", "orphaned"), p
        if p.status == "orphaned":
            assert p.start is None and p.new_text is None
        else:  # wherever it is placed, the offsets index the new text
            assert new[p.start:p.end] == p.new_text
            assert (p.new_text == p.old_text) == (p.status in ("kept", "moved"))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_deleted_spans_are_reported_never_lost(data):
    text, spans = data.draw(text_and_spans())
    key, a, b = data.draw(st.sampled_from(spans))
    new = text[:a] + text[b:]
    assume(text[a:b].strip() and text[a:b] not in new)
    with diff_by(data.draw(st.booleans(), label="line diff")):
        placed = reanchor(text, new, spans)
    assert len(placed) == len(spans)
    gone = next(p for p in placed if p.key == key)
    assert gone.old_text == text[a:b]
    if gone.status != "orphaned":  # what is left of it, when it was long enough, flagged
        assert gone.status == "changed" and new[gone.start:gone.end] == gone.new_text


def test_statuses_on_a_realistic_correction():
    old = ("Enquêtrice : Bon, ben pour commencer ?\n\nMme Dufour : Mon père était mineur à la fosse 9. "
           "Il aimait le coron. Un peu. Un peu. Mine de rien, le Louvre-Lens a beaucoup joué, hein.")
    new = old.replace("Bon, ben pour", "Bon, pour").replace("fosse 9", "fosse 9 bis").replace(
        "Il aimait le coron. ", "").replace("Un peu. Un peu. Mine de rien, ", "Oui, beaucoup. ")
    spans = [("label", 0, 10), ("father", old.index("Mon père"), old.index(" à la fosse")),
             ("pit", old.index("fosse 9"), old.index("fosse 9") + 7), ("coron", old.index("Il aimait"),
                                                                        old.index("coron.") + 6),
             ("louvre", old.index("Mine de rien"), len(old))]
    placed = {p.key: p for p in reanchor(old, new, spans)}
    assert placed["label"].status == "kept"
    assert placed["father"].status == "moved" and placed["father"].new_text == "Mon père était mineur"
    assert placed["pit"].status == "moved"  # 'fosse 9' is still there, before ' bis'
    assert placed["coron"].status == "orphaned" and placed["coron"].old_text == "Il aimait le coron."
    louvre = placed["louvre"]
    assert louvre.status == "changed" and louvre.new_text.endswith("le Louvre-Lens a beaucoup joué, hein.")
    assert not louvre.new_text[0].isspace() and new[louvre.start - 1] in " ."  # no word cut in two
    assert counts(list(placed.values())) == {"kept": 1, "moved": 2, "changed": 1, "orphaned": 1}


def test_a_moved_paragraph_is_found_by_its_context():
    a = "Premier paragraphe sur la fosse et les corons du bassin minier."
    b = "Deuxième paragraphe, sur le Louvre-Lens et la culture aujourd'hui."
    c = "Troisième paragraphe : les jeunes partent à Lille pour travailler."
    old, new = f"{a}\n\n{b}\n\n{c}", f"{b}\n\n{c}\n\n{a}"
    start = old.index("la fosse")
    (p,) = reanchor(old, new, [(1, start, start + len("la fosse et les corons"))])
    assert p.status == "moved" and p.new_text == "la fosse et les corons" and p.start == new.index("la fosse")


def test_identical_texts_keep_everything_and_bad_spans_are_refused():
    import pytest

    assert [p.status for p in reanchor("abc def", "abc def", [(1, 0, 3), (2, 4, 7)])] == ["kept", "kept"]
    with pytest.raises(ValueError):
        reanchor("abc", "abd", [(1, 2, 9)])


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_line_diff_covers_both_texts_as_the_character_diff_does(data):
    text, _ = data.draw(text_and_spans())
    spans = [(0, 0, 1)]
    new = apply(text, data.draw(edits(text, spans, inside=False)))
    with diff_by(lines=True):
        ops = opcodes(text, new)
    assert ops[0][1] == 0 and ops[0][3] == 0 and ops[-1][2] == len(text) and ops[-1][4] == len(new)
    for (tag, i1, i2, j1, j2), nxt in zip(ops, [*ops[1:], None]):
        if tag == "equal":
            assert text[i1:i2] == new[j1:j2]
        if nxt is not None:
            assert (nxt[1], nxt[3]) == (i2, j2)  # contiguous, in order
    with diff_by(lines=False):
        exact = similarity(text, new)
    with diff_by(lines=True):
        assert similarity(text, new) <= exact + 1e-9  # a lower bound


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cutoff=st.sampled_from([50.0, 80.0, 90.0, 95.0, 99.0]))
def test_similarity_with_a_cutoff_is_the_score_or_zero(data, cutoff):
    """The line diff's bound never drops a pair that reaches the cutoff: with a cutoff the
    score is the same, or 0 when below it (as rapidfuzz's score_cutoff)."""
    text, _ = data.draw(text_and_spans())
    other = data.draw(st.one_of(st.just(None), text_and_spans()))
    # a corrected version of the text (often above the cutoff), or another text (below)
    new = apply(text, data.draw(edits(text, [(0, 0, 1)], inside=False))) if other is None else other[0]
    for lines in (True, False):
        with diff_by(lines=lines):
            exact = similarity(text, new)
            if lines:  # the bound never says "below" a score that reaches the cutoff
                assert not (reanchor_module.certainly_below(text, new, cutoff) and exact >= cutoff)
                split = (text.splitlines(keepends=True), new.splitlines(keepends=True))
                assert similarity(text, new, cutoff, lines=split) == (exact if exact >= cutoff else 0.0)
            assert similarity(text, new, cutoff=cutoff) == (exact if exact >= cutoff else 0.0)
