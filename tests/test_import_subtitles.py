"""WebVTT and SubRip importers: speakers from voice tags and label prefixes, merging of
cues into turns, tags removed, encodings, errors, and the sample transcripts."""

from __future__ import annotations

import codecs
from itertools import pairwise

import pytest
from helpers import sample, samples

from qualcode.errors import InputError
from qualcode.importers import parse_bytes, parse_file
from qualcode.importers.vtt import split_label


def turns_of(doc):
    doc.validate()
    paragraphs = doc.text.split("\n\n")
    assert len(paragraphs) == len(doc.turns)
    for para, t in zip(paragraphs, doc.turns):
        utt = doc.text[t.start:t.end]
        assert para == (f"{t.speaker}: {utt}" if t.speaker else utt)
    return [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns]


# --------------------------------------------------------------------------------------
# WebVTT

VTT_VOICES = """WEBVTT - Entretien n°3

NOTE
Transcription corrigée à la main.

STYLE
::cue(v[voice="Enquêtrice"]) { color: yellow }

t01
00:03.480 --> 00:10.453
<v Enquêtrice>Bonjour, merci d'avoir accepté. Pour commencer,
est-ce que <i>vous</i> pouvez me dire…</v>

t02
00:11.319 --> 00:18.229 align:start position:10%
<v.loud Mme Benali>Oui, bonjour. Alors, euh, je suis <b>médiatrice</b></v>

00:18.404 --> 00:23.653
<v Mme Benali>au Louvre-Lens, <c.yellow>ça</c> fait <00:20.000>sept ans &amp; demi.</v>

NOTE entre deux cues

00:23.706 --> 00:30.434
sans balise de voix, c'est la suite.

59:58.000 --> 1:00:02.500
<v Enquêtrice>D'accord.</v>
<v Mme Benali>Voilà &lt;fin&gt;.</v>
"""


def test_vtt_voice_tags_hourless_notes_style_inline_tags():
    doc = parse_bytes(VTT_VOICES.encode("utf-8"), "e.vtt", "vtt")
    assert turns_of(doc) == [
        ("Enquêtrice", "Bonjour, merci d'avoir accepté. Pour commencer, est-ce que vous pouvez me dire…",
         3.48, 10.453),
        ("Mme Benali", "Oui, bonjour. Alors, euh, je suis médiatrice au Louvre-Lens, ça fait sept ans "
                       "& demi. sans balise de voix, c'est la suite.", 11.319, 30.434),
        ("Enquêtrice", "D'accord.", 3598.0, 3602.5),
        ("Mme Benali", "Voilà <fin>.", 3598.0, 3602.5),
    ]
    assert doc.encoding == "utf-8"
    assert doc.meta["cues"] == 5
    assert doc.meta["header"] == "Entretien n°3"
    assert doc.meta["notes"] == ["Transcription corrigée à la main.", "entre deux cues"]
    assert "::cue" not in doc.text and "t01" not in doc.text and "-->" not in doc.text


VTT_PREFIX = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Enquêtrice : Vous habitez Liévin depuis longtemps ?

2
00:00:04.500 --> 00:00:09.000
M. Caron : Depuis toujours. Mon père était à la fosse 3,

3
00:00:09.000 --> 00:00:12.000
enfin, la fosse 3 de Liévin.

4
00:00:12.000 --> 00:00:15.000
M. Caron : Et vous savez : c'était dur.

5
00:00:15.000 --> 00:00:16.000
Note : pas un locuteur.

