"""The small coded project of test_charts.py and test_export_report.py, built once per
module and only read: three interviews, coded by rules per speaker turn with a codebook
whose labels have accents and whose codes have colours.

    P01 local_actor  a.txt: turn "fosse" (memoire), turn "fierté" (fierte)
    P02 resident     b.txt: turn "fosse" (memoire)
    P03 resident     c.txt: turn "emploi" (emploi)

test_charts.py's docstring gives the counts computed by hand from it.
"""

from __future__ import annotations

from pathlib import Path

from helpers.factory import build_project, new_project

CODEBOOK = """\
title: Codebook des figures
language: fr
unit: turn
codes:
  - code: identite
    label: Identité
    color: "#1f77b4"
    children:
      - code: memoire
        label: Mémoire minière
        color: "#08306b"
        rules:
          - terms: [fosse]
      - code: fierte
        label: Fierté et appartenance
        rules:
          - terms: [fierté]
  - code: avenir
    label: Avenir du territoire
    color: "#2ca02c"
    children:
      - code: emploi
        label: Emploi
        color: "#bcbd22"
        rules:
          - terms: [emploi]
"""

INTERVIEWS = {
    "a": ("Enquêtrice : Bonjour, parlez-moi du quartier.\n"
              "Mme Dufour : Mon grand-père travaillait à la fosse numéro neuf.\n"
              "Enquêtrice : Et aujourd'hui ?\n"
              "Mme Dufour : Le classement, c'est une fierté pour toute la ville.\n"),
    "b": ("Enquêteur : Vous habitez ici depuis longtemps ?\n"
              "Marcel : Depuis toujours, la fosse était juste derrière la maison.\n"
              "Enquêteur : Et le musée ?\n"
              "Marcel : Je n'y suis jamais allé, voilà.\n"),
    "c": ("Enquêtrice : Qu'est-ce qui vous inquiète ?\n"
              "Kévin : Il n'y a pas d'emploi pour les jeunes ici.\n"
              "Enquêtrice : Vous pensez partir ?\n"
              "Kévin : Sans doute, comme les copains.\n"),
}

PARTICIPANTS = """\
case;pseudonym;document;group
P01;Mme Dufour;a;local_actor
P02;Marcel;b;resident
P03;Kévin;c;resident
"""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def build(base: Path) -> Path:
    """The project described above, in ``base / "proj"`` (sources in ``base / "src"``);
    returns its folder."""
    root = new_project(base / "proj", name="Projet d'essai")
    build_project(root, base / "src", codebook=CODEBOOK, codebook_name="figures", documents=INTERVIEWS,
                  participants=PARTICIPANTS, autocode=True, one_import=True)
    return root
