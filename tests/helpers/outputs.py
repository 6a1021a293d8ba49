"""A small French project for the thesis outputs: citations, language, cases table, excerpts.

Two interviews (one with a quotation inside a sentence, one with timestamps), three
participants with pseudonym, group, role, age and commune, a codebook whose codes are
synced into the project, and codings on known passages (some cut inside a quotation, as
sentence units can be). ``build_outputs_project`` fills the ``project`` fixture.
"""

from __future__ import annotations

from helpers.factory import Coding, add_codings, build_project
from qualcode.autocode import _record_version
from qualcode.codebook import load_codebook
from qualcode.codebook.sync import sync_codes

NB = "\u00a0"

CODEBOOK = """\
title: Livre de test
language: fr
codes:
  - code: identity
    label: Identité
    children:
      - code: mining_memory
        label: Mémoire minière
  - code: heritage
    label: Patrimoine
"""

# entretien_01_elue_loos: the file name says who she is (a deputy mayor of a small town)
DUFOUR = (
    "Enquêtrice : Bonjour.\n"
    "Mme Dufour : Mon père était mineur. Il disait « la fosse, c'est notre vie. Rien d'autre » et il riait.\n"
    "Enquêtrice : Et le Louvre ?\n"
    "Mme Dufour : Le bassin minier, c'est l'Unesco maintenant. Oui. Les gens en sont fiers, vraiment fiers.\n"
)
JOSIANE = (
    "[00:14:00] Enquêtrice : Et la mine ?\n"
    "[00:14:32] Josiane : On en parlait pas. C'était dur [rires] pour tout le monde. La solidarité.\n"
)
PARTICIPANTS = (
    "case;pseudonym;document;group;role;age;commune\n"
    "P01;Mme Dufour;entretien_01_elue_loos;local_actor;élue;52;Loos-en-Gohelle\n"
    "P07;Josiane;entretien_07;resident;retraitée;71;Liévin\n"
    "P09;Kévin;;resident;;24;Lens\n"
)

CODINGS = [
    Coding("entretien_01_elue_loos", "Mon père était mineur.", "identity/mining_memory", coder="rules",
           status="proposed", unit="sentence"),
    # a sentence unit cut inside the quotation: « opened, never closed
    Coding("entretien_01_elue_loos", "Il disait « la fosse, c'est notre vie.", "identity/mining_memory",
           coder="rules", status="proposed", unit="sentence"),
    Coding("entretien_01_elue_loos", "Le bassin minier, c'est l'Unesco maintenant.", "heritage",
           coder="camille", status="accepted"),
    Coding("entretien_01_elue_loos", "Oui.", "heritage", coder="rules", status="proposed", unit="sentence"),
    Coding("entretien_07", "C'était dur [rires", "identity/mining_memory", coder="rules", status="proposed"),
    Coding("entretien_07", "La solidarité.", "identity", coder="rules", status="proposed", unit="sentence"),
]


def build_outputs_project(project, tmp_path, *, labels: str = "", export: str = ""):
    """Fill ``project``; ``labels``/``export``: TOML appended to qualcode.toml."""
    runner = build_project(project, tmp_path / "src", codebook=CODEBOOK,
                           documents={"entretien_01_elue_loos": DUFOUR, "entretien_07": JOSIANE},
                           participants=PARTICIPANTS, one_import=True)
    book = project.root / "codebooks" / "test.yaml"
    codebook = load_codebook(book)
    with project.store.transaction():
        sync_codes(project, codebook)
        _record_version(project, codebook, book)
    add_codings(project, CODINGS)
    if labels or export:
        config = project.root / "qualcode.toml"
        config.write_text(config.read_text(encoding="utf-8") + "\n" + export + "\n" + labels, encoding="utf-8")
    return runner
