"""The candidate near-duplicates of qualcode.neardup: every short text that can reach the
cutoff, long texts edited in places, and not the unrelated interviews."""
from __future__ import annotations

import random

from helpers.files import SAMPLES as SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.importers import parse_file
from qualcode.lifecycle import SIMILAR_MIN
from qualcode.neardup import SMALL_CHARS, NearIndex, signature
from qualcode.reanchor import similarity


def _index(texts: list[str]) -> NearIndex:
    index = NearIndex(SIMILAR_MIN)
    for k, t in enumerate(texts):
        index.add(k, t, signature(t) if len(t) >= SMALL_CHARS else None)
    return index


WORDS = st.sampled_from(["la", "fosse", "mineur", "terril", "musée", "fierté", "Loos", "é", "ben", "oui"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(WORDS, min_size=0, max_size=40).map(" ".join), min_size=1, max_size=8),
       st.lists(st.tuples(st.integers(0, 7), st.integers(0, 400), st.sampled_from(["", "x", "é", " "])), max_size=3))
def test_every_short_text_that_can_reach_the_cutoff_is_a_candidate(texts, edits):
    base = texts[0]
    query = base
    for _, at, s in edits:  # a few edits of the first text
        at = min(at, len(query))
        query = query[:at] + s + query[at + 1:]
    texts = [*texts, base]
    found = _index(texts).candidates(query, None)
    for k, t in enumerate(texts):
        if similarity(query, t, cutoff=SIMILAR_MIN) >= SIMILAR_MIN:
            assert k in found, (query, t)


def _interviews() -> list[str]:
    out = []
    for path in sorted(SAMPLE.iterdir()):
        if path.suffix in {".txt", ".docx"}:
            text = parse_file(path).text
            while len(text) < SMALL_CHARS:
                text += "\n" + text
            out.append(text)
    return out


def test_long_texts_edited_in_places_are_candidates_and_unrelated_ones_are_not():
    interviews = _interviews()
    assert len(interviews) >= 5
    index = _index(interviews)
    rng = random.Random(3)
    for k, text in enumerate(interviews):
        edited = text
        for _ in range(rng.randint(1, 6)):  # passages rewritten, cut or added: 95-99 % alike
            a = rng.randrange(len(edited) - 300)
            insert = rng.choice(["", "[rires] ", "Enquêtrice : Et après ?\n"]) * 3
            edited = edited[:a] + insert + edited[a + rng.randint(0, 300):]
        assert similarity(edited, text) >= SIMILAR_MIN
        found = index.candidates(edited, signature(edited))
        assert k in found
        # the other sample interviews are on the same subject, not copies: not candidates
        assert found == {k}


def test_signature_is_the_same_in_every_process_and_none_without_words(tmp_path):
    """A fixed seed, not Python's per-process string hashing: two processes agree."""
    import subprocess
    import sys

    code = "from qualcode.neardup import signature; print(signature('la fosse 9-9bis est fermée').tolist())"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 1 and runs != {""}
    assert signature(" \n\t ") is None


def _random_interview(rng: random.Random) -> str:
    words = ["la", "fosse", "mineur", "terril", "musée", "fierté", "Loos", "ben", "oui", "on", "allait", "au",
             "puits", "mon", "père", "cité", "coron", "école", "jardin", "ducasse", "harmonie", "fanfare"]
    turns = []
    while sum(map(len, turns)) < 12_000:
        speaker = "Enquêtrice" if len(turns) % 2 == 0 else "Participant"
        turns.append(f"{speaker} : " + " ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) + ".")
    return "\n".join(turns) + "\n"


def test_an_import_of_many_files_warns_through_the_index_as_it_would_without(cli, project, tmp_path):
    """Past the first INDEX_AFTER files, candidates come from the index: the copy and the
    near-copy of an early file are still reported, and nothing else."""
    from qualcode.lifecycle import INDEX_AFTER

    rng = random.Random(7)
    texts = [_random_interview(rng) for _ in range(INDEX_AFTER + 4)]
    folder = tmp_path / "lot"
    folder.mkdir()
    for k, text in enumerate(texts):
        (folder / f"e{k:02d}.txt").write_text(text, encoding="utf-8")
    near = texts[3][:5000] + "Enquêtrice : [rires] Et après ?\n" + texts[3][5200:]
    (folder / "z1_copie.txt").write_text(texts[3], encoding="utf-8")
    (folder / "z2_proche.txt").write_text(near, encoding="utf-8")
    res = cli("import", folder)
    assert res.exit_code == 0, res.output
    warnings = [" ".join(line.split()) for line in res.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 3, warnings  # the copy; the near-copy, like e03 and like its copy
    assert "z1_copie.txt: the text is identical to document 'e03'" in warnings[0]
    assert "z2_proche.txt: the text is" in warnings[1] and "% identical to document 'e03'" in warnings[1]
    assert "% identical to document 'z1_copie'" in warnings[2]
