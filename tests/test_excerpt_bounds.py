"""Excerpts worth quoting: no cut quotation, [...] for cut sentences, context, --min-words.

The outputs fixture has a sentence unit cut inside a quotation (« opened, not closed)
and a coding cut inside a bracket (``C'était dur [rires``), as the NLP pipeline and
hand coding produce them.
"""

from __future__ import annotations

import re

import pytest
from helpers import Coding, add_codings, assert_offsets_sacred, write
from helpers.outputs import build_outputs_project

from qualcode.exporters.passages import passage, sentence_spans, unmatched

NB = "\u00a0"


@pytest.fixture
def fr(project, tmp_path):
    return build_outputs_project(project, tmp_path)


def md_quotes(path) -> list[str]:
    return [line[2:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("> ")]


def quotation(line: str) -> str:
    """The text between the outer « » of a Markdown excerpt line, as a reader sees it
    (Markdown's backslash escapes taken off: ``\\[rires\\]`` is shown ``[rires]``)."""
    m = re.search(rf"«{NB}(.*){NB}»", line)
    assert m, line
    return re.sub(r"\\(.)", r"\1", m.group(1))


def test_sentences_never_end_inside_a_quotation():
    text = "Il disait « la fosse. Rien d'autre » et riait. « C'est dur. » Puis [rires. bon] rien."
    assert [text[a:b] for a, b in sentence_spans(text, 0, len(text))] == [
        "Il disait « la fosse. Rien d'autre » et riait.", "« C'est dur. »", "Puis [rires. bon] rien."]
    assert unmatched("« a » “b” [c]") == [] and unmatched("a « b") == ["«"] and unmatched("b] c") == ["]"]


def test_passage_widens_marks_and_context():
    text = "Mon père était mineur. Il disait « la fosse, c'est notre vie. Rien » et riait. Oui. Fin."
    s = text.index("Il disait")
    p = passage(text, s, text.index("vie.") + 4, 0, len(text))
    assert text[p.start:p.end] == "Il disait « la fosse, c'est notre vie. Rien » et riait." and p.balanced
    s = text.index("père")
    p = passage(text, s, text.index(" mineur"), 0, len(text))
    assert (p.lead, p.trail) == (True, True)
    p = passage(text, text.index("Oui."), text.index("Oui.") + 4, 0, len(text), context=1)
    assert (p.before, p.after) == ("Il disait « la fosse, c'est notre vie. Rien » et riait. ", " Fin.")
    assert not p.lead and not p.trail


def test_no_mark_after_an_annotation_or_inside_quotes():
    """A sentence after [rires], or quoted without its « », starts a sentence: no [...]."""
    text = "Ils savent pas. [rires] On leur explique le terril. Ils disent « Toi tu iras pas. » Voilà."
    s = text.index("On leur")
    p = passage(text, s, text.index("terril.") + 7, 0, len(text))
    assert (p.lead, p.trail) == (False, False)
    s = text.index("Toi")
    p = passage(text, s, text.index("pas. »") + 4, 0, len(text))
    assert (p.lead, p.trail) == (False, False)


def test_every_excerpt_balanced_and_cuts_marked(fr, tmp_path, project):
    add_codings(project, [Coding("entretien_01_elue_loos", "c'est l'Unesco", "heritage", coder="camille")])
    out = tmp_path / "x.md"
    res = fr("export", "excerpts", "-o", out)
    assert res.exit_code == 0, res.output
    assert "unpaired" not in res.stderr
    quotes = md_quotes(out)
    assert len(quotes) == 7
    for line in quotes:
        assert not unmatched(quotation(line)), line
    texts = [quotation(q) for q in quotes]
    assert f"Il disait «{NB}la fosse, c'est notre vie. Rien d'autre{NB}» et il riait." in texts
    assert "C'était dur [rires] pour tout le monde." in texts
    assert "[…] c'est l'Unesco […]" in texts
    assert "Mon père était mineur." in texts  # a whole sentence: no mark
    assert_offsets_sacred(project)


def test_sample_is_balanced(fr, tmp_path):
    for seed in (1, 2, 3):
        out = tmp_path / f"s{seed}.md"
        res = fr("export", "excerpts", "--by", "group", "--max", "1", "--seed", str(seed), "-o", out)
        assert res.exit_code == 0, res.output
        for line in md_quotes(out):
            assert not unmatched(quotation(line)), line


def test_context_shown_apart_in_every_format(fr, tmp_path):
    res = fr("export", "excerpts", "--code", "heritage", "--context", "1", "-o", tmp_path / "c.md")
    assert res.exit_code == 0, res.output
    line = next(q for q in md_quotes(tmp_path / "c.md") if f"«{NB}Oui.{NB}»" in q)
    assert line.startswith("*Le bassin minier, c'est l'Unesco maintenant.* «")
    assert f"{NB}» *Les gens en sont fiers, vraiment fiers.* (P01" in line
    res = fr("export", "excerpts", "--code", "heritage", "--context", "1", "-o", tmp_path / "c.docx")
    assert res.exit_code == 0, res.output
    from docx import Document

    para = next(p for p in Document(str(tmp_path / "c.docx")).paragraphs if f"«{NB}Oui.{NB}»" in p.text)
    styled = [(r.style.name if r.style is not None else None, r.text) for r in para.runs]
    assert styled[0] == ("Excerpt Context", "Le bassin minier, c'est l'Unesco maintenant.")
    assert ("Excerpt Context", "Les gens en sont fiers, vraiment fiers.") in styled
    res = fr("export", "excerpts", "--code", "heritage", "--context", "1", "-o", tmp_path / "c.tex")
    assert "\\textit{Les gens en sont fiers, vraiment fiers.}" in (tmp_path / "c.tex").read_text(encoding="utf-8")
    res = fr("export", "excerpts", "--code", "heritage", "--context", "1", "-o", tmp_path / "c.csv")
    header = (tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert header.endswith(",context_before,context_after")


def test_min_words_leaves_short_excerpts_out_of_the_sample(fr, tmp_path):
    res = fr("export", "excerpts", "--min-words", "3", "--max", "5", "--seed", "1", "--json", "-o",
             tmp_path / "m.md")
    assert res.exit_code == 0, res.output
    texts = [quotation(q) for q in md_quotes(tmp_path / "m.md")]
    assert "Oui." not in texts and "La solidarité." not in texts
    assert "Mon père était mineur." in texts
    assert "Seuls les extraits d'au moins 3 mots sont reproduits." in (tmp_path / "m.md").read_text(encoding="utf-8")
    import json

    info = json.loads(res.stdout)
    assert info["total"] == 6 and info["shown"] == 4  # the counts still count every excerpt
    assert fr("export", "excerpts", "--min-words", "0", "-o", tmp_path / "z.md").exit_code == 2


def test_unpaired_marks_of_the_transcript_are_reported(fr, tmp_path, project):
    src = write(tmp_path / "more" / "entretien_12.txt",
                "Enquêtrice : Alors ?\nM. Petit : Il criait « jamais plus. Et puis voilà.\n")
    assert fr("import", src).exit_code == 0
    add_codings(project, [Coding("entretien_12", "Il criait « jamais plus.", "heritage", coder="camille")])
    res = fr("export", "excerpts", "--code", "heritage", "-o", tmp_path / "u.md")
    assert res.exit_code == 0, res.output
    assert "warning: 1 excerpt with unpaired quotation marks or brackets in the transcript: entretien_12 turn 2" \
        in res.stderr
    res = fr("export", "report", "-o", tmp_path / "r.docx")
    assert res.exit_code == 0, res.output
    assert "warning: 1 excerpt with unpaired quotation marks" in res.stderr and "entretien_12 turn 2" in res.stderr
