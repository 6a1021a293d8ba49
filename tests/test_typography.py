"""French typography of exported text (qualcode.exporters.typography)."""

from __future__ import annotations

import pytest

from qualcode.exporters.typography import collapse_whitespace, en_quote, fr_quote, fr_typography

NB = "\u00a0"  # no-break space: before ':' and inside « »
NN = "\u202f"  # narrow no-break space: before ; ? !


@pytest.mark.parametrize("text, expected", [
    ("Et toi?", f"Et toi{NN}?"),
    ("Et toi ?", f"Et toi{NN}?"),
    ("Et toi   ?", f"Et toi{NN}?"),  # a run of spaces becomes one
    ("Et toi\t?", f"Et toi{NN}?"),
    ("Bravo!", f"Bravo{NN}!"),
    ("Non ; enfin", f"Non{NN}; enfin"),
    ("Il a dit : oui", f"Il a dit{NB}: oui"),
    ("Il a dit: oui", f"Il a dit{NB}: oui"),
    ("fin :", f"fin{NB}:"),
    # a no-break space of the wrong width is corrected
    (f"toi{NB}?", f"toi{NN}?"),
    (f"dit{NN}: x", f"dit{NB}: x"),
    # one space before a group of marks
    ("quoi?!", f"quoi{NN}?!"),
    ("quoi ?!", f"quoi{NN}?!"),
    ("Hein??", f"Hein{NN}??"),
    ("quoi ? !", f"quoi{NN}? !"),  # written with a space: kept
])
def test_spacing_before_high_punctuation(text, expected):
    assert fr_typography(text) == expected


@pytest.mark.parametrize("text", [
    "à 10:30 et à 14:45:12",  # times
    "[00:14:32] Josiane",
    "un ratio 3:2",
    "a;b;c",  # glued semicolons
    "(?) [!] [?]",  # transcription marks for doubt
    "?! au début",  # nothing before the mark
    ": au début",
    "ligne\n? suivante",  # a mark at the start of a line
    "C:\\Users\\camille",
    "",
])
def test_left_alone(text):
    assert fr_typography(text) == text


@pytest.mark.parametrize("text, expected", [
    ("voir https://exemple.fr/page?id=3;x=4 !", f"voir https://exemple.fr/page?id=3;x=4{NN}!"),
    ("le site www.louvrelens.fr!", f"le site www.louvrelens.fr{NN}!"),
    ("(http://a.fr/x?y).", "(http://a.fr/x?y)."),
    ("écrire à a.b@univ-lille.fr : merci", f"écrire à a.b@univ-lille.fr{NB}: merci"),
    ("ftp://h.fr:21/x", "ftp://h.fr:21/x"),
])
def test_urls_and_emails_untouched(text, expected):
    assert fr_typography(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("«bonjour»", f"«{NB}bonjour{NB}»"),
    ("« bonjour »", f"«{NB}bonjour{NB}»"),
    ("«   bonjour  »", f"«{NB}bonjour{NB}»"),
    (f"«{NN}bonjour{NN}»", f"«{NB}bonjour{NB}»"),
    ("« quoi »?", f"«{NB}quoi{NB}»{NN}?"),
    ("« quoi ? »", f"«{NB}quoi{NN}?{NB}»"),
])
def test_guillemets(text, expected):
    assert fr_typography(text) == expected


def test_straight_quote_pairs_become_guillemets():
    assert fr_typography('il dit "oui" puis "non"') == f"il dit «{NB}oui{NB}» puis «{NB}non{NB}»"
    assert fr_typography('"Tu viens?"') == f"«{NB}Tu viens{NN}?{NB}»"
    assert fr_typography('" espaces "') == f"«{NB}espaces{NB}»"


def test_nested_quotes_are_second_level():
    assert fr_typography('que je venais "de près de Lens", voilà', nested=True) == \
        "que je venais “de près de Lens”, voilà"


@pytest.mark.parametrize("text", [
    'un "seul guillemet',  # odd number
    'un écran 15" et "rien',  # 15" is not an opening quote: nothing is paired
    '"a" b"c"',  # b"c: glued to a word, ambiguous
])
def test_unpaired_straight_quotes_are_left_alone(text):
    assert fr_typography(text) == text


def test_quote_pairs_next_to_punctuation_and_brackets():
    assert fr_typography('("oui"), "non".') == f"(«{NB}oui{NB}»), «{NB}non{NB}»."


@pytest.mark.parametrize("text", [
    'Il a dit : "viens" ! Et toi?', "quoi?! (?) « oui » 10:30", "voir www.a.fr!",
    "a ; b : c ? d ! e", 'x "y" z', "«a»", f"x{NB}?{NN}!",
])
def test_idempotent(text):
    once = fr_typography(text)
    assert fr_typography(once) == once


def test_quotes_and_whitespace_helpers():
    assert fr_quote(" texte ") == f"«{NB}texte{NB}»"
    assert en_quote("text") == "“text”"
    assert collapse_whitespace("  a\n\nb \t c ") == "a b c"