6
00:00:16.000 --> 00:00:18.000
- Enquêtrice: Mhm.
- M. Caron: Voilà.
"""


def test_vtt_name_prefixes_merge_and_continuations():
    doc = parse_bytes(VTT_PREFIX.encode("utf-8"), "p.vtt", "vtt")
    assert turns_of(doc) == [
        ("Enquêtrice", "Vous habitez Liévin depuis longtemps ?", 1.0, 4.0),
        # same speaker cues merge; an unlabelled cue continues; "Note :" is not a speaker
        ("M. Caron", "Depuis toujours. Mon père était à la fosse 3, enfin, la fosse 3 de Liévin. "
                     "Et vous savez : c'était dur. Note : pas un locuteur.", 4.5, 16.0),
        ("Enquêtrice", "Mhm.", 16.0, 18.0),
        ("M. Caron", "Voilà.", 16.0, 18.0),
    ]


def test_vtt_without_speakers_is_one_turn_and_bom_and_crlf():
    src = "WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\npremière ligne\r\n\r\n00:02.000 --> 00:03.500\r\nseconde\r\n"
    doc = parse_bytes(codecs.BOM_UTF8 + src.encode("utf-8"), "b.vtt", "vtt")
    assert turns_of(doc) == [(None, "première ligne seconde", 1.0, 3.5)]
    assert doc.encoding == "utf-8-sig"


def test_vtt_cp1252():
    src = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Élodie>Le cœur… « oui » – déjà</v>\n"
    data = src.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    doc = parse_bytes(data, "c.vtt", "vtt")
    assert turns_of(doc) == [("Élodie", "Le cœur… « oui » – déjà", 1.0, 2.0)]
    assert doc.encoding == "cp1252"


def test_vtt_speaker_changes_back_and_forth_inside_voice_less_text():
    src = """WEBVTT

00:01.000 --> 00:02.000
<v A>un</v>

00:02.000 --> 00:03.000
<v B>deux</v>

00:03.000 --> 00:04.000
<v A>trois</v>

00:04.000 --> 00:05.000
<v A>quatre</v>
"""
    doc = parse_bytes(src.encode(), "x.vtt", "vtt")
    assert turns_of(doc) == [("A", "un", 1.0, 2.0), ("B", "deux", 2.0, 3.0),
                             ("A", "trois quatre", 3.0, 5.0)]


@pytest.mark.parametrize(
    "src, reason",
    [
        ("00:01.000 --> 00:02.000\nbonjour\n", "not a WebVTT file"),
        ("WEBVTT\n\nNOTE rien\n", "no cues found"),
        ("WEBVTT\n\n00:01.000 -> 00:02.000\nbonjour\n", "no cues found"),
        ("WEBVTT\n\n00:99.000 --> 00:02.000\nbonjour\n", r"no cues found \(malformed cue timings\?\)"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\n<i></i>\n", "no text in cues"),
        ("   \n\n", "empty file"),
    ],
)
def test_vtt_errors(src, reason):
    with pytest.raises(InputError, match=reason):
        parse_bytes(src.encode(), "bad.vtt", "vtt")


def test_vtt_binary_is_input_error():
    with pytest.raises(InputError, match="binary"):
        parse_bytes(bytes(range(256)) * 4, "bin.vtt", "vtt")


# --------------------------------------------------------------------------------------
# SubRip

SRT_PREFIX = """1
00:00:01,000 --> 00:00:04,000
Enquêtrice : <i>Vous êtes arrivée</i> quand ?

2
00:00:04,200 --> 00:00:08,000
JOSIANE : En 1975. <b>Mon mari</b>
<font color="#ffff00">était porion.</font>

3
00:00:08,000 --> 00:00:10,000
{\\an8}Il est mort en 1990.

4
00:00:10,500 --> 00:00:12,000
- Enquêtrice : Je suis désolée.
- JOSIANE : Merci.

5
00:00:12.000 --> 00:00:14.000
[Josiane] [rires] Bon, voilà.

