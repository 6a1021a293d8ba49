"""Speaker labels, roles and timestamps shared by all importers.

* :func:`default_role` tells interviewers from participants by label
  (``"Enquêtrice"``, ``"E"``, ``"Interviewer1"``, ``"Int."`` are interviewers;
  ``"Marcel"``, ``"Mme Dufour"``, ``"R"``, ``"L"``, ``"Speaker 1"``, ``"SPEAKER_00"``
  are participants).
* :func:`clean_label` / :func:`looks_like_label` / :func:`is_diarization_id` help
  importers decide whether a line prefix is a speaker label.
* :func:`parse_timestamp` / :func:`format_timestamp` convert ``H:MM:SS`` to seconds and back.
"""

from __future__ import annotations

import re
import unicodedata

ROLES = ("interviewer", "participant", "other")

# Labels recognized as interviewers by default, as :func:`label_key` folds them:
# case- and accent-insensitive, trailing digits ("Interviewer1", "ENQ 2"), a trailing dot
# ("Int.") and inclusive-writing endings ("Enquêteur·rice", "Chercheur.e") ignored.
INTERVIEWER_LABELS = frozenset(
    {
        # French
        "e", "enq", "enquet", "enqueteur", "enquetrice", "enqueteuse",
        "i", "int", "interv", "intervieweur", "intervieweuse", "interviewer",
        "q", "question",
        "chercheur", "chercheuse", "chercheure",
        "moderateur", "moderatrice", "animateur", "animatrice",
        "facilitateur", "facilitatrice", "interrogateur", "interrogatrice",
        # English
        "researcher", "moderator", "facilitator",  # and "interviewer", above
    }
)

# Labels that name the interviewee. Informative only (any label that is not an
# interviewer is a participant); :func:`looks_like_label` accepts them in any case.
PARTICIPANT_LABELS = frozenset(
    {
        "r", "rep", "reponse", "reponses", "p", "participant", "participante",
        "enquete", "enquetee", "interviewe", "interviewee", "interlocuteur",
        "interlocutrice", "temoin", "repondant", "repondante", "respondent",
    }
)

# Automatic transcription / diarization speaker ids: "SPEAKER_00", "Speaker 1",
# "SPK2", "Locuteur 3", "Intervenant 1". Not interviewers by default.
_DIARIZATION = re.compile(
    r"(?:speaker|spk|spkr|locuteur|locutrice|intervenant|intervenante|voix|voice)"
    r"[\s_-]?\d{1,3}|[a-z]{1,3}_\d{1,3}",
    re.IGNORECASE,
)

_INCLUSIVE = re.compile(r"(?:\s*[·.\-/(]\s*(?:e|es|ice|ices|rice|rices|trice|euse|se|ere)\)?)+$")


def label_form(label: str) -> str:
    """The form under which two speaker labels are the same label: casefolded, accents
    dropped, runs of whitespace as one space (``"  Enquêtrice "`` -> ``"enquetrice"``,
    ``"MME   Dufour"`` -> ``"mme dufour"``). Importers also compare table headers and
    style names with it.

    Not the term fold (:func:`qualcode.textnorm.fold`, with which the engine matches
    words): labels are compared with labels, never with lemmas, their spacing does not
    matter, and ``œ``/``æ`` and apostrophes stay as written (changing that would change
    which labels an import counts as one speaker).
    """
    decomposed = unicodedata.normalize("NFKD", label)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def speaker_key(label: str) -> str:
    """The form under which two labels of one file name the same speaker: the
    :func:`label_form` without spaces, dots, hyphens and underscores (``"Interviewer 1"``
    and ``"Interviewer1"``, ``"l"`` and ``"L"``, ``"Jean Luc"`` and ``"Jean-Luc"``)."""
    return re.sub(r"[\s._\-]", "", label_form(label))


def label_key(label: str) -> str:
    """The folded base of a label used for role lookup.

    ``"Enquêtrice 2"`` -> ``"enquetrice"``, ``"Int."`` -> ``"int"``,
    ``"Enquêteur·rice"`` -> ``"enqueteur"``, ``"SPEAKER_00"`` -> ``"speaker"``.
    """
    key = label_form(label).strip().rstrip(":").strip()
    key = re.sub(r"[\s_-]*\d+$", "", key)
    key = _INCLUSIVE.sub("", key)
    return key.rstrip(".").strip()


_base = label_key  # backwards-compatible private alias


def is_interviewer_label(label: str) -> bool:
    """Whether ``label`` is in the default interviewer list (see :data:`INTERVIEWER_LABELS`).

    A trailing single-letter index counts like a number: ``"Enquêtrice B"``.
    """
    name, qualifier = split_qualifier(label)
    if qualifier is not None:
        # "Jane Doe (Interviewer)", "Enquêtrice (Marie)": either part names the role.
        return is_interviewer_label(name) or is_interviewer_label(qualifier)
    key = label_key(label)
    if key in INTERVIEWER_LABELS:
        return True
    m = re.fullmatch(r"(.+?)[\s_-]+[a-z]", key)
    return m is not None and len(m.group(1)) > 1 and m.group(1) in INTERVIEWER_LABELS


