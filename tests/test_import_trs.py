"""Transcriber (.trs) importer: encodings, speakers, Sync/Event/Comment, overlaps, errors,
and the real Kallaama file (CC BY 4.0, see tests/data/realworld/README.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import sample, samples

from qualcode.errors import InputError
from qualcode.importers import parse_bytes, parse_file
from qualcode.importers.base import ImportOptions
from qualcode.importers.trs import parse as trs_parse

DATA = Path(__file__).resolve().parent / "data" / "realworld"
REAL = DATA / "kallaama_wol_4111.trs"


def utterances(doc):
    return [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns]


def check_layout(doc):
    """compose() layout: one 'Speaker: utterance' paragraph per turn, blank-line separated."""
    doc.validate()
    paragraphs = doc.text.split("\n\n")
    assert len(paragraphs) == len(doc.turns)
    for para, t in zip(paragraphs, doc.turns):
        utt = doc.text[t.start:t.end]
        assert para == (f"{t.speaker}: {utt}" if t.speaker else utt)


TRS_LATIN1 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE Trans SYSTEM "trans-14.dtd">
<Trans scribe="Léa" audio_filename="entretien_béthune" version="3" version_date="240321" xml:lang="fr">
<Speakers>
<Speaker id="spk1" name="Enquêtrice" check="no" type="female" dialect="native" accent="" scope="local"/>
<Speaker id="spk2" name="Mme Lefèvre" check="no" type="female" dialect="nonnative" accent="picard" scope="local"/>
<Speaker id="spk3" name="" check="no" type="male" dialect="native" accent="" scope="local"/>
</Speakers>
<Episode>
<Section type="report" startTime="0" endTime="30">
<Turn startTime="0" endTime="1.5">
<Sync time="0"/>
</Turn>
<Turn speaker="spk1" startTime="1.5" endTime="6">
<Sync time="1.5"/>
Vous êtes née à Béthune ?
</Turn>
<Turn speaker="spk2" startTime="6" endTime="15.25">
<Sync time="6"/>
Oui, en   1962, à la cité <Event desc="rires" type="noise" extent="instantaneous"/> des
  Provinces.
<Sync time="10.5"/>
Mon père était mineur <Comment desc="nom de la fosse anonymisé"/> à la fosse
<Event desc="bb" type="noise" extent="begin"/>numéro dix<Event desc="bb" type="noise" extent="end"/>.
<Event desc="fra" type="language" extent="instantaneous"/>
</Turn>
<Turn speaker="spk1 spk2" startTime="15.25" endTime="17">
<Sync time="15.25"/>
<Who nb="1"/>
D'accord.
<Who nb="2"/>
Voilà, c'était dur.
</Turn>
<Turn speaker="spk2" startTime="17" endTime="18">
<Sync time="17"/>
<Event desc="rires" type="noise" extent="instantaneous"/>
</Turn>
<Turn speaker="spk3" startTime="18" endTime="20">
<Sync time="18"/>
Bonjour à tous.
</Turn>
<Turn startTime="20" endTime="22">
<Sync time="20"/>
(voix off) fin de l'enregistrement
</Turn>
</Section>
</Episode>
</Trans>
"""


def test_latin1_declaration_accents_events_comments_overlap():
    data = TRS_LATIN1.encode("iso-8859-1")
    assert "é".encode("iso-8859-1") in data and "é".encode() not in data
    doc = parse_bytes(data, "e.trs", "trs")
    check_layout(doc)
    assert doc.encoding == "iso-8859-1"
    assert utterances(doc) == [
        ("Enquêtrice", "Vous êtes née à Béthune ?"),
        # Sync does not split the turn; instantaneous noise -> [desc]; Comment -> {desc};
        # begin/end noise and language events dropped; whitespace collapsed.
        ("Mme Lefèvre", "Oui, en 1962, à la cité [rires] des Provinces. Mon père était mineur "
                        "{nom de la fosse anonymisé} à la fosse numéro dix ."),
        # Overlap: one turn per <Who>, same times.
        ("Enquêtrice", "D'accord."),
        ("Mme Lefèvre", "Voilà, c'était dur."),
        # The noise-only turn is skipped; empty name falls back to the id.
        ("spk3", "Bonjour à tous."),
        # No speaker attribute but words: a turn with speaker None.
        (None, "(voix off) fin de l'enregistrement"),
    ]
    times = [(t.time_start, t.time_end) for t in doc.turns]
    assert times == [(1.5, 6.0), (6.0, 15.25), (15.25, 17.0), (15.25, 17.0), (18.0, 20.0),
                     (20.0, 22.0)]
    assert [d["overlap"] for d in doc.meta["turns"]] == [False, False, True, True, False, False]
    assert [d["speaker_id"] for d in doc.meta["turns"]] == ["spk1", "spk2", "spk1", "spk2", "spk3", None]
    # Sync times with the offset of the text that follows them.
    syncs = doc.meta["turns"][1]["syncs"]
    assert [t for t, _ in syncs] == [6.0, 10.5]
    assert doc.text[syncs[0][1]:].startswith("Oui, en 1962")
    assert doc.text[syncs[1][1]:].startswith("Mon père était mineur")
    assert doc.meta["speakers"]["spk2"] == {
        "name": "Mme Lefèvre", "check": "no", "type": "female", "dialect": "nonnative",
        "accent": "picard", "scope": "local",
    }
    assert doc.meta["speakers"]["spk3"]["type"] == "male"
    assert doc.meta["audio_filename"] == "entretien_béthune"
    assert doc.meta["scribe"] == "Léa"
    assert doc.meta["language"] == "fr"
    assert doc.meta["turn_elements"] == 7
    assert doc.meta["sections"] == [{"type": "report", "start": 0.0, "end": 30.0,
                                     "first_turn": 0, "end_turn": 6}]


