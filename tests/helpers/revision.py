"""The project of test_revise.py and test_backups.py: codebook revisions need codings made
both by the rules and by hand, and a codebook whose comments and hand wrapping must survive
every revision.

``build`` gives: this codebook, the interview "caron", autocode, then ``codings`` by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from helpers.cli import Runner
from helpers.factory import Coding, build_project

CODEBOOK = """\
# Test codebook: these comments must survive every revision.
title: Test
language: fr
unit: sentence
codes:
  # ==== IDENTITY
  - code: identity
    label: Identity
    definition: Identité.
    children:
      - code: mining_memory   # the most frequent code
        label: Mining memory
        definition: Mémoire de la mine.
        rules:
          # wrapped by hand: must stay wrapped
          - terms: [fosse, mineur, "gueule noire",
                    charbon]
        exclude:
          - terms: ["mineur de moins de"]

      - code: stigma
        label: 'Stigma'
        definition: Image négative.
        rules:
          - terms: [misère, honte]

      - code: pride
        label: Pride
        definition: Fierté.
        rules:
          - terms: [fierté, fier]
  # ==== HERITAGE
  - code: heritage
    label: Heritage
    definition: Patrimoine.
    unit: turn
    rules:
      - terms: [unesco, patrimoine]
      - pattern: [{LOWER: louvre}]
"""

INTERVIEW = """\
Enquêtrice : Parlez-moi de la fosse.
M. Caron : Mon père était mineur. Il descendait à la fosse tous les jours.
Le classement Unesco, c'est une fierté pour nous.
Enquêtrice : Et l'image du bassin ?
M. Caron : Avant c'était la misère, on avait honte. Je suis fier d'être d'ici, même si on avait honte avant.
Aujourd'hui on parle des gueules noires dans les musées, le Louvre a changé les choses.
"""

BOTH = "Je suis fier d'être d'ici, même si on avait honte avant."  # coded stigma and pride by rules


def build(project, src: Path, codings: Iterable[Coding] = ()) -> Runner:
    """The coded project; returns a CLI runner in its folder."""
    return build_project(project, src, codebook=CODEBOOK, documents={"caron": INTERVIEW}, autocode=True,
                         codings=codings)
