"""A small French project with planted names, for pseudonymization and its audit.

Two interviews in a mining town of the Bassin minier: people (``Martine Vasseur``, her
husband ``Gérard`` who is also a speaker, ``M. Blanc`` next to ``blanc`` the colour),
hyphenated communes (``Hénin-Beaumont``, ``d'Hénin``, ``Noyelles-Godault``), a street
(``rue Émile-Zola``, also in a code's definition), an association named after a farm
(``la Ferme Delcourt`` next to ``la ferme``), possessives (``le jardin à Gérard``,
``Martine's garden``), a name split across a line break, an e-mail and a phone number.
The first interview's file name says who she is. Five participants: two share commune
and age group so that citing ``commune`` and ``age`` identifies some of them.
"""

from __future__ import annotations

from helpers.factory import Coding, add_codings, build_project
from qualcode.autocode import _record_version
from qualcode.codebook import load_codebook
from qualcode.codebook.sync import sync_codes

CODEBOOK = """\
title: Livre pseudo
language: fr
codes:
  - code: lieux
    label: Lieux de vie
    definition: "Les lieux où l'on vit, par exemple « j'habite rue Émile-Zola, près de la ferme »."
  - code: famille
    label: Famille
"""

VASSEUR = (
    "Enquêtrice : Vous habitez où ?\n"
    "Martine Vasseur : J'habite rue Émile-Zola à Hénin-Beaumont, près de la ferme. Mon mari Gérard travaillait "
    "à la fosse d'Hénin, comme son père.\n"
    "Enquêtrice : Et vos voisins ?\n"
    "Martine Vasseur : M. Blanc, il étend son linge blanc le lundi. Avec les Amis de la Ferme Delcourt on fait "
    "des visites ; écrivez à martine.vasseur@example.fr ou au 06 12 34 56 78.\n"
    "Enquêtrice : On vous appelle comment ?\n"
    "Martine Vasseur : Martine, tout simplement. Blanchard, lui, c'est le boulanger.\n"
)
GERARD = (
    "Enquêteur : Vous connaissez Mme Vasseur ?\n"
    "Gérard : Oui, Martine\nVasseur, c'est ma femme. Martine connaît tout HÉNIN et Noyelles-Godault.\n"
    "Enquêteur : Et le travail ?\n"
    "Gérard : À la fosse, avec Jean-Pierre Lefebvre. L'Hénin d'avant, c'était autre chose. Le jardin à "
    "Gérard, « Martine's garden » comme disait l'Anglais.\n"
)
DOCUMENTS = {"entretien_vasseur": VASSEUR, "entretien_gerard": GERARD}
PARTICIPANTS = (
    "case;pseudonym;document;group;commune;age\n"
    "P01;Mireille;entretien_vasseur;resident;Hénin-Beaumont;61\n"
    "P02;Roger;entretien_gerard;resident;Hénin-Beaumont;64\n"
    "P03;Nadia;;resident;Liévin;61\n"
    "P04;Paul;;local_actor;Liévin;45\n"
    "P05;Yves;;local_actor;Liévin;52\n"
)
# the key: every planted name and its replacement
KEY = [
    ("Martine Vasseur", "Mme V."),
    ("Gérard", "[son mari]"),
    ("Hénin-Beaumont", "[commune du bassin]"),
    ("Hénin", "[commune du bassin]"),
    ("Noyelles-Godault", "[commune voisine]"),
    ("Blanc", "[le voisin]"),
    ("Ferme Delcourt", "[une ferme]"),
    ("rue Émile-Zola", "[une rue]"),
    ("Jean-Pierre Lefebvre", "[un collègue]"),
    ("martine.vasseur@example.fr", "[adresse e-mail]"),
    ("06 12 34 56 78", "[téléphone]"),
]
# words that only look like names: they must come out unchanged
LOOKALIKES = ("la ferme", "linge blanc", "Blanchard")

CODINGS = [
    Coding("entretien_vasseur", "J'habite rue Émile-Zola à Hénin-Beaumont, près de la ferme.", "lieux"),
    Coding("entretien_vasseur", "Mon mari Gérard travaillait à la fosse d'Hénin, comme son père.", "famille"),
    Coding("entretien_vasseur", "M. Blanc, il étend son linge blanc le lundi.", "lieux"),
    # an excerpt that starts in the middle of the name: replaced whole all the same
    Coding("entretien_vasseur", "Delcourt on fait des visites", "lieux"),
    Coding("entretien_vasseur", "Martine, tout simplement. Blanchard, lui, c'est le boulanger.", "famille"),
    Coding("entretien_gerard", "Oui, Martine\nVasseur, c'est ma femme.", "famille"),
    Coding("entretien_gerard", "Martine connaît tout HÉNIN et Noyelles-Godault.", "lieux"),
    Coding("entretien_gerard", "À la fosse, avec Jean-Pierre Lefebvre.", "famille"),
    Coding("entretien_gerard", "L'Hénin d'avant, c'était autre chose.", "lieux"),
    # possessives: the popular « à » and an English 's
    Coding("entretien_gerard", "Le jardin à Gérard, « Martine's garden » comme disait l'Anglais.", "famille"),
]


def build_pseudo_project(project, tmp_path, *, key: bool = True):
    """Fill ``project``; with ``key``, the key of :data:`KEY` in ``tmp_path/keys/key.toml``
    (outside the project). Returns a CLI runner in the project folder."""
    runner = build_project(project, tmp_path / "src", codebook=CODEBOOK, documents=DOCUMENTS,
                           participants=PARTICIPANTS)
    book = project.root / "codebooks" / "test.yaml"
    codebook = load_codebook(book)
    with project.store.transaction():
        sync_codes(project, codebook)
        _record_version(project, codebook, book)
    add_codings(project, CODINGS)
    if key:
        path = tmp_path / "keys" / "key.toml"
        for i, (name, replacement) in enumerate(KEY):
            args = ["pseudo", "add", name, replacement]
            if i == 0:
                args += ["--key", str(path)]
            res = runner(*args)
            assert res.exit_code == 0, res.output
    return runner