def test_utf8_single_quoted_declaration():
    data = TRS_LATIN1.replace('<?xml version="1.0" encoding="ISO-8859-1"?>',
                              "<?xml version='1.0' encoding='UTF-8'?>").encode("utf-8")
    doc = parse_bytes(data, "e.trs", "trs")
    check_layout(doc)
    assert doc.encoding == "utf-8"
    latin = parse_bytes(TRS_LATIN1.encode("iso-8859-1"), "e.trs", "trs")
    assert doc.text == latin.text


def test_windows_1252_declaration_with_oe_and_quotes():
    src = """<?xml version="1.0" encoding="windows-1252"?>
<Trans><Speakers><Speaker id="s1" name="Élodie"/></Speakers><Episode><Section type="report" startTime="0" endTime="3">
<Turn speaker="s1" startTime="0" endTime="3"><Sync time="0"/>Le cœur du bassin – « les terrils ».</Turn>
</Section></Episode></Trans>"""
    doc = parse_bytes(src.encode("cp1252"), "w.trs", "trs")
    assert utterances(doc) == [("Élodie", "Le cœur du bassin – « les terrils ».")]


@pytest.mark.parametrize("decl", ["", '<?xml version="1.0" encoding="UTF-8"?>\n'])
def test_latin1_bytes_read_as_utf8_fall_back_to_cp1252(decl):
    src = decl + """<Trans><Episode><Section type="report" startTime="0" endTime="3">
<Turn speaker="x" startTime="0" endTime="3"><Sync time="0"/>déjà vu</Turn>
</Section></Episode></Trans>"""
    doc = parse_bytes(src.encode("latin-1"), "n.trs", "trs")
    assert utterances(doc) == [("x", "déjà vu")]
    assert doc.encoding == "cp1252" and "encoding_note" in doc.meta


def test_overlap_with_several_syncs_uses_sync_intervals():
    src = """<?xml version="1.0" encoding="UTF-8"?>
<Trans><Speakers><Speaker id="a" name="A"/><Speaker id="b" name="B"/></Speakers>
<Episode><Section type="report" startTime="0" endTime="10">
<Turn speaker="a b" startTime="0" endTime="10">
<Sync time="0"/><Who nb="1"/> un <Who nb="2"/> deux
<Sync time="4"/><Who nb="1"/> trois <Who nb="2"/>
<Sync time="7"/><Who nb="1"/><Event desc="rires" type="noise" extent="instantaneous"/><Who nb="2"/> quatre
</Turn></Section></Episode></Trans>"""
    doc = parse_bytes(src.encode(), "o.trs", "trs")
    check_layout(doc)
    got = [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns]
    assert got == [("A", "un", 0.0, 4.0), ("B", "deux", 0.0, 4.0), ("A", "trois", 4.0, 7.0),
                   ("B", "quatre", 7.0, 10.0)]  # empty and noise-only <Who> segments skipped