def is_participant_label(label: str) -> bool:
    name, _ = split_qualifier(label)
    return label_key(name) in PARTICIPANT_LABELS


def is_diarization_id(label: str) -> bool:
    """``"SPEAKER_00"``, ``"Speaker 1"``, ``"spk2"``, ``"Locuteur 3"`` -> True."""
    return _DIARIZATION.fullmatch(" ".join(label.split())) is not None


def default_role(label: str | None, interviewers: list[str] | None = None) -> str:
    """Role of a speaker label.

    ``interviewers`` (from ``--interviewer``) overrides the default list: when given,
    exactly those labels (case/accent-insensitive) are interviewers.
    """
    if label is None:
        return "other"
    if interviewers is not None:
        wanted = {label_form(x) for x in interviewers}
        return "interviewer" if label_form(label) in wanted else "participant"
    return "interviewer" if is_interviewer_label(label) else "participant"


# ---------------------------------------------------------------------------
# What a speaker label looks like

_HONORIFICS = frozenset(
    {"m.", "mme", "mme.", "mlle", "mlle.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.",
     "dr", "dr.", "pr", "pr.", "me", "monsieur", "madame", "mademoiselle", "docteur",
     "maitre", "professeur"}
)
# Lower-case words allowed inside a name ("Mme de Villiers", "Jean de la Fontaine").
_PARTICLES = frozenset({"de", "du", "des", "d'", "d’", "la", "le", "van", "von", "der", "den",
                        "di", "da", "del", "dos", "y"})
# Words that start "Xxx :" lines in ordinary text and are never speakers.
NOT_LABELS = frozenset(
    {
        "note", "notes", "nb", "n.b", "n.b.", "ps", "p.s", "p.s.", "rq", "remarque", "remarques",
        "exemple", "exemples", "ex", "attention", "important", "rappel", "info", "infos",
        "date", "dates", "lieu", "lieux", "heure", "duree", "objet", "sujet", "theme", "themes",
        "titre", "resume", "contexte", "source", "sources", "conclusion", "introduction",
        "definition", "voir", "cf", "mots-cles", "mot-cle", "transcription", "fichier",
        "audio", "video", "observation", "observations", "commentaire", "commentaires",
        "total", "bilan", "alors", "donc", "mais", "bon", "bah", "ben", "enfin", "ensuite",
        "puis", "et", "ou", "oui", "non", "voila", "bref", "car", "ainsi", "aussi",
        "tel", "tél", "email", "e-mail", "mail", "courriel", "adresse", "site", "url",
        "http", "https", "www", "consigne", "consignes", "codage", "code", "codes",
        "memo", "annexe", "version", "statut", "age", "profession", "commune",
        "genre", "sexe", "entretien", "participants", "personnes", "presents",
        # pronouns and other words that begin sentences
        "il", "elle", "ils", "elles", "je", "j'ai", "tu", "on", "nous", "vous", "ce", "cela",
        "ca", "c'est", "le", "la", "les", "un", "une", "mon", "ma", "mes", "son", "sa",
        "ses", "leur", "leurs", "quand", "si", "comme", "pour", "avec", "dans", "sur", "par",
        "moi", "toi", "lui", "eux", "rendez-vous", "pause", "fin", "debut", "reprise",
    }
)


def clean_label(raw: str) -> str:
    """A label as written, tidied: markdown bold and a trailing colon removed,
    whitespace (including non-breaking spaces) collapsed. ``"**Mme  Dufour :**"`` ->
    ``"Mme Dufour"``."""
    label = raw.replace("**", "").replace("__", "")
    label = " ".join(label.split())
    label = label.rstrip(":").strip()
    return " ".join(label.split())


def _name_word(word: str) -> bool:
    """A capitalized word of a name (``Marie``, ``Roger-Lefebvre``, ``O'Brien``), or a
    device name in camel case as Zoom shows it for a participant who did not rename
    themselves (``iPhone`` in ``iPhone de Marie``, ``iPad``)."""
    if not word or not word[0].isalpha():
        return False
    if not word[0].isupper() and not (word[0].islower() and len(word) > 1 and word[1].isupper()):
        return False
    return all(c.isalnum() or c in "_-.'’" for c in word)


# A qualifier after a name: "Jane Doe (SL)", "Mme Roger-Lefebvre (maire)",
# "M. Dupont – adjoint", "Marie - agricultrice". The dash needs spaces around it, so
# hyphenated names ("Roger-Lefebvre") are not split.
_QUALIFIER = re.compile(
    r"^(?P<name>.+?)\s*(?:\((?P<paren>[^()\n]{1,30})\)|\s[-–—]\s+(?P<dash>[^()\n]{1,30}))$"
)


