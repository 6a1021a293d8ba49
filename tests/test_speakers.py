import pytest

from qualcode.importers.speakers import (
    INTERVIEWER_LABELS,
    ROLES,
    clean_label,
    default_role,
    format_timestamp,
    has_honorific,
    is_diarization_id,
    label_form,
    label_key,
    looks_like_label,
    parse_timestamp,
)


def test_public_constants():
    assert ROLES == ("interviewer", "participant", "other")
    assert "enquetrice" in INTERVIEWER_LABELS


def test_label_form():
    assert label_form("Enquêtrice") == "enquetrice"
    assert label_form("  MME   Dufour ") == "mme dufour"
    assert label_form("ÉLODIE") == "elodie"
    # labels keep œ and apostrophes as written (unlike the term fold of textnorm)
    assert label_form("Mme d’Œuilly") == "mme d’œuilly"


@pytest.mark.parametrize(
    "label",
    [
        "Enquêtrice", "Enquêteur", "Enquêteuse", "ENQUÊTRICE", "enquetrice", "Enquêtrice 2",
        "Enquêteur·rice", "Enquêteur.rice", "Enquêteur-ice", "Intervieweur", "Intervieweuse",
        "Interviewer", "Interviewer1", "Interviewer 2", "Interviewer_1", "E", "E1", "e",
        "ENQ", "Enq.", "ENQ 2", "Q", "I", "Int.", "INT", "Interv.", "Chercheur", "Chercheuse",
        "Chercheur.e", "Modérateur", "Modératrice", "Animatrice", "Researcher", "Question",
        "Enquêtrice B", "Interviewer_A",
    ],
)
def test_interviewer_labels(label):
    assert default_role(label) == "interviewer"


@pytest.mark.parametrize(
    "label",
    [
        "R", "L", "P", "Marcel", "MARCEL", "Mme Dufour", "M. Caron", "Speaker 1",
        "SPEAKER_00", "SPEAKER_01", "Interviewé", "Interviewée", "Enquêté", "Enquêtée",
        "Réponse", "Élodie", "Jean-Pierre", "Emma", "Isabelle", "Quentin", "E R", "Q A",
        "Ines", "Eric",
    ],
)
def test_participant_labels(label):
    assert default_role(label) == "participant"


def test_no_label_is_other():
    assert default_role(None) == "other"


def test_interviewers_override():
    assert default_role("Claire", ["claire"]) == "interviewer"
    assert default_role("Enquêtrice", ["Claire"]) == "participant"
    assert default_role("SPEAKER_00", ["speaker_00"]) == "interviewer"
    assert default_role("SPEAKER_01", ["SPEAKER_00"]) == "participant"


@pytest.mark.parametrize(
    "label, key",
    [("Enquêtrice 2", "enquetrice"), ("Int.", "int"), ("Enquêteur·rice", "enqueteur"),
     ("SPEAKER_00", "speaker"), ("Mme Dufour", "mme dufour"), ("Interviewer1", "interviewer")],
)
def test_label_key(label, key):
    assert label_key(label) == key


@pytest.mark.parametrize("label", ["SPEAKER_00", "SPEAKER_12", "Speaker 1", "speaker2", "SPK_3",
                                   "Locuteur 2", "Intervenant 1"])
def test_diarization_ids(label):
    assert is_diarization_id(label)


@pytest.mark.parametrize("label", ["Speaker", "Marcel", "E", "Mme Dufour", "Enquêtrice 2"])
def test_not_diarization_ids(label):
    assert not is_diarization_id(label)


def test_clean_label():
    assert clean_label("**Mme\u00a0 Dufour :**") == "Mme Dufour"
    assert clean_label("  MARCEL ") == "MARCEL"
    assert clean_label("Mme\u202fDufour") == "Mme Dufour"


@pytest.mark.parametrize(
    "label",
    ["E", "L", "Q", "R", "MARCEL", "Marcel", "Mme Dufour", "M. Caron", "Enquêtrice",
     "enquêtrice", "Interviewer1", "SPEAKER_00", "Speaker 1", "Mme de Villiers",
     "J.-P. Martin", "Élodie", "Enquêtrice 2", "Int."],
)
def test_looks_like_label(label):
    assert looks_like_label(label)


@pytest.mark.parametrize(
    "text",
    ["Il m'a dit", "Bon, voilà", "Alors voilà", "Note", "NOTE", "Remarque", "Date", "Lieu",
     "10", "https", "Il", "et puis", "Une très longue phrase qui dépasse", "marcel",
     "A B C D E", "Exemple", "Pause"],
)
def test_not_label(text):
    assert not looks_like_label(text)


def test_has_honorific():
    assert has_honorific("Mme Dufour")
    assert has_honorific("M. Caron")
    assert not has_honorific("Mme")
    assert not has_honorific("Marcel")


@pytest.mark.parametrize(
    "value, seconds",
    [("12:34", 754.0), ("0:04", 4.0), ("59:59", 3599.0), ("1:02:03", 3723.0),
     ("00:12:34", 754.0), ("00:12:34.500", 754.5), ("00:12:34,5", 754.5), (" 01:00:00 ", 3600.0)],
)
def test_parse_timestamp(value, seconds):
    assert parse_timestamp(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "12", "12:6", "00:61", "1:60:00", "abc", "12:34:56:78"])
def test_parse_timestamp_invalid(value):
    assert parse_timestamp(value) is None


def test_format_timestamp():
    assert format_timestamp(None) is None
    assert format_timestamp(3723.4) == "01:02:03"
    assert parse_timestamp(format_timestamp(754.0)) == 754.0
