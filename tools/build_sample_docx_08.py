"""Build the sample transcript ``transcripts_sample/entretien_08_jeune_parti.docx``.

Fictional interview (pseudonym "Kévin", 26, grew up in Loos-en-Gohelle,
now an IT developer in Lille). The transcript is stored here as plain data
and written as a Word document: a title paragraph, a short intro paragraph,
then a table with a header row ``Locuteur | Temps | Texte`` and one row per
speaking turn. Timestamps are derived deterministically from the length of
each turn so that re-running the script gives the same times.

Usage (from the repository root)::

    /work/venv/bin/python tools/build_sample_docx_08.py [output_path]
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.shared import Pt

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "transcripts_sample" / "entretien_08_jeune_parti.docx"

TITLE = "Entretien 08 – Kévin, 26 ans, originaire de Loos-en-Gohelle"
INTRO = (
    "Entretien réalisé en visioconférence. Kévin (pseudonyme), 26 ans, a grandi "
    "à Loos-en-Gohelle, au pied des terrils jumeaux du 11/19 ; il vit à Lille "
    "depuis huit ans et travaille comme développeur informatique. Transcription "
    "orthographique, ponctuation ajoutée ; [rires], (...) = pause, les "
    "interventions brèves de l'enquêtrice sont notées entre crochets. "
    "Entretien fictif, corpus d'exemple."
)

E = "Enquêtrice"
K = "Kévin"

TURNS: list[tuple[str, str]] = [
    (E, "Bon, ça enregistre. Alors, pour commencer, est-ce que tu peux te présenter ?"),
    (K, "Ouais. Déjà désolé pour le retard, on a eu un bug mineur en prod qui a pris "
        "deux heures à trouver, classique. [rires] Donc moi c'est Kévin, j'ai vingt-six "
        "ans, je suis développeur, je bosse dans une boîte de services informatiques à "
        "Lille. Et j'ai grandi à Loos-en-Gohelle, juste à côté des terrils, les jumeaux. "
        "Je les voyais de ma chambre. [rires]"),
    (E, "Tu es parti quand ?"),
    (K, "À dix-huit ans, après le bac. Pour la fac, à Villeneuve-d'Ascq. Et puis j'suis "
        "jamais vraiment revenu. Enfin, je reviens chez mes parents une fois par mois à "
        "peu près. Mais j'habite à Lille depuis... ouais, huit ans."),
    (E, "Qu'est-ce qui t'a fait partir ?"),
    (K, "Ben... les études, déjà. Y avait la fac à Lens, y avait même de l'info, mais "
        "moi je voulais Lille. Honnêtement, je voulais partir. Voir autre chose. À "
        "dix-sept ans, quand t'es mineur, t'as pas le permis, t'as pas de voiture, le "
        "dernier bus il passe à vingt heures... tu t'ennuies, quoi. Lille c'était la "
        "grande ville, les bars, les concerts."),
    (E, "Et ta famille, elle a un lien avec la mine ?"),
    (K, "Ouais, mon grand-père. Le père de ma mère. Il a fini au 11/19 justement, c'était "
        "une des dernières fosses à fermer dans le coin, en 86 je crois. Il est mort "
        "quand j'avais dix ans, donc j'ai pas trop de souvenirs de lui qui en parle. Je "
        "me souviens qu'il avait du mal à respirer. La silicose, je l'ai su après. Ma "
        "grand-mère, elle, elle raconte encore. Le coron, les fêtes, la misere aussi, "
        "les fins de mois."),
    (E, "Et toi, enfant, le 11/19, c'était quoi pour toi ?"),
    (K, "[rires] C'était notre terrain de jeu. On montait sur le terril en cachette, on "
        "descendait en glissant sur le schiste, on rentrait tout noirs, ma mère elle "
        "gueulait. [rires] Et puis y avait déjà le théâtre, dans les anciens bâtiments de "
        "la fosse. Avec l'école on allait voir des spectacles. Moi je comprenais pas "
        "trop, c'était du contemporain, des trucs bizarres. [rires] Mais c'était cool "
        "d'aller là-dedans."),
    (E, "La reconversion du site, tu l'as vue se faire ?"),
    (K, "Un peu, ouais. Quand j'étais petit, c'était encore un peu la friche. Et petit à "
        "petit, y a eu les bâtiments rénovés, les assos sur l'environnement, l'écologie. "
        "Loos c'est devenu un peu la ville pilote, là-dessus, le développement durable, "
        "les panneaux solaires, l'éco-construction... Franchement, quand t'es ado, tu "
        "t'en fiches. Mais avec le recul, je trouve ça plutôt intelligent. Ils ont pas "
        "voulu faire juste un musée. Ils ont essayé de faire un truc vivant, avec des "
        "gens qui bossent dedans."),
    (E, "Tu dis « juste un musée ». Pourquoi ?"),
    (K, "Parce que... y a un risque, je trouve, dans tout le bassin minier, de "
        "transformer ça en musée à ciel ouvert. Tout figé. Les chevalements repeints, les "
        "panneaux Unesco partout, les visites guidées. C'est bien pour les touristes, "
        "mais ça fait pas vivre les gens. Ma grand-mère elle dit « ils nous mettent sous "
        "cloche ». [rires] Un paysage culturel évolutif vivant, c'est ça le nom officiel, "
        "non ? « Vivant ». Ben faut qu'il reste vivant, justement."),
    (E, "[rires] Tu connais bien la formule !"),
    (K, "[rires] Ouais, j'ai fait un exposé dessus en terminale. L'inscription c'était "
        "en 2012, j'étais en cinquième, y avait eu tout un truc à l'école. Le prof "
        "d'histoire il était à fond. Il nous disait « vous vous rendez compte, vous "
        "vivez dans un site Unesco, comme Venise ! » [rires] Nous on regardait par la "
        "fenêtre, on voyait la départementale et le supermarché. [rires] Bon, et les "
        "terrils."),
    (E, "Est-ce que ça t'a rendu fier, quand même ?"),
    (K, "Sur le moment, pas vraiment. C'est venu après. C'est venu quand je suis parti, "
        "en fait. À la fac, les gens... y avait un peu de mépris, pas méchant, mais... "
        "« ah t'es de Lens ? T'as toutes tes dents ? » des blagues comme ça. Sur le "
        "chômage, sur le vote, sur l'accent. Au début je rigolais avec eux. Et puis à un "
        "moment ça m'a saoulé. Et c'est là que j'ai commencé à défendre. À dire « mon "
        "grand-père il est descendu à la fosse à quatorze ans, il a bossé toute sa vie "
        "pour que tes grands-parents à toi ils aient du chauffage ». [rires] Ça calmait."),
    (E, "Donc c'est en partant que tu t'es senti plus attaché ?"),
    (K, "Ouais, c'est paradoxal, hein. Tant que t'y es, tu vois que les défauts. Les rues "
        "vides, les magasins fermés, les potes qui font rien. Et une fois que t'es "
        "parti, tu te rends compte qu'y a un truc là-bas, une façon d'être. Les gens sont "
        "simples, ils te parlent. À Lille dans mon immeuble je connais personne. Chez mes "
        "parents, la voisine elle m'apporte encore des gaufres quand je reviens. [rires] "
        "C'est ça la solidarité des corons. Ce qui en reste, en tout cas."),
    (E, "Et tes amis d'enfance, ils sont restés ?"),
    (K, "Moitié-moitié, je dirais. Ceux qui ont fait des études longues, ils sont partis, "
        "presque tous. Lille, Paris, y en a une à Montréal. Ceux qui sont restés, ben... "
        "y en a qui s'en sortent bien, faut pas caricaturer. Y en a un qui est "
        "électricien, il a sa boîte, il gagne plus que moi. [rires] Mais y en a aussi "
        "qui galèrent. Intérim, chômage, les entrepôts. Un pote il a fait quatre ans de "
        "missions dans la logistique, il a jamais eu de CDI."),
    (E, "Tu penses que le territoire offre des perspectives aux jeunes ?"),
    (K, "(...) C'est compliqué. Dans mon domaine, quasi rien. Enfin, y a des trucs qui se "
        "créent, des tiers-lieux, des incubateurs, y a des efforts. Mais les vrais "
        "postes, c'est Lille. Après, le télétravail ça change la donne. Je fais deux "
        "jours par semaine, je pourrais techniquement habiter à Loos et aller à Lille "
        "trois jours. Le TER ça met quarante minutes. Et l'immobilier c'est trois fois "
        "moins cher."),
    (E, "Tu y penses ?"),
    (K, "Ouais. Sérieusement. Avec ma copine on en parle. Elle elle est de Lille, elle "
        "avait un peu les clichés, tu vois. [rires] Je l'ai emmenée au Louvre-Lens, sur "
        "les terrils, elle a trouvé ça beau. Elle a dit « mais c'est pas du tout comme je "
        "pensais ». Voilà. C'est ça le truc. L'image elle a changé, mais pas encore "
        "assez."),
    (E, "Justement, le Louvre-Lens, quel rôle il a joué selon toi ?"),
    (K, "Pour l'image, énorme. Je pense que c'est ce qui a le plus changé le regard de "
        "l'extérieur. Le nom « Louvre », c'est magique. Les gens de Paris connaissent "
        "Lens grâce à ça maintenant. Et grâce au foot. [rires] Mais pour les gens du "
        "coin... mes parents ils y sont allés une fois, à l'ouverture, et plus jamais. "
        "Mon père il dit « c'est pas pour nous, c'est pour les touristes ». Et il a pas "
        "tort sur un point : ça a été décidé d'en haut. Personne a demandé aux gens s'ils "
        "voulaient un musée ou une usine."),
    (E, "Tu penses qu'ils auraient préféré une usine ?"),
    (K, "[rires] Mon père oui, clairement. Lui il voit l'emploi d'abord. Mais moi je "
        "pense qu'on peut pas refaire une économie comme avant. Les Houillères c'était "
        "plus de cent mille personnes, ça reviendra jamais. Faut inventer autre chose. "
        "La culture, le tourisme, ça peut en faire partie, mais ça suffira pas. Et "
        "surtout faut que les gens d'ici se l'approprient. Si le Louvre c'est un vaisseau "
        "spatial posé là et que les gens du quartier passent à côté sans entrer, c'est "
        "raté."),
    (E, "Et d'après toi, c'est raté ?"),
    (K, "Non, pas complètement. Le parc autour, les gens s'y promènent, font leur "
        "footing, les gamins jouent. Ça, c'est une vraie appropriation. La galerie "
        "gratuite aussi. Mais l'effet sur l'économie, les commerces, les emplois... j'ai "
        "pas l'impression que ça ait décollé. Mais bon, je suis pas économiste. [rires] "
        "C'est un ressenti."),
    (E, "On parle beaucoup de marketing territorial, de la région qui se vend comme une "
        "marque. Tu en penses quoi ?"),
    (K, "Ah ouais, je vois. Les vidéos avec des drones sur les terrils au coucher du "
        "soleil. [rires] Je bosse un peu dans le digital, donc je vois bien comment c'est "
        "fait. C'est du storytelling. On prend la mine, on enlève la poussière, les "
        "morts, la silicose, et on garde les belles images. La fierté des gueules "
        "noires, la solidarité, les terrils verts. C'est pas faux, hein. Mais c'est un "
        "récit. Un récit qui arrange tout le monde."),
    (E, "Qu'est-ce qui manque dans ce récit ?"),
    (K, "Ben... la colère, je dirais. Les gens ici ils ont été exploités, puis "
        "abandonnés. Quand les fosses ont fermé, on a promis de la reconversion, des "
        "emplois, et pendant trente ans y a eu le chômage de masse. Ça, ça se met pas "
        "sur une affiche. Et c'est pour ça que les gens votent comme ils votent, aussi. "
        "Enfin, je rentre pas là-dedans. [rires]"),
    (E, "D'accord. Est-ce que tu te sens encore de là-bas ?"),
    (K, "Complètement. Quand on me demande d'où je viens, je dis pas « de Lille », je dis "
        "« du bassin minier ». J'ai un tatouage d'ailleurs. [rires] Les deux terrils. Sur "
        "l'avant-bras. Ma mère elle a failli pleurer."),
    (E, "[rires] De fierté ou de désespoir ?"),
    (K, "Les deux, je crois ! [rires] Non, de fierté. Elle a dit « ton grand-père il "
        "aurait aimé »."),
    (E, "Une dernière question : comment tu imagines le bassin minier dans vingt ans ?"),
    (K, "(...) J'aimerais que ce soit un endroit où les jeunes ont pas besoin de partir. "
        "Où on peut rester si on veut. Pas un musée, pas une cité-dortoir pour Lille, "
        "pas juste des entrepôts. Un endroit vivant, avec du boulot, de la culture, et où "
        "on est fier de dire d'où on vient. Et que les terrils restent, évidemment. "
        "[rires] Mes terrils."),
    (E, "Merci Kévin."),
    (K, "Merci à toi. C'était cool de parler de tout ça."),
]


def timestamps(turns: list[tuple[str, str]], start: float = 4.0) -> list[str]:
    """Deterministic start times: ~2.6 words/s of speech plus a short gap."""
    out = []
    t = start
    for i, (_, text) in enumerate(turns):
        secs = int(t)
        out.append(f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}")
        words = len(text.split())
        t += words / 2.6 + 1.0 + (i * 7 % 5) * 0.6
    return out


def build(out_path: Path) -> Path:
    doc = Document()
    doc.add_heading(TITLE, level=1)
    doc.add_paragraph(INTRO)

    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    header = table.rows[0].cells
    for cell, label in zip(header, ("Locuteur", "Temps", "Texte")):
        cell.text = label
        for run in cell.paragraphs[0].runs:
            run.bold = True

    for (speaker, text), stamp in zip(TURNS, timestamps(TURNS)):
        row = table.add_row().cells
        row[0].text = speaker
        row[1].text = stamp
        row[2].text = text
        for cell in row:
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(10)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out_path))
    return out_path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    print(build(target))