def test_overlap_written_one_element_per_line_ends_at_the_next_sync():
    """Transcriber writes each <Sync/> and <Who/> on its own line: the line break after a
    <Sync/> must not stretch the segment before it to the end of the <Turn>."""
    src = """<?xml version="1.0" encoding="UTF-8"?>
<Trans><Speakers><Speaker id="a" name="Marie"/><Speaker id="b" name="Paul"/></Speakers>
<Episode><Section type="report" startTime="0" endTime="30">
<Turn speaker="a b" startTime="5" endTime="20">
<Sync time="5"/>
<Who nb="1"/>
Et votre frère ?
<Who nb="2"/>
Oui, à la fosse 9.
<Sync time="12"/>
<Who nb="1"/>
Il est resté longtemps ?
<Who nb="2"/>
Non.
</Turn>
</Section></Episode></Trans>"""
    doc = parse_bytes(src.encode(), "o.trs", "trs")
    check_layout(doc)
    got = [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns]
    assert got == [("Marie", "Et votre frère ?", 5.0, 12.0), ("Paul", "Oui, à la fosse 9.", 5.0, 12.0),
                   ("Marie", "Il est resté longtemps ?", 12.0, 20.0), ("Paul", "Non.", 12.0, 20.0)]

@pytest.mark.parametrize(
    "src, reason",
    [
        ("<?xml version='1.0'?>\n<Trans>\n<Episode>\n<Section>\n<Turn speaker='a'>oui</Section>\n</Trans>",
         r"malformed XML at line 5: mismatched tag"),
        ("<?xml version='1.0'?>\n<Trans>\n<Turn>&bogus;</Turn>\n</Trans>",
         r"malformed XML at line 3: undefined entity"),
        ("", r"empty file"),
        ("<Trans><Episode></Episode></Trans>", r"no <Turn> elements found"),
        ("<Trans><Episode><Section><Turn speaker='a'><Sync time='0'/>  </Turn></Section></Episode></Trans>",
         r"no transcribed speech found"),
        ("<Transcript><Turn>oui</Turn></Transcript>", r"not a Transcriber file \(root element <Transcript>"),
        ("just some text, not XML", r"malformed XML at line 1: syntax error"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<Trans><Turn>caf\xe9',
         r"malformed XML at line 2: no element found"),
    ],
)
def test_malformed_input_raises_input_error(src, reason):
    data = src.encode("latin-1")
    with pytest.raises(InputError, match=reason) as info:
        parse_bytes(data, "bad.trs", "trs")
    assert str(info.value).startswith("bad.trs: ")
    assert "\n" not in str(info.value)


def test_entities_and_external_references_are_refused():
    bomb = """<?xml version="1.0"?>
<!DOCTYPE Trans [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
<Trans><Episode><Section><Turn speaker="x">&b;</Turn></Section></Episode></Trans>"""
    with pytest.raises(InputError, match="refused XML"):
        trs_parse(bomb.encode(), "bomb.trs", ImportOptions())
    xxe = """<?xml version="1.0"?>
<!DOCTYPE Trans [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Trans><Episode><Section><Turn speaker="x">&x;</Turn></Section></Episode></Trans>"""
    with pytest.raises(InputError, match="refused XML"):
        trs_parse(xxe.encode(), "xxe.trs", ImportOptions())


def test_doctype_is_not_fetched(tmp_path):
    """A DOCTYPE is allowed but its DTD is never read: a default attribute declared in
    it would otherwise give the speaker-less turn a speaker."""
    dtd = tmp_path / "trans-14.dtd"
    dtd.write_text('<!ATTLIST Turn speaker CDATA "spkEvil">\n<!ENTITY x "injected">\n')
    src = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Trans SYSTEM "{dtd.as_uri()}">
