"""Speaker labels as people write them (issue 12): names with parentheses, dashes, dots,
apostrophes, accents and digits, Zoom-style ``Name (Role):`` in txt and WebVTT cues,
labels in another case, near-misspelt labels reported, ``--label-pattern``; and what must
stay text (a sentence with a colon)."""

from __future__ import annotations

import pytest

from qualcode.importers import ImportOptions, parse_bytes
from qualcode.importers.speakers import default_role, looks_like_label, split_qualifier
from qualcode.importers.text import compile_label_pattern


def imp(text: str, fmt: str = "txt", options: ImportOptions | None = None):
    return parse_bytes(text.encode("utf-8"), f"entretien.{fmt}", fmt, options)


def utterances(doc):
    return [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns]


def vtt(*cues: tuple[str, str, str]) -> str:
    blocks = [f"{i}\n{t0} --> {t1}\n{text}" for i, (t0, t1, text) in enumerate(cues, 1)]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def srt(*cues: tuple[str, str, str]) -> str:
    blocks = [f"{i}\n{t0} --> {t1}\n{text}" for i, (t0, t1, text) in enumerate(cues, 1)]
    return "\n\n".join(blocks) + "\n"


# ------------------------------------------------------------------------ shapes of names

@pytest.mark.parametrize("label", [
    "Jane Doe (SL)", "Mme Roger-Lefebvre (maire)", "M. Dupont – adjoint", "M. Dupont - adjoint",
    "Marie — agricultrice", "O'Brien", "Dr. Ndiaye", "José Müller", "Interviewer2", "P3",
    "Jean-Luc d'Argent", "Enquêtrice (Marie)", "Mme de Villiers (adjointe au maire)",
])
def test_label_shapes_accepted(label):
    assert looks_like_label(label)


@pytest.mark.parametrize("label", [
    "Il dit - bon", "Alors (bon)", "Note (importante)", "Bon, voilà", "Il m'a dit",
    "Jane Doe (she said, laughing, that it was fine)", "Marie (1)",
])
def test_label_shapes_refused(label):
    assert not looks_like_label(label)


def test_qualifier_split_and_role():
    assert split_qualifier("Jane Doe (SL)") == ("Jane Doe", "SL")
    assert split_qualifier("M. Dupont – adjoint") == ("M. Dupont", "adjoint")
    assert split_qualifier("Roger-Lefebvre") == ("Roger-Lefebvre", None)
    assert default_role("Jane Doe (Interviewer)") == "interviewer"
    assert default_role("Enquêtrice (Marie)") == "interviewer"
    assert default_role("Jane Doe (SL)") == "participant"
    assert default_role("Jane Doe (SL)", ["jane doe (sl)"]) == "interviewer"


# ------------------------------------------------------------------------------ txt files

def test_zoom_style_names_in_txt():
    doc = imp("Jane Doe (SL): Hello, how are you?\nJohn O'Brien: Fine: thanks.\n"
              "Jane Doe (SL): Good. Let's start.\nJohn O'Brien: Ok.\n")
    assert utterances(doc) == [("Jane Doe (SL)", "Hello, how are you?"), ("John O'Brien", "Fine: thanks."),
                               ("Jane Doe (SL)", "Good. Let's start."), ("John O'Brien", "Ok.")]


def test_french_names_with_role_in_parentheses_or_after_a_dash():
    doc = imp("Mme Roger-Lefebvre (maire) : Bonjour.\nM. Dupont – adjoint : Bonjour madame.\n"
              "Mme Roger-Lefebvre (maire) : On commence.\n")
    assert utterances(doc) == [("Mme Roger-Lefebvre (maire)", "Bonjour."),
                               ("M. Dupont – adjoint", "Bonjour madame."),
                               ("Mme Roger-Lefebvre (maire)", "On commence.")]


def test_interviewer_option_with_parentheses_accepts_a_label_used_once():
    doc = imp("Jane Doe (SL): Hello.\nBob Marley: hi\n",
              options=ImportOptions(interviewers=["Jane Doe (SL)"]))
    assert doc.turns[0].speaker == "Jane Doe (SL)"
    assert default_role(doc.turns[0].speaker, ["Jane Doe (SL)"]) == "interviewer"


def test_lowercase_label_is_the_speaker_already_seen():
    doc = imp("L: Bonjour.\nE: Oui ?\nl: Je disais bonjour.\nE: D'accord.\n")
    assert utterances(doc) == [("L", "Bonjour."), ("E", "Oui ?"), ("L", "Je disais bonjour."),
                               ("E", "D'accord.")]
    assert doc.speakers() == ["L", "E"]


def test_lowercase_word_never_becomes_a_label_without_its_capitalized_twin():
    doc = imp("E: Et alors ?\nMarie: bon\nil : a dit non.\nMarie: voilà\n")
    assert [s for s, _ in utterances(doc)] == ["E", "Marie", "Marie"]
    assert "il : a dit non." in doc.text[doc.turns[1].start:doc.turns[1].end]


