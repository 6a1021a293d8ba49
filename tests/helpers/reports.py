"""The fixture project of test_reports.py and test_table_exports.py, whose numbers are
computed by hand in test_reports.py's docstring (the table of codings there is CODINGS here).
"""

from __future__ import annotations

from pathlib import Path

from helpers.cli import Runner
from helpers.db import assert_offsets_sacred
from helpers.factory import Coding, build_project, new_project

CODEBOOK = """\
title: Fixture codebook
language: fr
unit: sentence
codes:
  - code: identity
    label: Identity
    children:
      - code: mining_memory
        label: Mining memory
        rules:
          - terms: [xylophone]
      - code: pride
        label: Pride
        rules:
          - terms: [xylophone]
  - code: heritage
    label: Heritage
    children:
      - code: museum
        label: Museum
        rules:
          - terms: [xylophone]
      - code: tourism
        label: Tourism
        rules:
          - terms: [xylophone]
  - code: future
    label: Future
    children:
      - code: jobs
        label: Jobs
        rules:
          - terms: [xylophone]
  - code: old
    label: Old code
    rules:
      - terms: [xylophone]
"""

TEXTS = {
    "alice": ("Enquêtrice : Parlez-moi du musée.\n"
              "Alice : Le musée a changé la ville. Les touristes viennent.\n"
              "Enquêtrice : Et la mine ?\n"
              "Alice : Mon père était mineur. La fosse a fermé.\n"),
    "bruno": ("Enquêteur : Et vous ?\n"
              "Bruno : La fosse, c'est notre histoire. Le musée, je n'y vais pas.\n"
              "Enquêteur : Pourquoi ?\n"
              "Bruno : Les jeunes partent. Il n'y a pas de travail, euh, ben voilà. [rires]\n"),
    "chloe": ("E : Bonjour.\n"
              "Chloé : Le musée attire les touristes. Mon oncle était mineur.\n"
              "E : Merci.\n"
              "Chloé : Voilà.\n"),
    "daniel": ("Enquêtrice : Votre avis ?\n"
               "Daniel : Le musée ouvre en 2012. La fosse 9 est classée.\n"
               "Enquêtrice : Merci.\n"
               "Daniel : Fin.\n"),
}

PARTICIPANTS = "case;document;group\nA;alice;local_actor\nE;;local_actor\nB;bruno;resident\nC;chloe;resident\n"

CODINGS = [  # (document, passage, code, coder, status) -- the table of test_reports.py's docstring
    ("alice", "Le musée a changé la ville.", "heritage/museum", "rules", "proposed"),
    ("alice", "Les touristes viennent.", "heritage/tourism", "rules", "accepted"),
    ("alice", "Mon père était mineur.", "identity/mining_memory", "rules", "proposed"),
    ("alice", "Mon père était mineur.", "identity/pride", "camille", "accepted"),
    ("alice", "La fosse a fermé.", "identity/mining_memory", "rules", "rejected"),
    ("bruno", "La fosse, c'est notre histoire.", "identity/mining_memory", "rules", "accepted"),
    ("bruno", "La fosse, c'est notre histoire.", "identity", "camille", "accepted"),
    ("bruno", "Le musée, je n'y vais pas.", "heritage/museum", "rules", "proposed"),
    ("bruno", "Les jeunes partent.", "future/jobs", "rules", "rejected"),
    ("bruno", "Il n'y a pas de travail, euh, ben voilà.", "future/jobs", "camille", "accepted"),
    ("chloe", "Le musée attire les touristes.", "heritage/museum", "rules", "proposed"),
    ("chloe", "Le musée attire les touristes.", "heritage/tourism", "rules", "proposed"),
    ("chloe", "Mon oncle était mineur.", "identity/mining_memory", "rules", "proposed"),
    ("daniel", "Le musée ouvre en 2012.", "heritage/museum", "camille", "accepted"),
    ("alice", "Le musée a changé la ville.", "old", "camille", "accepted"),
    ("alice", "touristes", "heritage/tourism", "camille", "accepted"),
]


def build(root: Path, tmp: Path) -> Runner:
    """The project of test_reports.py's docstring, in folder ``root`` (sources in ``tmp``);
    returns a CLI runner."""
    new_project(root, name="Fixture")
    cli = build_project(root, tmp, codebook=CODEBOOK, codebook_name="fixture", documents=TEXTS,
                        participants=PARTICIPANTS, autocode=True, codings=[Coding(*c) for c in CODINGS],
                        retire=["old"])
    assert_offsets_sacred(root)
    return cli
