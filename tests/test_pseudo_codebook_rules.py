"""``codebook export --rules`` in a project with a pseudonym key: the rules' terms that
name someone are replaced (``Vasseur`` → ``Mme V.``) rather than refused, the document
says so in a note, and the file is audited as every export is."""

from __future__ import annotations

import pytest
from docx import Document
from helpers.pseudo import build_pseudo_project

BOOK = """\
title: Livre des règles
language: fr
codes:
  - code: voisins
    label: Voisins
    rules:
      - terms: [Vasseur, chez Blanc, linge blanc]
      - near: {terms: [fosse], with: [Gérard], within: 5}
      - regex: '\\bHénin-Beaumont\\b'
    exclude:
      - terms: [Ferme Delcourt]
"""


@pytest.fixture
def run(project, tmp_path):
    runner = build_pseudo_project(project, tmp_path)
    (tmp_path / "regles.yaml").write_text(BOOK, encoding="utf-8")
    return runner


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_rule_terms_are_pseudonymized_not_refused(run, tmp_path, fmt):
    out = tmp_path / f"annexe.{fmt}"
    res = run("codebook", "export", "--codebook", tmp_path / "regles.yaml", "--rules", "-o", out)
    assert res.exit_code == 0, res.output
    assert "audit: 0 leaks" in res.output
    if fmt == "docx":
        text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    else:
        text = out.read_text(encoding="utf-8").replace("\\[", "[").replace("\\]", "]")
    for gone in ("Vasseur", "Gérard", "Hénin", "Delcourt", "chez Blanc"):
        assert gone not in text, gone
    for shown in ("Mme V.", "chez [le voisin]", "linge blanc", "[son mari]", "[commune du bassin]", "[une ferme]"):
        assert shown in text, shown
    assert "termes des règles qui nomment des personnes ou des lieux sont pseudonymisés (5 termes)" in text
    # the rules applied are the real ones: --no-pseudo shows them, and the audit refuses them
    res = run("codebook", "export", "--codebook", tmp_path / "regles.yaml", "--rules", "-o", out, "--force",
              "--no-pseudo")
    assert res.exit_code == 1 and "leak: Ferme Delcourt" in res.output
