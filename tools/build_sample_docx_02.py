"""Build transcripts_sample/entretien_02_mission_bassin_minier.docx.

Fictional interview (P02, "M. Caron", chargé de mission patrimoine at the
Mission Bassin Minier) used as bundled sample data for qualcode.

Layout of the generated Word document:
  * one title paragraph (style "Title");
  * one metadata paragraph (style "Normal", italic);
  * one paragraph per speaker turn, starting with "Q : " (interviewer) or
    "R : " (participant). The label is written as a separate bold run, the
    text as a plain run, so paragraph.text is "Q : ..." / "R : ...";
  * some answers span two paragraphs: the second paragraph has no label and
    belongs to the preceding "R : " turn.

Run with the project venv:  /work/venv/bin/python tools/build_sample_docx_02.py
"""

from pathlib import Path

from docx import Document
from docx.shared import Pt

OUT = Path(__file__).resolve().parent.parent / "transcripts_sample" / "entretien_02_mission_bassin_minier.docx"

TITLE = "Entretien n°2 – M. Caron, Mission Bassin Minier (entretien fictif)"
META = ("Entretien fictif réalisé à Lens le 21 mars 2024 – durée : 48 min – "
        "participant : M. Caron (pseudonyme), 47 ans, chargé de mission patrimoine "
        "à la Mission Bassin Minier – Q : enquêtrice, R : participant.")