<Trans><Episode><Section type="report" startTime="0" endTime="2">
<Turn startTime="0" endTime="2"><Sync time="0"/>sans locuteur</Turn>
</Section></Episode></Trans>"""
    doc = trs_parse(src.encode(), "d.trs", ImportOptions())
    assert utterances(doc) == [(None, "sans locuteur")]
    # The real Transcriber DOCTYPE (relative "trans-14.dtd", absent) is fine too.
    assert trs_parse(TRS_LATIN1.encode("iso-8859-1"), "e.trs", ImportOptions()).turns


# --------------------------------------------------------------------------------------
# The real file


def _independent_expectations(path: Path):
    """Counts computed straight from the XML, without the importer."""
    import defusedxml.ElementTree as DET

    root = DET.parse(str(path), forbid_dtd=False).getroot()
    names = {s.get("id"): s.get("name") for s in root.iter("Speaker")}
    n_segments = 0
    for turn in root.iter("Turn"):
        ids = turn.get("speaker", "").split()
        if len(ids) <= 1:
            n_segments += 1  # every single-speaker turn of this file has words
            continue
        # words between consecutive <Who> markers (events are empty elements)
        seg_words = []
        for el in turn:
            if el.tag == "Who":
                seg_words.append(bool((el.tail or "").strip()))
            elif seg_words and (el.tail or "").strip():
                seg_words[-1] = True
        n_segments += sum(seg_words)
    return names, len(list(root.iter("Turn"))), n_segments


def test_real_kallaama_file():
    doc = parse_file(REAL)
    check_layout(doc)
    names, n_turn_elements, n_segments = _independent_expectations(REAL)
    assert n_turn_elements == 299
    assert doc.meta["turn_elements"] == 299
    assert len(doc.meta["speakers"]) == 3
    assert set(doc.speakers()) == {"locuteur 1", "locuteur 2", "locuteur 3"} == set(names.values())
    assert doc.meta["speakers"]["spk1"]["type"] == "female"
    assert doc.meta["speakers"]["spk2"]["accent"] == "wolof"
    assert doc.meta["audio_filename"] == "wol_4111"
    assert doc.encoding == "utf-8"
    assert len(doc.turns) == n_segments == 327
    assert sum(d["overlap"] for d in doc.meta["turns"]) == 52

    first = doc.text[doc.turns[0].start:doc.turns[0].end]
    assert first.startswith("[r] asaalaamaalekum mbokki auditeurs :fra auditrice :fra su 93 point")
    assert doc.turns[0].speaker == "locuteur 1"
    assert (doc.turns[0].time_start, doc.turns[0].time_end) == (0.0, 92.933)
    # Sync times inside the first turn point at the text that follows them.
    sync = dict(doc.meta["turns"][0]["syncs"])
    assert doc.text[sync[20.947]:].startswith("tay nag dikkaat nañ si suñuy émission :fra")

    # The overlap at 181.092: spk3 "%hum" while spk1 speaks, same times.
    i = next(k for k, t in enumerate(doc.turns) if t.time_start == 181.092)
    a, b = doc.turns[i], doc.turns[i + 1]
    assert (a.speaker, doc.text[a.start:a.end]) == ("locuteur 3", "%hum")
    assert b.speaker == "locuteur 1"
    assert doc.text[b.start:b.end].startswith("di la remercier :fra %e ci li nga xamante")
    assert (a.time_start, a.time_end) == (b.time_start, b.time_end) == (181.092, 186.694)

    # A three-sync overlap: each <Who> segment gets its sync interval.
    seg = next(t for t in doc.turns if doc.text[t.start:t.end] == "protéger :fra")
    assert (seg.speaker, seg.time_start, seg.time_end) == ("locuteur 3", 2107.313, 2107.959)

    assert "ci li nga xamante ne mooy acceptation :fra invitation :fra bi" in doc.text
    last = doc.turns[-1]
    assert doc.text[last.start:last.end].endswith("bu ñu ko bàyyiwul xel xëy na mu")
    # No markup left in the text.
    assert "<" not in doc.text and "Sync" not in doc.text



def _overlap_segments_by_regex(raw: str) -> list[tuple[str, float, float]]:
    """(first words, start, end) of every <Who> segment with words in the file, read line
    by line with regexes (not with qualcode): a segment runs from the last <Sync> before
    it to the next <Sync> after its words, or to the end of its <Turn>."""
    out = []
    for m in re.finditer(r'<Turn speaker="[^" ]+ [^" ]+"[^>]*endTime="([\d.]+)"[^>]*>(.*?)</Turn>', raw, re.S):
        turn_end = float(m.group(1))
        sync = None
        open_segs: list[list] = []  # segments waiting for their end time
        new_segment = False
        seg: list = []
        for line in m.group(2).split("\n"):
            line = line.strip()
            s = re.fullmatch(r'<Sync time="([\d.]+)"/>', line)
            if s:
                for seg in open_segs:
                    seg[2] = float(s.group(1))
                open_segs = []
                sync = float(s.group(1))
            elif line.startswith("<Who"):
                new_segment = True
            elif line and not line.startswith("<"):
                if new_segment:  # the first words after a <Who/>
                    seg = [line.split()[0], sync, turn_end]
                    out.append(seg)
                    new_segment = False
                open_segs[:] = [x for x in open_segs if x is not seg] + [seg]
    return [tuple(x) for x in out]


def test_real_overlap_segments_keep_their_own_sync_times():
    expected = _overlap_segments_by_regex(REAL.read_text(encoding="utf-8"))
    assert len(expected) == 52
    doc = parse_file(REAL)
    got = [(doc.text[t.start:t.end].split()[0], t.time_start, t.time_end)
           for t, d in zip(doc.turns, doc.meta["turns"]) if d["overlap"]]
    assert got == expected
    # e.g. locuteur 2's long answer under locuteur 3's "régulièrement" ends at the
    # <Sync time="2107.313"/> that follows it, not at the next sync or the turn's end
    jere = next(t for t in doc.turns if doc.text[t.start:t.end].startswith("jërëjëf bu ko defee"))
    assert (jere.time_start, jere.time_end) == (2096.706, 2107.313)

def test_real_file_every_turn_is_its_paragraph():
    doc = parse_file(REAL)
    # the source's words with the markup taken out
    raw = re.sub(r"<[^>]*>", " ", REAL.read_text(encoding="utf-8"))
    for t in doc.turns:
        utt = doc.text[t.start:t.end]
        assert utt == utt.strip() and "  " not in utt and "\n" not in utt
        # the utterance's words (event markers aside) are in the source, in order
        words = [w for w in utt.split() if not re.fullmatch(r"\[[^\]]*\]", w)]
        assert words, utt
        assert re.search(r"\s+".join(map(re.escape, words)), raw), utt[:60]


# --------------------------------------------------------------------------------------
# Sample transcripts


@pytest.mark.parametrize("path", samples("*.trs"), ids=lambda p: p.name)
def test_sample_trs_files(path):
    doc = parse_file(path)
    check_layout(doc)
    assert len(doc.speakers()) >= 2
    assert doc.meta["speakers"]


def test_sample_entretien_04():
    path = sample("entretien_04*.trs")
    data = path.read_bytes()
    doc = parse_file(path)
    check_layout(doc)
    # declared ISO-8859-1, with overlapping speech (<Who> inside a turn)
    assert b"ISO-8859-1" in data[:100].upper() and doc.encoding == "iso-8859-1"
    assert b"<Who" in data and any(d["overlap"] for d in doc.meta["turns"])


# --------------------------------------------------------------------------------------
# Property: random Transcriber files give the expected turns with exact offsets

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.lists(st.text(alphabet="abcéèàçœ’'«»&<>\"ABÉ019,.?!%:", min_size=1, max_size=8),
                  min_size=0, max_size=5)
_TURNS = st.lists(
    st.tuples(st.sampled_from(["spk1", "spk2", "spk1 spk2", ""]),
              st.lists(st.tuples(_WORDS, st.sampled_from(["", "sync", "rires", "comment"])),
                       min_size=1, max_size=4)),
    min_size=1, max_size=8,
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=60, deadline=None)
@given(_TURNS)
def test_trs_property(turns):
    names = {"spk1": "Enquêtrice", "spk2": "Mme Lefèvre"}
    body, expected = [], []
    t = 0.0
    for speaker, chunks in turns:
        ids = speaker.split()
        attr = f' speaker="{speaker}"' if speaker else ""
        body.append(f'<Turn{attr} startTime="{t}" endTime="{t + 1}"><Sync time="{t}"/>')
        segs: list[list] = []  # [speaker id, tokens, has words]
        if len(ids) <= 1:
            segs.append([ids[0] if ids else None, [], False])
        for k, (words, extra) in enumerate(chunks):
            if len(ids) > 1:
                nb = k % 2 + 1
                body.append(f'<Who nb="{nb}"/>')
                segs.append([ids[nb - 1], [], False])
            body.append(" " + _xml_escape(" ".join(words)) + " ")
            segs[-1][1].extend(words)
            segs[-1][2] |= bool(words)
            if extra == "sync":
                body.append(f'<Sync time="{t + 0.5}"/>')
            elif extra == "rires":
                body.append('<Event desc="rires" type="noise" extent="instantaneous"/>')
                segs[-1][1].append("[rires]")
            elif extra == "comment":
                body.append('<Comment desc="note &amp; co"/>')
                segs[-1][1].extend(["{note", "&", "co}"])
        body.append("</Turn>")
        for sid, tokens, has_words in segs:
            if has_words:
                expected.append((names.get(sid) if sid else None, " ".join(tokens)))
        t += 1
    xml = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<Trans><Speakers>'
           '<Speaker id="spk1" name="Enquêtrice"/><Speaker id="spk2" name="Mme Lefèvre"/></Speakers>'
           '<Episode><Section type="report" startTime="0" endTime="99">'
           + "\n".join(body) + "</Section></Episode></Trans>")
    data = xml.encode("iso-8859-1", errors="xmlcharrefreplace")  # œ, ’ as &#339;, &#8217;
    if not expected:
        with pytest.raises(InputError, match="no transcribed speech"):
            parse_bytes(data, "p.trs", "trs")
        return
    doc = parse_bytes(data, "p.trs", "trs")
    check_layout(doc)
    assert utterances(doc) == expected
