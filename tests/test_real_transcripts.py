"""Real transcripts written by others (tests/data/realworld, attributed in its README):
turns and speakers found by qualcode against counts made independently of it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from helpers import write

from qualcode.importers import parse_bytes, parse_file

DATA = Path(__file__).resolve().parent / "data" / "realworld"
KALLAAMA = DATA / "kallaama_wol_4111.trs"
PODCAST = DATA / "buzzsprout_podcast_example.srt"


def _srt_cues(raw: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of each SubRip cue, read with a regex (not with qualcode)."""
    def secs(ts: str) -> float:
        h, m, s = ts.replace(",", ".").split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    for block in raw.strip().split("\n\n"):
        lines = block.split("\n")
        t0, t1 = lines[1].split(" --> ")
        cues.append((secs(t0), secs(t1), " ".join(lines[2:])))
    return cues


def test_podcast_srt_speakers_and_turns_as_counted():
    cues = _srt_cues(PODCAST.read_text(encoding="utf-8"))
    assert len(cues) == 222
    labelled = [re.match(r"([A-Z][a-z]+): ", text) for _, _, text in cues]
    by_hand = [m.group(1) for m in labelled if m]
    assert Counter(by_hand) == {"Travis": 5, "Gilon": 3, "Sarah": 2}
    doc = parse_file(PODCAST)
    assert [t.speaker for t in doc.turns] == by_hand  # 10 turns, each label change a turn
    # each turn runs from its labelled cue to the cue before the next label
    starts = [i for i, m in enumerate(labelled) if m]
    for turn, a, b in zip(doc.turns, starts, [*starts[1:], len(cues)]):
        assert abs(turn.time_start - cues[a][0]) < 1e-6 and abs(turn.time_end - cues[b - 1][1]) < 1e-6
    assert doc.warnings == []


def test_podcast_srt_without_labels_keeps_the_cue_times():
    """The same real file with its speaker labels removed (what Whisper gives): every
    passage is cited at the time of its own cue, not at the start of the file."""
    raw = PODCAST.read_text(encoding="utf-8")
    bare = re.sub(r"(?m)^(Travis|Gilon|Sarah): ", "", raw)
    doc = parse_bytes(bare.encode("utf-8"), "whisper.srt", "srt")
    cues = _srt_cues(bare)
    assert all(t.speaker is None for t in doc.turns)
    assert 10 < len(doc.turns) < len(cues)
    for t in doc.turns:
        assert t.time_end - t.time_start <= 30
        assert any(abs(c[0] - t.time_start) < 1e-6 for c in cues)
        assert any(abs(c[1] - t.time_end) < 1e-6 for c in cues)
    # "So is there an ideal podcast length" is said at 00:03:39.360
    turn = next(t for t in doc.turns if "So is there an ideal" in doc.text[t.start:t.end])
    assert 219 <= turn.time_start <= 219.36 < turn.time_end


def test_kallaama_import_says_no_interviewer_was_found(cli, project, tmp_path):
    # (its turns and speakers against an independent count: test_import_trs.py)
    res = cli("import", KALLAAMA)
    assert res.exit_code == 0, res.output
    assert "327 turns; locuteur 1 (participant), locuteur 2 (participant), locuteur 3 (participant)" in res.stdout
    assert ("no interviewer found among locuteur 1, locuteur 2, locuteur 3; if one is, run: "
            "qualcode speakers kallaama_wol_4111 --set 'locuteur 1=interviewer'") in res.stderr


def test_podcast_srt_through_the_cli_with_its_summary(cli, project, tmp_path):
    f = write(tmp_path / "podcast.srt", PODCAST.read_text(encoding="utf-8"))
    res = cli("import", f, "--interviewer", "Travis")
    assert res.exit_code == 0, res.output
    assert "10 turns; Travis (interviewer), Sarah (participant), Gilon (participant)" in res.stdout
    assert "no interviewer" not in res.stderr


PODCAST_VTT = DATA / "buzzsprout_podcast_example.vtt"
KALLAAMA_FUC = DATA / "kallaama_fuc_4911.trs"