# Each item is (label, text). label "Q" or "R" starts a new turn; label None is
# a continuation paragraph of the previous turn (no label in the document).
TURNS = [
    ("Q", "Alors, pour commencer, vous pouvez me présenter votre poste ?"),
    ("R", "Oui, bien sûr. Alors, euh, je suis chargé de mission patrimoine à la Mission Bassin Minier depuis... ça va faire quinze ans, je suis arrivé en 2009, donc en pleine préparation du dossier Unesco. Je suis géographe de formation, un peu urbaniste aussi. Et je suis pas d'ici, hein, je le dis tout de suite [rires], je suis picard. Donc j'avais un regard un peu extérieur, au départ. Maintenant, bon, j'habite à Lens, mes enfants sont nés ici, je me sens d'ici."),
    ("Q", "D'accord. Et la Mission, elle fait quoi exactement ?"),
    ("R", "C'est une structure d'ingénierie, on est- on est un outil au service des collectivités, de l'État, de la Région, pour accompagner le développement du bassin minier. L'urbanisme, le paysage, l'habitat, la trame verte, et le patrimoine, évidemment. Et depuis 2012 on coordonne la gestion du bien inscrit au patrimoine mondial. C'est nous qui suivons le plan de gestion, qui faisons le lien avec l'Unesco et le ministère, qui conseillons les communes quand elles ont un projet sur un élément classé."),
    ("Q", "Vous pouvez me raconter un peu comment s'est passée la candidature ?"),
    ("R", "Oui. Alors c'était une aventure, hein. C'est parti du milieu associatif, au début des années 2000, avec l'idée un peu folle de faire classer le bassin minier. À l'époque beaucoup de gens rigolaient. Le bassin minier à l'Unesco, à côté du Mont-Saint-Michel ou de Versailles, ça paraissait absurde. Il y avait encore cette image du pays noir, de la misère, du pays qu'on quitte."),
    (None, "Et puis il a fallu tout inventorier. Les fosses, les chevalements, les terrils, les cités, les écoles, les églises, les salles des fêtes, les dispensaires... Les archives des Houilleres, c'était une vraie mine d'informations, d'ailleurs. Et au final le bien inscrit c'est 353 éléments, sur 87 communes, 120 000 hectares. C'est énorme. Bon, les chiffres exacts je vous les enverrai, je veux pas dire de bêtises."),
    ("Q", "Mhm. Et pourquoi « paysage culturel évolutif vivant » ?"),
    ("R", "C'est une catégorie de l'Unesco, et c'est tout l'enjeu. Un paysage culturel évolutif vivant, c'est un paysage qui continue à être habité, à évoluer. Nous ce qu'on a défendu, c'est que le bassin minier c'est pas des monuments isolés, un chevalement par-ci, un terril par-là, c'est un système. La fosse, le terril, la cité, l'école, l'église, le cavalier qui relie tout ça, c'est un ensemble cohérent, façonné par presque trois siècles d'exploitation du charbon. Et ce paysage il est vivant parce qu'il y a des gens qui vivent dans les cités, qui- qui ont des enfants, qui font des barbecues dans les jardins. [rires] On n'est pas à Pompéi."),
    ("Q", "Et concrètement, ça se traduit comment ?"),
    ("R", "Eh ben ça veut dire qu'on doit accepter que ça change. Et c'est ça qui est compliqué. Parce que la tentation, quand vous avez un label, c'est de tout figer, de mettre sous cloche. Or vous avez des dizaines de milliers de personnes qui habitent dans des cités minières classées, ils ont besoin d'isoler leur maison, de changer les fenêtres, de faire une extension pour la salle de bain... On peut pas leur dire non à tout. Mais si on laisse faire n'importe quoi, dans vingt ans la cité elle a perdu ce qui faisait sa valeur. Donc on négocie, on fait des guides, des cahiers de recommandations avec les bailleurs."),
    (None, "Et c'est pas un problème mineur, hein, parce que la plupart des logements miniers appartiennent à des bailleurs sociaux, et les rénovations se font par milliers. Si on rate ça, on rate tout."),
    ("Q", "D'accord. Et il y a eu des tensions avec les habitants, là-dessus ?"),
    ("R", "Oui, forcément. Forcément. Il y a des gens qui vivent le classement comme une contrainte pure, une décision qui est venue d'en haut, de Paris, d'experts qu'ils ont jamais vus. [Q : mhm] Et je vais être honnête, au moment de la candidature, la concertation avec les habitants, elle a été... limitée. Il y a eu des réunions publiques, des expositions, des milliers de signatures de soutien. Mais est-ce qu'on a vraiment demandé aux habitants des cités ce qu'ils voulaient ? Pas vraiment. C'était un projet porté par des élus, des techniciens, des passionnés. Des élites locales, on va dire, même si le mot est un peu dur."),
    ("Q", "Et aujourd'hui, ça a changé ?"),
    ("R", "On essaie de faire mieux. On forme des habitants relais, des ambassadeurs du patrimoine, on fait des ateliers dans les cités. Et on s'appuie beaucoup sur les associations d'anciens mineurs, qui font visiter pendant les Journées du patrimoine. Parce que les anciens, eux, ils se sont approprié le classement très vite. Pour eux c'était une reconnaissance, presque une réparation. « Enfin on reconnaît ce qu'on a fait. » Il y a une fierté énorme, et entre eux une solidarité qui est restée intacte. Les plus jeunes, c'est plus variable."),
    ("Q", "Mhm. Vous parliez de l'image du territoire tout à l'heure..."),
    ("R", "Oui, l'image, c'est central, même si c'est pas écrit dans nos missions. Le bassin minier souffre d'un stigmate, c'est documenté. Le pays noir, le chômage, la pauvreté, l'alcool, la santé, l'espérance de vie plus courte... Une partie est réelle, les indicateurs sociaux sont mauvais, on va pas le nier. Mais l'image elle est pire que la réalité, et surtout elle est figée. Et le label, c'est un outil pour retourner le stigmate. Dire : ce que vous considérez comme des cicatrices, c'est un patrimoine de l'humanité. Les terrils c'est pas des tas de déchets, c'est nos pyramides. [rires] Bon, la formule est un peu usée maintenant."),
    ("Q", "Et ça marche ?"),
    ("R", "En partie. L'image s'améliore, à l'extérieur surtout. Les touristes sont souvent surpris, ils s'attendaient à un truc sinistre, et ils découvrent des terrils boisés, des cités avec des jardins. Mais faut pas se raconter d'histoires. Le classement, à lui seul, il crée pas d'emplois. [Q : d'accord] On a eu au début un discours un peu trop optimiste, comme si le label allait tout régler. Non. C'est un levier, c'est pas une baguette magique."),
    ("Q", "Vous parlez des touristes... Il y a une stratégie de mise en tourisme ?"),
    ("R", "Oui, alors c'est surtout les offices de tourisme, le Département, la Région qui portent ça. Nous on intervient sur le fond, sur la cohérence du récit. Et là il y a un vrai débat. Le tourisme a besoin d'un récit simple, d'images fortes, de sites phares : le Louvre-Lens, le 11/19, le 9-9bis, Arenberg. Ce sont les vitrines. Et le risque, c'est que le reste, les petites cités, les petites fosses, tombe dans l'oubli. On concentre les moyens sur trois ou quatre grands projets et le reste du territoire il a rien."),
    ("Q", "Vous pensez que c'est ce qui se passe ?"),
    ("R", "(...) Un peu. Un peu, oui. Le Louvre-Lens a aspiré beaucoup d'attention, et c'était voulu. C'est un projet d'État, une décision prise au plus haut niveau, ça a eu des effets formidables sur l'image, la presse internationale... Mais sur l'économie locale c'est plus mitigé, on n'a pas eu l'effet Bilbao qu'on avait vendu. Et ce storytelling du « Louvre chez les mineurs », « la culture au pays des gueules noires », ça peut être un peu condescendant, hein. Il y a des habitants qui l'ont ressenti comme ça."),
    ("Q", "Et vous, personnellement ?"),
    ("R", "Moi je suis entre les deux. Le musée est magnifique, l'architecture est sublime, et il est posé sur l'ancien carreau d'une fosse, on a gardé les cavaliers, les traces. Pour des enfants de Lens, d'Avion, de Liévin, grandir à côté du Louvre, c'est pas rien. Mais pendant longtemps le musée a un peu ignoré la mine, il était posé là comme un vaisseau spatial. Ça s'est amélioré, mais au début c'était- c'était deux mondes."),
    ("Q", "D'accord. Et les autres sites, le 9-9bis, Arenberg, comment vous voyez leur reconversion ?"),
    ("R", "C'est des modèles différents. Le 9-9bis à Oignies, c'est la dernière fosse du Nord-Pas-de-Calais, fermée fin 1990, donc c'est très symbolique. La reconversion s'est faite autour de la musique, avec le Métaphone, la salle de concert. Et les bâtiments, la salle des machines, sont conservés, avec les anciens qui font visiter. Ça marche plutôt bien, je trouve : la fonction a changé, on fait de la musique là où on remontait le charbon, mais l'atmosphère du lieu est encore là, on sent la mine. La forme est gardée, la fonction change."),
    (None, "Arenberg, à Wallers, c'est l'image, le cinéma, les médias, avec Arenberg Creative Mine et l'université. C'est un site qui avait servi de décor pour le film Germinal, donc il y a une mise en abyme assez drôle. [rires]"),
    ("Q", "Et les habitants de ces communes, ils fréquentent ces lieux ?"),
    ("R", "Ça dépend. C'est toujours la question de l'appropriation. Pour les fêtes, les concerts gratuits, les marchés, oui. Pour les activités plus pointues, la recherche, l'audiovisuel, moins. Il y a un risque que ces sites deviennent des enclaves, avec un public qui vient de la métropole lilloise, et les gens de la cité d'à côté qui regardent ça de loin."),
    ("Q", "Et qu'est-ce qui fait qu'un site est approprié ou pas, selon vous ?"),
    ("R", "(...) Bonne question. Je dirais... que les gens puissent y entrer sans payer, sans avoir à se justifier. Qu'il y ait des usages ordinaires, se promener, pique-niquer, promener le chien. Que les anciens y aient une place, que ce soit pas un patrimoine « sans les mineurs ». Et le temps. Les terrils, il y a trente ans les gens les trouvaient laids, aujourd'hui ils font partie du paysage affectif. Quand il y a eu des projets pour exploiter un terril, il y a eu des mobilisations. Ça, c'est de l'appropriation."),
    ("Q", "Et pour l'avenir, l'emploi, les jeunes, vous voyez les choses comment ?"),
    ("R", "C'est là que je suis le plus inquiet. Si les jeunes diplômés partent à Lille ou à Paris parce qu'il y a pas de travail, on aura un beau paysage avec des gens âgés et pauvres dedans. Il faut de l'emploi, et il viendra pas que du tourisme : c'est souvent saisonnier, peu qualifié, mal payé. Il faut de l'industrie. Maintenant il y a les usines de batteries du côté de Douai, c'est un peu ironique, on revient à l'énergie. [rires] Et il y a des jeunes qui reviennent, ou qui restent, parce que la vie est moins chère, qu'ils peuvent acheter une maison. Ça c'est nouveau."),
    ("Q", "Et le patrimoine peut jouer un rôle là-dedans ?"),
    ("R", "Oui, pour l'attractivité résidentielle. Une cité minière rénovée, avec ses jardins, à une demi-heure de Lille, ça peut attirer. Le risque, à terme, c'est la gentrification. Bon, on en est loin [rires], mais dans certaines cités bien placées les prix montent. Et il faudra faire attention à ce que les ayants droit, les veuves de mineurs, les familles, ne soient pas poussés dehors. C'est une question sociale autant que patrimoniale."),
    ("Q", "Une dernière question : si vous deviez résumer, le classement, c'est un succès ?"),
    ("R", "(...) Oui, globalement. Pour la fierté, pour l'image, pour la protection de sites qui sans ça auraient été rasés, c'est sûr. Pour l'économie, il faut être modeste. Mais douze ans, c'est rien à l'échelle d'un paysage. Il a fallu deux siècles pour construire ce paysage, on va pas le reconvertir en dix ans. [rires]"),
    ("Q", "Merci beaucoup."),
    ("R", "Merci à vous. Et relancez-moi pour les chiffres, hein."),
]


def build(out: Path = OUT) -> Path:
    doc = Document()
    doc.core_properties.title = "Entretien n°2 – Mission Bassin Minier (fictif)"
    doc.core_properties.author = "Enquêtrice"
    doc.styles["Normal"].font.size = Pt(11)

    doc.add_paragraph(TITLE, style="Title")
    meta = doc.add_paragraph()
    meta.add_run(META).italic = True

    for label, text in TURNS:
        p = doc.add_paragraph()
        if label is not None:
            p.add_run(f"{label} : ").bold = True
        p.add_run(text)

    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


if __name__ == "__main__":
    path = build()
    n_words = sum(len(t.split()) for _, t in TURNS)
    n_turns = sum(1 for label, _ in TURNS if label is not None)
    print(f"wrote {path} ({n_turns} turns, {n_words} words of turn text)")