def test_near_duplicate_label_is_warned_with_file_and_line():
    doc = imp("Interviewer2: Bonjour.\nMarie: Oui ?\nInterviewer2 2: Je disais bonjour.\n"
              "Marie: D'accord.\nInterviewer2: Bien.\n")
    # kept as text, not silently a speaker, and said where
    assert [s for s, _ in utterances(doc)] == ["Interviewer2", "Marie", "Marie", "Interviewer2"]
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith("entretien.txt:3: 'Interviewer2 2'")
    assert "did you mean 'Interviewer2'" in doc.warnings[0]


def test_near_duplicate_speaker_used_twice_is_imported_and_warned():
    doc = imp("Enquêtrice: a\nMarie: b\nEnquetrce: c\nMarie: d\nEnquêtrice: e\nMarie: f\n"
              "Enquetrce: g\nEnquêtrice: h\n")
    assert "Enquetrce" in doc.speakers()
    assert any(w.startswith("entretien.txt:3: speaker 'Enquetrce'") and "'Enquêtrice'" in w
               for w in doc.warnings)


def test_numbered_labels_are_not_misspellings():
    doc = imp("P1: Bonjour.\nP2: Oui ?\nP3: Je disais bonjour.\nP1: D'accord.\nP2: Bien.\n"
              "Speaker 1: a\nSpeaker 2: b\n")
    assert doc.warnings == []
    assert doc.speakers() == ["P1", "P2", "P3", "Speaker 1", "Speaker 2"]


@pytest.mark.parametrize("text", [
    "Il m'a dit : viens.\nBon, voilà : c'était dur.\nNote : rien.\n",
    "Alors (bon) : on verra.\nAlors (bon) : on verra encore.\n",
    "Rendez-vous : 10:30\nRendez-vous : 11:30\n",
    "Je pense - enfin - que : oui.\nJe pense - enfin - que : non.\n",
])
def test_sentences_with_a_colon_stay_text(text):
    doc = imp(text)
    assert doc.speakers() == []
    assert doc.warnings == []


def test_label_pattern_for_house_conventions():
    doc = imp("<I> Bonjour.\n<R> Oui.\n<I> Et ensuite ?\n",
              options=ImportOptions(label_pattern=r"<(?P<label>[A-Z])>"))
    assert utterances(doc) == [("I", "Bonjour."), ("R", "Oui."), ("I", "Et ensuite ?")]


def test_label_pattern_with_time_group():
    doc = imp("#12:01 ENQ# Bonjour.\n#12:09 PART# Oui.\n",
              options=ImportOptions(label_pattern=r"#(?P<time>[\d:]+) (?P<label>\w+)#"))
    assert [(t.speaker, t.time_start) for t in doc.turns] == [("ENQ", 12 * 60 + 1), ("PART", 12 * 60 + 9)]


@pytest.mark.parametrize("pattern, reason", [("(", "not a valid regular expression"),
                                             ("<(\\w)>", "named group")])
def test_bad_label_pattern(pattern, reason):
    with pytest.raises(ValueError, match=reason):
        compile_label_pattern(pattern)


# ------------------------------------------------------------------------- subtitle files

def test_zoom_vtt_names_with_parentheses():
    doc = imp(vtt(("00:00:01.000", "00:00:05.000", "Jane Doe (SL): Hello everyone"),
                  ("00:00:05.000", "00:00:07.000", "Jane Doe (SL): and welcome."),
                  ("00:00:07.000", "00:00:09.000", "Pierre Dupont – maire: Merci."),
                  ("00:00:09.500", "00:00:11.000", "jane doe (sl): So tell me.")), "vtt")
    assert [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns] == [
        ("Jane Doe (SL)", "Hello everyone and welcome.", 1.0, 7.0),
        ("Pierre Dupont – maire", "Merci.", 7.0, 9.0),
        ("Jane Doe (SL)", "So tell me.", 9.5, 11.0),
    ]


def test_srt_lowercase_label_and_label_pattern():
    doc = imp(srt(("00:00:01,000", "00:00:02,000", "L: Bonjour."),
                  ("00:00:02,000", "00:00:03,000", "E: Oui ?"),
                  ("00:00:03,000", "00:00:04,000", "l: Voilà.")), "srt")
    assert [t.speaker for t in doc.turns] == ["L", "E", "L"]
    doc = imp(srt(("00:00:01,000", "00:00:02,000", "#A# Bonjour."),
                  ("00:00:02,000", "00:00:03,000", "#B# Oui ?")), "srt",
              ImportOptions(label_pattern=r"#(?P<label>\w+)#"))
    assert [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns] == [("A", "Bonjour."), ("B", "Oui ?")]
