"""Speaker labels as people write them (issue 12): names with parentheses, dashes, dots,
apostrophes, accents and digits, Zoom-style ``Name (Role):`` in txt and WebVTT cues,
labels in another case, near-misspelt labels reported, ``--label-pattern``; and what must
stay text (a sentence with a colon)."""

from __future__ import annotations

import json

import pytest
from helpers import write

from qualcode.importers import ImportOptions, parse_bytes
from qualcode.importers.speakers import default_role, looks_like_label, split_qualifier
from qualcode.importers.split import compile_split_pattern, split_text
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
    "Jane Doe (she/her)", "Marie (elle/la)", "iPhone de Marie", "iPad",
])
def test_label_shapes_accepted(label):
    assert looks_like_label(label)


@pytest.mark.parametrize("label", [
    "Il dit - bon", "Alors (bon)", "Note (importante)", "Bon, voilà", "Il m'a dit",
    "Jane Doe (she said, laughing, that it was fine)", "Marie (1)", "Marie (rires)", "Paul (inaudible)",
    "Marie - en riant", "il", "alors", "eh bien",
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


def test_zoom_vtt_with_pronouns_and_a_device_name():
    """Zoom shows pronouns after the name and, for a participant who did not rename
    themselves, the device ("iPhone de Marie"): each is a speaker of its own, so Marie's
    words do not go to the previous speaker."""
    doc = imp(vtt(("00:00:01.000", "00:00:04.000", "Jane Doe (she/her): Bonjour à toutes et à tous."),
                  ("00:00:05.000", "00:00:09.000", "iPhone de Marie: Merci, je vous entends bien."),
                  ("00:00:10.000", "00:00:14.000", "Jane Doe (she/her): Parfait."),
                  ("00:00:26.000", "00:00:30.000", "Prof. Smith (UCL): Hello everyone."),
                  ("00:00:31.000", "00:00:35.000", "iPhone de Marie: Je reprends la parole.")), "vtt")
    assert [(t.speaker, doc.text[t.start:t.end], t.time_start) for t in doc.turns] == [
        ("Jane Doe (she/her)", "Bonjour à toutes et à tous.", 1.0),
        ("iPhone de Marie", "Merci, je vous entends bien.", 5.0),
        ("Jane Doe (she/her)", "Parfait.", 10.0),
        ("Prof. Smith (UCL)", "Hello everyone.", 26.0),
        ("iPhone de Marie", "Je reprends la parole.", 31.0)]
    txt = imp("Jane Doe (she/her) : Bonjour.\niPhone de Marie : Merci.\nJane Doe (she/her) : Parfait.\n"
              "iPhone de Marie : Oui.\n")
    assert [s for s, _ in utterances(txt)] == ["Jane Doe (she/her)", "iPhone de Marie"] * 2


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
    # a turn of its own (its words are not Marie's), not silently the same speaker, and said where
    assert utterances(doc) == [("Interviewer2", "Bonjour."), ("Marie", "Oui ?"),
                               ("Interviewer2 2", "Je disais bonjour."), ("Marie", "D'accord."),
                               ("Interviewer2", "Bien.")]
    assert doc.warnings == ["entretien.txt:3: 'Interviewer2 2' looks like the speaker label 'Interviewer2' "
                            "(did you mean 'Interviewer2'?); imported as a speaker of its own (join them with: "
                            "qualcode speakers DOCUMENT --merge 'Interviewer2 2=Interviewer2')"]
    # with the role of the interviewer it resembles
    assert doc.interviewer_hints == {"Interviewer2 2"}


def test_near_duplicate_of_a_participant_keeps_the_default_role():
    doc = imp("E: Bonjour.\nMarie Dubois: Oui ?\nE: Et alors ?\nMarie Duboi: Je disais bonjour.\n"
              "E: Bien.\nMarie Dubois: Voilà.\n")
    assert [s for s, _ in utterances(doc)] == ["E", "Marie Dubois", "E", "Marie Duboi", "E", "Marie Dubois"]
    assert doc.interviewer_hints == set()
    assert len(doc.warnings) == 1 and doc.warnings[0].startswith("entretien.txt:4: 'Marie Duboi' looks like")


def test_near_duplicate_label_through_the_cli_is_an_interviewer_turn(cli, project, tmp_path):
    f = write(tmp_path / "i2.txt", "Interviewer2: Bonjour.\nP1: Bonjour.\nInterviewer2: Vous êtes d'ici ?\n"
                                   "P1: Oui.\nInterviewer2 2: Et vos parents ?\nP1: Aussi.\nInterviewer2: Merci.\n")
    res = cli("import", f)
    assert res.exit_code == 0, res.output
    assert "Interviewer2 (interviewer), P1 (participant), Interviewer2 2 (interviewer)" in res.stdout
    assert ("i2.txt:5: 'Interviewer2 2' looks like the speaker label 'Interviewer2' (did you mean "
            "'Interviewer2'?); imported as a speaker of its own (join them with: qualcode speakers i2 --merge "
            "'Interviewer2 2=Interviewer2')") in " ".join(res.stderr.split())
    shown = json.loads(cli("show", "i2", "--json").stdout)["turns"]
    assert [(t["speaker"], t["role"], t["text"]) for t in shown][4] == ("Interviewer2 2", "interviewer",
                                                                        "Et vos parents ?")
    res = cli("speakers", "i2", "--merge", "Interviewer2 2=Interviewer2")
    assert res.exit_code == 0, res.output
    shown = json.loads(cli("show", "i2", "--json").stdout)["turns"]
    assert [t["speaker"] for t in shown] == ["Interviewer2", "P1"] * 3 + ["Interviewer2"]


def test_near_duplicate_speaker_used_twice_is_imported_and_warned():
    doc = imp("Enquêtrice: a\nMarie: b\nEnquetrce: c\nMarie: d\nEnquêtrice: e\nMarie: f\n"
              "Enquetrce: g\nEnquêtrice: h\n")
    assert "Enquetrce" in doc.speakers()
    assert any(w.startswith("entretien.txt:3: speaker 'Enquetrce'") and "'Enquêtrice'" in w
               for w in doc.warnings)


def test_interviewer_and_interviewee_are_not_misspellings_of_each_other():
    doc = imp("Interviewer1: a\nInterviewee: b\nInterviewer1: c\nInterviewee: d\nInterviewer 1: e\n")
    assert doc.warnings == []
    # "Interviewer 1" is "Interviewer1" written with a space: the same speaker
    assert [s for s, _ in utterances(doc)] == ["Interviewer1", "Interviewee", "Interviewer1", "Interviewee",
                                               "Interviewer1"]


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


def test_label_pattern_and_split_on_usage_errors_name_the_option(cli, project, tmp_path):
    f = write(tmp_path / "e.txt", "E: a\nMarie: b\nE: c\nMarie: d\n")
    res = cli("import", f, "--split-on", "(")
    assert res.exit_code == 2 and "--split-on" in res.output
    res = cli("import", f, "--label-pattern", "<(\\w)>")
    assert res.exit_code == 2 and "--label-pattern" in res.output and "(?P<label>" in res.output
    assert project.store.documents.all() == []


# ------------------------------------------------------------------ after-import summary

def test_summary_and_no_interviewer_warning_with_the_fix(cli, project, tmp_path):
    f = write(tmp_path / "zoom.txt", "Jane Doe (SL): Hello.\nBob Lee: hi\nJane Doe (SL): Ok.\nBob Lee: bye\n")
    res = cli("import", f)
    assert res.exit_code == 0, res.output
    assert "as zoom: 4 turns; Jane Doe (SL) (participant), Bob Lee (participant)" in res.stdout
    assert "no interviewer found among Jane Doe (SL), Bob Lee" in res.stderr
    assert "qualcode speakers zoom --set 'Jane Doe (SL)=interviewer'" in res.stderr
    # the fix it names works
    assert cli("speakers", "zoom", "--set", "Jane Doe (SL)=interviewer").exit_code == 0
    roles = {s.label: s.role for s in project.store.documents.speakers(project.store.documents.by_name("zoom").id)}
    assert roles == {"Jane Doe (SL)": "interviewer", "Bob Lee": "participant"}


def test_interviewer_option_with_parentheses_through_the_cli(cli, project, tmp_path):
    f = write(tmp_path / "zoom.txt", "Jane Doe (SL): Hello.\nBob Lee: hi\nJane Doe (SL): Ok.\nBob Lee: bye\n")
    res = cli("import", f, "--interviewer", "Jane Doe (SL)")
    assert res.exit_code == 0, res.output
    assert "Jane Doe (SL) (interviewer), Bob Lee (participant)" in res.stdout
    assert "no interviewer" not in res.stderr


def test_transcriber_file_without_a_named_interviewer_is_warned(cli, project, tmp_path):
    f = tmp_path / "t.trs"
    f.write_bytes(TRS_OVERLAP)
    res = cli("import", f)
    assert res.exit_code == 0, res.output
    assert "no interviewer found among Marie, Paul" in res.stderr
    assert "qualcode speakers t --set Marie=interviewer" in res.stderr


def test_near_duplicate_warning_reaches_the_terminal(cli, project, tmp_path):
    f = write(tmp_path / "e.txt", "Interviewer2: a\nMarie: b\nInterviewer2 2: c\nMarie: d\nInterviewer2: e\n")
    res = cli("import", f)
    assert res.exit_code == 0
    assert f"{f}:3: 'Interviewer2 2' looks like the speaker label 'Interviewer2'" in res.stderr


# ------------------------------------------------------------------------------ --split-on

CORPUS = ("Corpus ASPE-ROME, transcriptions 2021\n"
          "<TXT=aspe1>\nE: Bonjour.\nMarie: Oui.\nE: Et alors ?\n"
          "<TXT=aspe2>\nE: Suite.\nMarie: Fin.\n"
          "<TXT=rome1>\nEnquêtrice : Salut.\nPaul Dupont : Ah.\nEnquêtrice : Bon.\nPaul Dupont : Oui.\n"
          "Interviewer2 2: oups\n"
          "<TXT=rome2>\nL: Voilà.\nEnquêtrice : Et ?\nl: Rien.\n")


def test_split_on_one_document_per_interview(cli, project, tmp_path):
    f = write(tmp_path / "corpus.txt", CORPUS)
    res = cli("import", f, "--split-on", r"<TXT=([a-z]+)\d+>")
    assert res.exit_code == 0, res.output
    docs = {d.name: d for d in project.store.documents.all()}
    assert sorted(docs) == ["corpus-0", "corpus-aspe", "corpus-rome"]
    store = project.store
    for name, doc in docs.items():
        text = store.documents.by_name(name).text
        assert "<TXT=" not in text  # marker lines removed
        for t in store.documents.turns(doc.id):
            assert text[t.start:t.end] == text[t.start:t.end].strip() != ""
    aspe = store.documents.by_name("corpus-aspe")
    assert [(t.speaker, aspe.text[t.start:t.end]) for t in store.documents.turns(aspe.id)] == [
        ("E", "Bonjour."), ("Marie", "Oui."), ("E", "Et alors ?"), ("E", "Suite."), ("Marie", "Fin.")]
    # each part's speakers and roles on its own: L is a speaker of rome only
    rome = store.documents.by_name("corpus-rome")
    assert {s.label: s.role for s in store.documents.speakers(rome.id)} == {
        "Enquêtrice": "interviewer", "Paul Dupont": "participant", "L": "participant"}
    assert {s.label for s in store.documents.speakers(aspe.id)} == {"E", "Marie"}
    assert "Corpus ASPE-ROME" in store.documents.by_name("corpus-0").text
    # importing again: every part unchanged
    res = cli("import", f, "--split-on", r"<TXT=([a-z]+)\d+>")
    assert "0 imported, 3 unchanged, 0 skipped" in res.stdout


def test_split_on_warning_lines_are_file_lines(cli, project, tmp_path):
    f = write(tmp_path / "c.txt", "<T1>\nE: a\nMarie: b\n<T2>\nE: a\nMarie: b\nE: c\nMarie: d\nMarei: e\n")
    res = cli("import", f, "--split-on", r"^<T\d>$")
    assert res.exit_code == 0, res.output
    assert sorted(d.name for d in project.store.documents.all()) == ["c-1", "c-2"]
    assert f"{f}:9: 'Marei' looks like the speaker label 'Marie'" in res.stderr


def test_split_on_a_folder_and_files_without_markers(cli, project, tmp_path):
    write(tmp_path / "in" / "a.txt", "<TXT=x1>\nE: a\nMarie: b\n<TXT=y1>\nE: c\nPaul: d\nE: e\nPaul: f\n")
    write(tmp_path / "in" / "b.txt", "E: whole\nMarie: file\n")
    res = cli("import", tmp_path / "in", "--split-on", r"<TXT=([a-z]+)\d+>")
    assert res.exit_code == 0, res.output
    assert sorted(d.name for d in project.store.documents.all()) == ["a-x", "a-y", "b"]


def test_split_text_names_and_repeats():
    rx = compile_split_pattern(r"== (\w+) ==")
    parts = split_text("== a ==\nx\n== a ==\ny\n== b ==\nz\n== a ==\nw", rx, "f")
    assert [(p.name, p.text, p.lines) for p in parts] == [
        ("f-a", "x\ny", [2, 4]), ("f-b", "z", [6]), ("f-a-2", "w", [8])]
    assert [p.name for p in split_text("== ==\nx\n--\ny", compile_split_pattern(r"^(== ==|--)$"), "f")] == [
        "f-== ==", "f---"]
    assert [p.name for p in split_text("#\nx\n#\ny", compile_split_pattern("^#$"), "f")] == ["f-1", "f-2"]
    with pytest.raises(ValueError, match="empty line"):
        compile_split_pattern("x*")


# ---------------------------------------------------------------- time anchors of cues

def test_whisper_vtt_without_speakers_keeps_each_cue_time():
    doc = imp(vtt(("00:00:01.000", "00:00:03.000", "So I was saying that"),
                  ("00:00:03.200", "00:00:05.000", "the mine closed in 1990."),
                  ("00:00:05.000", "00:00:07.000", "Then we left."),
                  ("00:01:46.000", "00:01:50.000", "Much later, we came back"),
                  ("00:01:52.000", "00:01:54.000", "to see the house.")), "vtt")
    assert [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns] == [
        (None, "So I was saying that the mine closed in 1990.", 1.0, 5.0),  # one sentence, short gap
        (None, "Then we left.", 5.0, 7.0),
        (None, "Much later, we came back", 106.0, 110.0),  # a 2 s pause ends the block
        (None, "to see the house.", 112.0, 114.0),
    ]


def test_srt_without_speakers_blocks_never_exceed_the_maximum():
    cues = [(f"00:00:{i * 5:02d},000", f"00:00:{i * 5 + 5:02d},000", f"mot {i}") for i in range(10)]
    doc = imp(srt(*cues), "srt")
    assert all(t.time_end - t.time_start <= 30 for t in doc.turns)
    assert len(doc.turns) == 2
    assert doc.turns[1].time_start == 30.0 and doc.turns[1].time_end == 50.0


TRS_OVERLAP = b'''<?xml version="1.0" encoding="UTF-8"?>
<Trans><Speakers><Speaker id="spk1" name="Marie"/><Speaker id="spk2" name="Paul"/></Speakers>
<Episode><Section type="report" startTime="0" endTime="30">
<Turn speaker="spk1" startTime="0" endTime="10"><Sync time="0"/>Bonjour.</Turn>
<Turn speaker="spk1 spk2" startTime="10" endTime="30">
<Sync time="10"/><Who nb="1"/>un<Who nb="2"/>deux
<Sync time="14"/><Who nb="1"/>trois<Who nb="2"/>quatre
<Sync time="20"/><Who nb="2"/>cinq
</Turn></Section></Episode></Trans>'''


def test_transcriber_overlap_segments_keep_their_sync_times():
    doc = parse_bytes(TRS_OVERLAP, "t.trs", "trs")
    assert [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns] == [
        ("Marie", "Bonjour.", 0.0, 10.0),
        ("Marie", "un", 10.0, 14.0), ("Paul", "deux", 10.0, 14.0),
        ("Marie", "trois", 14.0, 20.0), ("Paul", "quatre", 14.0, 20.0),
        ("Paul", "cinq", 20.0, 30.0),
    ]


def test_excerpt_of_an_unlabelled_subtitle_is_cited_at_its_own_time(cli, project, tmp_path):
    write(project.root / "codebooks" / "test.yaml",
          "title: T\nlanguage: fr\nunit: sentence\ncodes:\n  - code: mine\n    label: Mine\n"
          "    definition: La mine.\n    rules:\n      - terms: [chevalement]\n")
    f = write(tmp_path / "whisper.vtt", vtt(
        ("00:00:01.000", "00:00:30.000", "Bonjour, on commence."),
        ("00:00:30.000", "00:01:40.000", "Je suis née à Loos en 1950."),
        ("00:01:46.000", "00:01:50.000", "Le chevalement est toujours là.")))
    assert cli("import", f).exit_code == 0
    res = cli("autocode")
    assert res.exit_code == 0, res.output
    res = cli("export", "excerpts", "-o", "-", "--format", "md")
    assert res.exit_code == 0, res.output
    assert "Le chevalement est toujours là." in res.stdout
    assert "00:01:46" in res.stdout and "00:00:01" not in res.stdout


def test_near_duplicate_speaker_in_a_vtt_is_warned_with_its_line():
    doc = imp(vtt(("00:00:01.000", "00:00:02.000", "Interviewer2: Bonjour."),
                  ("00:00:02.000", "00:00:03.000", "Marie Curie: Oui."),
                  ("00:00:03.000", "00:00:04.000", "Interviewer2 2: Et alors ?"),
                  ("00:00:04.000", "00:00:05.000", "Marie Curie: Voilà."),
                  ("00:00:05.000", "00:00:06.000", "Interviewer2: Merci.")), "vtt")
    assert [t.speaker for t in doc.turns] == ["Interviewer2", "Marie Curie", "Interviewer2 2", "Marie Curie",
                                              "Interviewer2"]
    assert doc.warnings == ["entretien.vtt:13: speaker 'Interviewer2 2' (1 turns) looks like 'Interviewer2' "
                            "(2 turns): did you mean 'Interviewer2'? (imported as two speakers; join them with: "
                            "qualcode speakers DOCUMENT --merge 'Interviewer2 2=Interviewer2')"]
    assert doc.interviewer_hints == {"Interviewer2 2"}
