"""Markdown and LaTeX exports from project text (issue 16): a transcript's ``[lien](…)``,
``![](…)``, ``<script>`` or ``<http://…>`` left live links and remote images in Markdown
exports; the agreement ``.tex`` used κ and α directly, which pdflatex rejects. The
Markdown is checked by rendering it (Python-Markdown, as MkDocs does): no link, image,
HTML, emphasis, heading or list may come out of project text."""

from __future__ import annotations

import re

import pytest
from helpers import build_project
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.textnorm import md_cell, md_escape, tex_escape

HOSTILE = ("Paul : [cliquez ici](http://evil.example/x) ![pixel](http://evil.example/p.png) "
           "<script>alert(1)</script> <http://evil.example> www.evil.example *gras* __souligné__ `code` "
           "<img src=x onerror=alert(1)> [ref]: http://evil.example &amp; ~~barré~~ \\[échappé\\]\n")
SPECIALS = st.sampled_from([*"[]()!<>*_`#+-.:/\\|~&=\"' \n", "http://", "www.", "1. ", "- ", "> ", "    ",
                            "[x]", "](", "![", "<a", "&lt;", "é"])
TEXT = st.lists(st.one_of(SPECIALS, st.text(alphabet="abcé ", max_size=4)), max_size=40).map("".join)


def render(markdown_text: str) -> str:
    import markdown

    return markdown.markdown(markdown_text, extensions=["tables"])


def tags(html: str) -> set[str]:
    return {m.lower() for m in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_escaped_text_renders_as_plain_paragraphs(text):
    html = render(md_escape(text))
    assert tags(html) <= {"p", "br", "pre", "code"}, (text, html)  # an indented line is a code block: inert
    assert "<a" not in html and "<img" not in html


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, min_size=2, max_size=2))
def test_escaped_cells_stay_in_their_cells(cells):
    table = "| a | b |\n|---|---|\n| " + " | ".join(md_cell(c) for c in cells) + " |\n"
    html = render(table)
    assert tags(html) <= {"table", "thead", "tbody", "tr", "th", "td", "code"}, (cells, html)
    assert html.count("<td") == 2, (cells, html)


def test_excerpts_and_codebook_markdown_have_no_live_link(project, tmp_path):
    codebook = ("title: '[Livre](http://evil.example)'\nlanguage: fr\ncodes:\n  - code: mine\n"
                "    label: '![x](http://evil.example/l.png)'\n    definition: '<b>gras</b> [a](http://evil.example)'\n"
                "    rules:\n      - terms: [cliquez]\n")
    run = build_project(project, tmp_path / "src", codebook=codebook, documents={"hostile": HOSTILE}, autocode=True)
    outputs = {"excerpts": tmp_path / "x.md", "codebook": tmp_path / "cb.md", "freq": tmp_path / "f.md"}
    assert run("export", "excerpts", "-o", outputs["excerpts"]).exit_code == 0
    assert run("codebook", "export", "-o", outputs["codebook"]).exit_code == 0
    assert run("report", "freq", "-o", outputs["freq"]).exit_code == 0
    for kind, path in outputs.items():
        text = path.read_text(encoding="utf-8")
        html = render(text)
        assert "evil.example" in html or kind == "freq", kind  # the text is there…
        assert "<a " not in html and "<img" not in html and "<script" not in html and "<b>" not in html, (kind, html)
    assert "cliquez ici" in render(outputs["excerpts"].read_text(encoding="utf-8"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_tex_escape_gives_what_pdflatex_sets(text):
    """T1 + utf8 inputenc sets Latin-1; anything else is a command or an ASCII stand-in,
    and no special character is left bare."""
    out = tex_escape(text)
    assert all(ord(ch) < 256 for ch in out), (text, out)
    bare = re.sub(r"\\[a-zA-Z]+\{\}|\\[&%$#_{}]|\$\\[a-zA-Z]+\$|\$-\$|\\[a-zA-Z]+", "", out)
    assert not set(bare) & set("&%#_{}^\\"), (text, out)
    assert bare.count("~") == text.count("\xa0") + text.count("\u202f")  # ~ only for a no-break space


@pytest.mark.parametrize("fmt", ["tex"])
def test_agreement_tex_names_kappa_and_alpha_in_math_mode(project, tmp_path, fmt):
    from helpers import Coding, add_codings

    interview = "".join(f"Enquêtrice : Question {i} ?\nPaul : Réponse numéro {i}, voilà.\n" for i in range(1, 7))
    run = build_project(project, tmp_path / "src", codebook="title: T\nlanguage: fr\ncodes:\n  - code: a\n",
                        documents={"ten": interview}, autocode=True)
    add_codings(project, [Coding("ten", f"Réponse numéro {i},", "a", coder=coder)
                          for coder, answers in (("A", (1, 2, 3)), ("B", (2, 3, 4))) for i in answers])
    out = tmp_path / f"agreement.{fmt}"
    res = run("agreement", "--coders", "A,B", "--unit", "turn", "--output", out)
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "$\\kappa$" in text and "$\\alpha$" in text
    assert "κ" not in text and "α" not in text
    assert all(ord(ch) < 256 for ch in text), sorted({ch for ch in text if ord(ch) >= 256})