def test_podcast_vtt_voice_spans_as_counted():
    raw = PODCAST_VTT.read_text(encoding="utf-8")
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n<v ([^>]+)>(.*)", raw)
    assert len(cues) == 7
    changes = [i for i, c in enumerate(cues) if i == 0 or c[2] != cues[i - 1][2]]
    doc = parse_file(PODCAST_VTT)
    assert [t.speaker for t in doc.turns] == [cues[i][2] for i in changes] == ["Sarah", "Gillian"]

    def secs(ts: str) -> float:
        h, m, s = ts.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    for turn, a, b in zip(doc.turns, changes, [*changes[1:], len(cues)]):
        assert (turn.time_start, turn.time_end) == (secs(cues[a][0]), secs(cues[b - 1][1]))
    assert "Welcome to Podcasting Q&A, where" in doc.text  # &amp; decoded, no tag left
    assert "<" not in doc.text and doc.warnings == []


def _trs_counts(path: Path) -> tuple[int, set[str], list[tuple[float, float]]]:
    """Turns with words, speakers, and the (start, end) of every overlap segment, from the
    XML (ElementTree for turns, regexes over the raw lines for times), not from qualcode.
    An overlap segment opens at a <Who/> (or at words before the first one: the first
    speaker's), ends at the first <Sync/> after its last words, else at its <Turn>'s end;
    segments without words (comment or noise only) are not turns."""
    import defusedxml.ElementTree as DET

    raw = path.read_text(encoding="utf-8")
    root = DET.fromstring(raw.encode("utf-8"), forbid_dtd=False)
    names = {s.get("id"): " ".join((s.get("name") or s.get("id")).split()) for s in root.iter("Speaker")}
    n, used = 0, set()
    for turn in root.iter("Turn"):
        ids = (turn.get("speaker") or "").split()
        segs = [[ids[0] if ids else None, bool((turn.text or "").strip())]]
        for el in turn:
            if el.tag == "Who" and len(ids) > 1:
                segs.append([ids[int(el.get("nb")) - 1], bool((el.tail or "").strip())])
            elif (el.tail or "").strip():
                segs[-1][1] = True
        for spk, words in segs:
            n += words
            if words:
                used.add(names[spk])
    times: list[list] = []
    for m in re.finditer(r"<Turn([^>]*)>(.*?)</Turn>", raw, re.S):
        if not re.search(r'\sspeaker="[^" ]+(?: [^" ]+)+"', m.group(1)):
            continue
        end = float(re.search(r'endTime="([\d.]+)"', m.group(1)).group(1))
        sync, cur, pending = None, None, []
        for tok in re.findall(r"<[^>]*>|[^<]+", m.group(2)):
            s = re.fullmatch(r'<Sync time="([\d.]+)"/>', tok)
            if s:
                for x in pending:
                    x[1] = float(s.group(1))
                pending, sync = [], float(s.group(1))
            elif tok.startswith("<Who"):
                cur = None
            elif tok.strip() and not tok.startswith("<"):
                if cur is None:
                    cur = [sync, end]
                    times.append(cur)
                pending = [x for x in pending if x is not cur] + [cur]
    return n, used, [(a, b) for a, b in times]


@pytest.mark.parametrize("path, turns, speakers, overlaps", [
    (KALLAAMA, 327, 3, 52),
    (KALLAAMA_FUC, 134, 4, 32),  # overlaps of three speakers, attributes in any order
])
def test_transcriber_turns_speakers_and_overlap_times_as_counted(path, turns, speakers, overlaps):
    n, used, times = _trs_counts(path)
    assert (n, len(used), len(times)) == (turns, speakers, overlaps)
    doc = parse_file(path)
    assert len(doc.turns) == n and set(doc.speakers()) == used
    # every overlap segment keeps the times of the <Sync> that bound it
    assert [(t.time_start, t.time_end) for t, d in zip(doc.turns, doc.meta["turns"]) if d["overlap"]] == times
