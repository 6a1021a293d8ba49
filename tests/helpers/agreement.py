"""Projects for inter-coder agreement and reconciliation (test_agreement.py,
test_reconcile.py): interviews of numbered question/answer pairs, and coders marking
answers by number."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from helpers.cli import Runner
from helpers.factory import build_project
from qualcode.manual import code

CODEBOOK = """\
title: Agreement test
language: fr
codes:
  - code: same
  - code: apart
  - code: silent
  - code: never
  - code: kripp
  - code: yes
  - code: p
    children:
      - code: a
      - code: b
"""


def interview(n: int, length: int | None = None) -> str:
    """n interviewer questions, each followed by one participant answer (turns 2, 4, …)."""
    lines = []
    for i in range(1, n + 1):
        lines.append(f"Enquêtrice : Question {i} ?")
        answer = f"Réponse numéro {i}, voilà."
        if length is not None:  # exactly ``length`` characters
            answer = (f"Réponse {i} " + "x" * length)[:length - 1] + "."
        lines.append(f"Paul : {answer}")
    return "\n".join(lines) + "\n"


def mark(project, doc: str, code_path: str, coder: str, units: Iterable[int]) -> None:
    """Code participant answers number ``units`` (1-based: answer i is turn 2i)."""
    for i in units:
        code(project, doc, code_path, turn=2 * i, coder=coder)


def agreement_project(project, src: Path, documents: Mapping[str, str]) -> Runner:
    """The agreement codebook and ``documents`` (name -> text) imported, nothing coded."""
    return build_project(project, src, codebook=CODEBOOK, codebook_name="agreement", documents=documents)