def split_qualifier(label: str) -> tuple[str, str | None]:
    """``"Jane Doe (SL)"`` -> ``("Jane Doe", "SL")``, ``"M. Dupont – adjoint"`` ->
    ``("M. Dupont", "adjoint")``, ``"Marie"`` -> ``("Marie", None)``."""
    m = _QUALIFIER.match(label)
    if not m:
        return label, None
    return m.group("name").strip(), (m.group("paren") or m.group("dash") or "").strip()


# Stage directions that may follow a name but are not a role ("Marie (rires) : …").
_NOT_QUALIFIERS = frozenset({
    "rires", "rire", "riant", "en riant", "sourire", "souriant", "inaudible", "incomprehensible",
    "silence", "pause", "toux", "tousse", "soupir", "soupire", "hesitation", "hesitant", "bas",
    "a voix basse", "ironique", "laughs", "laughing", "laughter", "sighs", "coughs", "crosstalk",
    "overlap", "chevauchement", "xxx", "off",
})


def _qualifier_ok(qualifier: str) -> bool:
    """A role or initials after a name: at most 3 words of letters (``SL``, ``maire``,
    ``adjoint au maire``, ``interviewer``), no sentence punctuation, not a stage direction
    (``rires``, ``inaudible``: see :data:`_NOT_QUALIFIERS`)."""
    words = qualifier.split()
    if not words or len(words) > 3 or label_form(qualifier) in _NOT_QUALIFIERS:
        return False
    return all(all(c.isalnum() or c in "-.'’/" for c in w) and any(c.isalpha() for c in w)
               for w in words)


def looks_like_label(label: str, max_words: int = 4, max_chars: int = 30) -> bool:
    """Whether ``label`` (already cleaned) has the shape of a speaker label.

    Accepted: known interviewer/participant labels in any case (``"enquêtrice"``,
    ``"E"``), diarization ids (``"SPEAKER_00"``, ``"Speaker 1"``), and names of at most
    ``max_words`` words / ``max_chars`` characters made of capitalized words, initials,
    honorifics (``"M."``, ``"Mme"``), digits after the first word and name particles
    inside (``"Mme de Villiers"``). Rejected: common words that start ``"Xxx :"`` lines
    in text (``"Note"``, ``"Date"``, ``"Alors"``, see :data:`NOT_LABELS`), anything with
    commas, quotes or lower-case words (``"Il m'a dit"``, ``"Bon, voilà"``).
    """
    if not label:
        return False
    name, qualifier = split_qualifier(label)
    if qualifier is not None:
        # "Jane Doe (SL)", "Mme Roger-Lefebvre (maire)", "M. Dupont – adjoint": the name
        # must look like a label by itself, the qualifier like a short role.
        return _qualifier_ok(qualifier) and looks_like_label(name, max_words, max_chars)
    if len(label) > max_chars:
        return False
    words = label.split()
    if len(words) > max_words:
        return False
    if is_interviewer_label(label) or is_participant_label(label) or is_diarization_id(label):
        return True
    if label_form(label).rstrip(".") in NOT_LABELS or label_key(label) in NOT_LABELS:
        return False
    if not any(c.isalpha() for c in label):
        return False
    for i, word in enumerate(words):
        low = label_form(word)
        if low in _HONORIFICS:
            continue
        if i > 0 and word.isdigit():
            continue
        if 0 < i < len(words) - 1 and low in _PARTICLES:
            continue
        if i > 0 and low.startswith(("d'", "d’")) and _name_word(word[2:]):
            continue  # "Mme d'Argent"
        if not _name_word(word):
            return False
    return True


def has_honorific(label: str) -> bool:
    """``"Mme Dufour"``, ``"M. Caron"``, ``"Monsieur X"`` -> True."""
    words = label.split()
    return len(words) >= 2 and label_form(words[0]) in _HONORIFICS


# ---------------------------------------------------------------------------
# Timestamps

_TS = re.compile(r"^(?:(?P<h>\d{1,2}):)?(?P<m>\d{1,2}):(?P<s>\d{2})(?:[.,](?P<ms>\d{1,3}))?$")


def parse_timestamp(value: str) -> float | None:
    """``"12:34"``, ``"1:02:03"``, ``"00:12:34.500"``, ``"00:12:34,5"`` -> seconds; else None."""
    m = _TS.match(value.strip())
    if not m:
        return None
    h = int(m.group("h") or 0)
    minutes = int(m.group("m"))
    s = int(m.group("s"))
    if s >= 60 or (m.group("h") is not None and minutes >= 60):
        return None
    ms = m.group("ms")
    frac = int(ms.ljust(3, "0")) / 1000 if ms else 0.0
    return h * 3600 + minutes * 60 + s + frac


def format_timestamp(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
