"""Replacement of the pseudonym key's names (qualcode.pseudo.replace): whole words,
longest first, variants of French names and places, offsets of the stored text kept."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.pseudo.replace import Pseudonymizer, Rule

KEY = Pseudonymizer([
    Rule("Martine Vasseur", "Mme V.", person=True),
    Rule("Martine", "[une amie]"),  # shorter than the full name: the full name wins
    Rule("Gérard", "[son mari]"),
    Rule("Hénin", "[commune du bassin]"),
    Rule("Hénin-Beaumont", "[commune du bassin]"),
    Rule("Blanc", "[le voisin]"),
    Rule("Ferme Delcourt", "[une ferme]"),
    Rule("rue Victor Hugo", "[une rue]"),
])


def replaced(text: str) -> str:
    return KEY.document(text).text


def test_longest_match_first_and_whole_words_only():
    assert replaced("Martine Vasseur et Martine") == "Mme V. et [une amie]"
    # Blanc is a name, blanc a colour, Blanchard another name
    assert replaced("M. Blanc a du linge blanc, Blanchard aussi.") == \
        "M. [le voisin] a du linge blanc, Blanchard aussi."
    assert replaced("la ferme et la Ferme Delcourt") == "la ferme et la [une ferme]"
    assert replaced("Gérardmer, Gérard.") == "Gérardmer, [son mari]."


def test_case_accents_elisions_and_apostrophes():
    assert replaced("d'Hénin, d’HENIN, l'hénin-beaumont.") == \
        "d'[commune du bassin], d’[commune du bassin], l'[commune du bassin]."
    assert replaced("MARTINE VASSEUR a dit") == "Mme V. a dit"
    assert replaced("Gérard's car") == "[son mari]'s car"


def test_hyphenated_compounds_and_separators():
    # Hénin alone in the key: the whole compound goes, never half of it
    only = Pseudonymizer([Rule("Hénin", "[commune]")])
    assert only.document("à Hénin-Beaumont et Hénin-Liétard").text == "à [commune] et [commune]"
    assert only.document("un Hénin-là").text == "un [commune]-là"  # a lower-case suffix is not a name
    assert replaced("rue Victor-Hugo, rue victor hugo, rue Victor\nHugo") == "[une rue], [une rue], [une rue]"
    assert replaced("chez Martine\nVasseur hier") == "chez Mme V. hier"


def test_first_and_last_names_after_the_full_name_and_titles():
    only = Pseudonymizer([Rule("Martine Vasseur", "[Mme V.]", person=True)])
    text = "Martine vient. Puis Martine Vasseur parle ; Martine rit, Vasseur aussi."
    assert only.document(text).text == "Martine vient. Puis [Mme V.] parle ; [Mme V.] rit, [Mme V.] aussi."
    # a last name after a title is hers anywhere; a replacement with its own title absorbs it
    titled = Pseudonymizer([Rule("Martine Vasseur", "Mme V.", person=True)])
    assert titled.document("Vous connaissez Mme Vasseur ?").text == "Vous connaissez Mme V. ?"
    assert titled.document("Vous connaissez Vasseur ?").text == "Vous connaissez Vasseur ?"
    # short strings (labels, speakers) do not apply the "after the full name" rule
    assert titled.text("Martine") == "Martine"
    assert titled.name("entretien_vasseur_martine") == "entretien_Mme V._Mme V."


def test_consistent_across_documents():
    a = KEY.document("Gérard habite Hénin.")
    b = KEY.document("À Hénin, Gérard joue.")
    assert a.text == "[son mari] habite [commune du bassin]."
    assert b.text == "À [commune du bassin], [son mari] joue."


def test_slices_map_offsets_and_replace_a_cut_name_whole():
    text = "Bonjour Martine Vasseur, de Hénin."
    doc = KEY.document(text)
    assert doc.original == text
    start = text.index("Vasseur")  # an excerpt that starts inside the name
    assert doc.slice(start, len(text)) == "Mme V., de [commune du bassin]."
    assert doc.slice(0, text.index("Martine")) == "Bonjour "
    assert doc.slice(text.index(","), text.index(",") + 1) == ","
    assert doc.slice(0, len(text)) == doc.text


NAMES = ["Martine Vasseur", "Gérard", "Hénin", "Hénin-Beaumont", "Blanc", "Ferme Delcourt"]
WORDS = ["la", "ferme", "blanc", "Blanchard", "d'", "l'", "à", "et", ",", ".", "\n", "-", "Beaumont",
         "Martine", "Vasseur", "Gérard", "Hénin", "HÉNIN", "Blanc", "Ferme", "Delcourt", "mine", "Lens"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400)),
                                                           max_size=5))
def test_property_stored_text_kept_and_no_key_name_left(words, spans):
    text = "".join(w if w in ("'", "\n") or w.endswith("'") else w + " " for w in words)
    before = str(text)
    doc = KEY.document(text)
    assert text == before and doc.original == before  # the stored text is never changed
    for name in NAMES:  # no name of the key is left as a whole (capitalised) word
        pattern = r"(?<!\w)" + r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", name)) + r"(?!\w)"
        assert re.search(pattern, doc.text) is None, (name, doc.text)
    # every slice of the stored text maps to a piece of the pseudonymized text, in order
    for a, b in spans:
        a, b = sorted((min(a, len(text)), min(b, len(text))))
        piece = doc.slice(a, b)
        assert piece in doc.text
        assert doc.position(a) <= doc.position(b, end=True)
        if not any(m.start < b and a < m.end for m in doc.matches):  # no name there: unchanged
            assert piece == text[a:b]