6
00:00:14,000 --> 00:00:15,000
[Musique]
"""


def test_srt_prefixes_dash_upper_brackets_tags():
    doc = parse_bytes(SRT_PREFIX.encode("utf-8"), "s.srt", "srt")
    assert turns_of(doc) == [
        ("Enquêtrice", "Vous êtes arrivée quand ?", 1.0, 4.0),
        ("JOSIANE", "En 1975. Mon mari était porion. Il est mort en 1990.", 4.2, 10.0),
        ("Enquêtrice", "Je suis désolée.", 10.5, 12.0),
        # "[Josiane]" is the same label in another case: the same speaker, whose turn
        # goes on; "[rires]"/"[Musique]" are text
        ("JOSIANE", "Merci. [rires] Bon, voilà. [Musique]", 10.5, 15.0),
    ]
    assert doc.meta["cues"] == 6
    assert "<" not in doc.text and "{\\" not in doc.text


@pytest.mark.parametrize("encoding, bom, expected", [
    ("utf-8", b"", "utf-8"),
    ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
    ("cp1252", b"", "cp1252"),
])
def test_srt_encodings(encoding, bom, expected):
    src = ("1\r\n00:00:01,000 --> 00:00:02,500\r\nMme Lefèvre : L’œuvre « Germinal » – oui.\r\n\r\n"
           "2\r\n00:00:03,000 --> 00:00:04,000\r\nE : Et après ?\r\n")
    doc = parse_bytes(bom + src.encode(encoding), "e.srt", "srt")
    assert doc.encoding == expected
    assert turns_of(doc) == [("Mme Lefèvre", "L’œuvre « Germinal » – oui.", 1.0, 2.5),
                             ("E", "Et après ?", 3.0, 4.0)]


def test_srt_missing_final_blank_line_and_no_speakers():
    doc = parse_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nun\n\n2\n00:00:02,000 --> 00:00:03,000\ndeux",
                      "n.srt", "srt")
    assert turns_of(doc) == [(None, "un deux", 1.0, 3.0)]


@pytest.mark.parametrize(
    "src, reason",
    [
        ("bonjour, ceci n'est pas un srt\n", r"malformed SubRip block at line 1: \"bonjour, ceci n'est pas un srt\""),
        ("\n\n1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:04,000\nok\n\n"
         "3\n00:00:05,000 -> 00:00:06,000\nnon\n",
         r"malformed SubRip block at line 11: \"3 \| 00:00:05,000 -> 00:00:06,000\""),
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\nabc\n2\n00:00:xx,000 --> 00:00:03,000\nko\n",
         r"malformed SubRip timing at line 7: \"00:00:xx,000 --> 00:00:03,000\""),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nbonjour\n", "WebVTT file, not SubRip"),
        ("1\n00:00:01,000 --> 00:00:02,000\n<i> </i>\n", "no text in cues"),
    ],
)
def test_srt_errors(src, reason):
    with pytest.raises(InputError, match=reason) as info:
        parse_bytes(src.encode(), "bad.srt", "srt")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("line, expected", [
    ("Marie : oui", ("Marie", "oui")),
    ("- MARIE: oui", ("MARIE", "oui")),
    (">> Mme de Villiers : bien sûr", ("Mme de Villiers", "bien sûr")),
    ("SPEAKER_01: ok", ("SPEAKER_01", "ok")),
    ("enquêtrice : et alors ?", ("enquêtrice", "et alors ?")),
    ("[Marie] oui", ("Marie", "oui")),
    ("[rires] oui", None),
    ("[Musique]", None),
    ("Il m'a dit : viens", None),
    ("Bon, voilà : c'était dur", None),
    ("Note : rien", None),
    ("https://example.org", None),
    ("Rendez-vous à 10:30", None),
])
def test_split_label(line, expected):
    assert split_label(line) == expected


# --------------------------------------------------------------------------------------
# Sample transcripts


@pytest.mark.parametrize("path", samples("*.vtt") + samples("*.srt"), ids=lambda p: p.name)
def test_sample_subtitle_files(path):
    doc = parse_file(path)
    turns = turns_of(doc)
    assert len(doc.speakers()) >= 2, doc.speakers()
    assert all(t0 is not None and t1 is not None and t0 <= t1 for _, _, t0, t1 in turns)
    starts = [t0 for _, _, t0, _ in turns]
    assert starts == sorted(starts)
    assert "<v" not in doc.text and "-->" not in doc.text
    # consecutive turns have different speakers (same-speaker cues were merged)
    assert all(a[0] != b[0] for a, b in pairwise(turns))


def test_sample_entretien_03_voice_tags():
    doc = parse_file(sample("entretien_03*.vtt"))
    turns = turns_of(doc)
    assert doc.speakers() == ["Enquêtrice", "Mme Benali"]
    assert turns[0][0] == "Enquêtrice"
    assert turns[0][1].startswith("Bonjour, merci d'avoir accepté.")
    assert turns[0][2] == 3.48


@pytest.mark.parametrize("pattern", ["entretien_05*.srt", "entretien_09*.vtt"])
def test_sample_prefixed_subtitles(pattern):
    path = sample(pattern)
    raw = path.read_bytes()
    doc = parse_file(path)
    turns_of(doc)
    for speaker in doc.speakers():
        assert speaker.encode(doc.encoding.replace("-sig", "")) in raw
    # the labels are not left inside the utterances
    for t in doc.turns:
        assert not doc.text[t.start:t.end].startswith(f"{t.speaker}:")


# --------------------------------------------------------------------------------------
# Property: whatever the cues, turns are the expected merge and offsets are exact

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORD = st.text(alphabet="abcdeéèàçœ’'«»…&<>ABCÉ0123456789,.?!", min_size=1, max_size=8)
_CUES = st.lists(
    st.tuples(st.sampled_from([None, "Marie", "M. Caron", "Enquêtrice"]),
              st.lists(_WORD, min_size=1, max_size=6)),
    min_size=1, max_size=12,
)


def _expected_merge(cues):
    """Cues 1 s apart, each 0.9 s long (a 0.1 s gap): with a speaker somewhere, consecutive
    cues of one speaker (or of none) form a turn; with none at all, a cue is its own turn
    unless it does not end a sentence, then the next one continues it (the documented
    rule for subtitles without speakers; blocks stay far under 30 s here)."""
    out: list[list] = []
    if all(speaker is None for speaker, _ in cues):
        for _, words in cues:
            text = " ".join(words)
            if out and not out[-1][1][-1].rstrip().endswith((".", "!", "?", "…", "»", '"', "”", ")", "]")):
                out[-1][1].append(text)
            else:
                out.append([None, [text]])
        return [(s, " ".join(t)) for s, t in out]
    for speaker, words in cues:
        text = " ".join(words)
        if out and (speaker is None or speaker == out[-1][0]):
            out[-1][1].append(text)
        else:
            out.append([speaker, [text]])
    return [(s, " ".join(t)) for s, t in out]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=60, deadline=None)
@given(_CUES)
def test_vtt_property_voice_tags(cues):
    blocks = ["WEBVTT", ""]
    for i, (speaker, words) in enumerate(cues):
        body = _esc(" ".join(words))
        blocks += [f"00:{i:02d}.000 --> 00:{i:02d}.900",
                   f"<v {speaker}>{body}</v>" if speaker else body, ""]
    doc = parse_bytes("\n".join(blocks).encode(), "h.vtt", "vtt")
    assert [(s, u) for s, u, _, _ in turns_of(doc)] == _expected_merge(cues)


_SRT_CUES = st.lists(
    st.tuples(st.sampled_from([None, "Marie", "M. Caron", "Enquêtrice"]),
              st.lists(st.text(alphabet="abcdeéèàçœ’'«»…&ABCÉ0123456789,.?!", min_size=1, max_size=8),
                       min_size=1, max_size=6)),
    min_size=1, max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(_SRT_CUES)
def test_srt_property_name_prefixes(cues):
    blocks = []
    for i, (speaker, words) in enumerate(cues, 1):
        body = " ".join(words)
        blocks += [str(i), f"00:00:{i:02d},000 --> 00:00:{i:02d},900",
                   f"{speaker}: {body}" if speaker else body, ""]
    doc = parse_bytes("\n".join(blocks).encode(), "h.srt", "srt")
    assert [(s, u) for s, u, _, _ in turns_of(doc)] == _expected_merge(cues)


def test_srt_entities_and_angle_brackets_kept_as_text():
    src = "1\n00:00:01,000 --> 00:00:02,000\nE : R&D &amp; co, a < b > c, &copy; <b>gras</b>\n"
    doc = parse_bytes(src.encode(), "e.srt", "srt")
    assert [(s, u) for s, u, _, _ in turns_of(doc)] == [("E", "R&D & co, a < b > c, &copy; gras")]
