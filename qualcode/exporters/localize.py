"""Analysis tables in the export language: titles, notes and labels of the code rows.

The analyses (:mod:`qualcode.analysis`) write their titles and notes in English for the
terminal, and record what they counted as data in ``TableResult.meta`` (``counted``,
``unit``, ``groups``…). :func:`localize` rewrites a table's title, notes, the "All
codes" row and the ``(no case)`` group in the export language from that data, with the
display labels of :class:`~qualcode.i18n.Labels`. English tables are returned as they are.
"""

from __future__ import annotations

from typing import Any

from qualcode.analysis.freq import ALL_CODES, NO_CASE
from qualcode.analysis.table import TableResult
from qualcode.exporters.typography import fr_typography
from qualcode.i18n import Labels, n_equals, number

_FR_UNITS = {"sentence": "phrases", "turn": "tours de parole", "doc": "documents"}


def group_label(group: Any, by: str | None, labels: Labels) -> str:
    """A group's display label (``(no case)`` in the export language)."""
    if group == NO_CASE:
        return "(sans cas)" if labels.language == "fr" else NO_CASE
    return labels.value(by, group)


def localize(table: TableResult, labels: Labels) -> TableResult:
    """``table`` with its title, notes and total row in ``labels.language``."""
    if labels.language != "fr":
        return table
    meta = table.meta or {}
    counted = meta.get("counted")
    if meta.get("kind") == "freq" and counted is not None:
        title, notes = _freq_fr(meta, labels)
    elif meta.get("unit") and counted is not None:
        title, notes = _cooc_fr(meta, labels)
    elif meta.get("kind") == "matrix" and meta.get("cols") and counted is not None:
        title, notes = _matrix_fr(meta, labels)
    elif meta.get("kind") == "words" and meta.get("top"):
        title, notes = _words_fr(meta, labels)
    else:
        return table
    notes = [fr_typography(n) for n in notes]
    cols = table.columns
    if "code" in cols and "label" in cols and ALL_CODES in table.column("code"):
        code, label = cols.index("code"), cols.index("label")
        rows = [(*r[:label], "Tous les codes", *r[label + 1:]) if r[code] == ALL_CODES else r for r in table.rows]
        return table.replace(title=title, notes=notes, rows=rows)
    return table.replace(title=title, notes=notes)


def _plural(n: int, one: str, many: str) -> str:
    return f"{number(n, 'fr')} {one if n <= 1 else many}"


def counted_fr(counted: dict, labels: Labels) -> list[str]:
    """The French notes on what was counted (statuses, coders, reviews)."""
    statuses = " ou ".join(labels.status(s) for s in counted["statuses"])
    left_out = counted.get("left_out") or []
    if counted.get("coders"):
        coders = ", ".join(counted["coders"])
        who = f"codeur{'s' if len(counted['coders']) > 1 else ''} {coders}"
    else:
        found = counted.get("coders_found") or []
        who = "tous les codeurs" + (f" ({', '.join(found)})" if found else "")
    line = (f"Décompte : {_plural(counted['codings'], 'codage', 'codages')} au statut {statuses}"
            + (f" ({' et '.join(labels.status(s) for s in left_out)} : exclus)" if left_out else "")
            + f", par {who}")
    retired = counted.get("retired") or 0
    if retired:
        line += (" ; 1 codage d'un code retiré exclu" if retired == 1
                 else f" ; {number(retired, 'fr')} codages de codes retirés exclus")
    unreviewed = counted.get("unreviewed") or 0
    if "proposed" in counted["statuses"]:
        second = (f"Non revus : {number(unreviewed, 'fr')} des codages comptés sont des propositions "
                  "pas encore revues.")
    else:
        second = (f"Non revus : {_plural(unreviewed, 'proposition', 'propositions')} pas encore "
                  "revue(s), non comptée(s).")
    return [line + ".", second]


def _freq_fr(meta: dict, labels: Labels) -> tuple[str, list[str]]:
    by = meta.get("by")
    title = "Codes" + (f" par {labels.attribute(str(by))}" if by else "")
    if meta.get("level") == "top":
        title += " (codes de premier niveau)"
    notes = counted_fr(meta["counted"], labels)
    notes.append("Unités : passages codés distincts (document, début, fin) ; un code compte les unités "
                 "distinctes codées avec lui ou l'un de ses sous-codes.")
    total = meta.get("total_cases") or 0
    sizes = meta.get("group_sizes") or {}
    groups = [g for g in meta.get("groups") or [] if g != NO_CASE]
    if total:
        if by:
            parts = ", ".join(f"{group_label(g, by, labels)} {n_equals(sizes.get(g, 0), 'fr')}" for g in groups)
            notes.append(f"Participants : cas liés à un document qui contient une unité ; % des cas du groupe "
                         f"({parts}) ; total en % de l'ensemble des {number(total, 'fr')} cas.")
        else:
            notes.append(f"Participants : cas liés à un document qui contient une unité ; % de l'ensemble "
                         f"des {number(total, 'fr')} cas.")
    else:
        notes.append("Participants : aucun cas (voir « qualcode cases import »).")
    if NO_CASE in (meta.get("groups") or []):
        notes.append("(sans cas) : documents liés à aucun cas (unités seulement).")
    return title, notes


def _cooc_fr(meta: dict, labels: Labels) -> tuple[str, list[str]]:
    unit = _FR_UNITS.get(meta["unit"], meta["unit"])
    jaccard = meta.get("jaccard")
    by, group = meta.get("by"), meta.get("group")
    title = ("Indice de Jaccard des codes" if jaccard else "Co-occurrence des codes") + f" (unités : {unit})"
    if group is not None:
        title += f" – {labels.attribute(str(by))} : {group_label(group, by, labels)}"
    notes = counted_fr(meta["counted"], labels)
    if jaccard:
        notes.append(f"Cellules : indice de Jaccard |A∩B| / |A∪B| sur les {unit} codé(e)s avec chaque code "
                     "(un codage appartient à chaque unité qu'il chevauche ; un code inclut ses sous-codes).")
    else:
        notes.append(f"Cellules : nombre de {unit} où les deux codes apparaissent (un codage appartient à chaque "
                     f"unité qu'il chevauche ; un code inclut ses sous-codes) ; diagonale : {unit} codé(e)s "
                     "avec le code.")
    notes.append("Cellules vides : un code et l'un de ses sous-codes (un parent contient ses sous-codes).")
    if group == NO_CASE:
        notes.append("(sans cas) : documents liés à aucun cas.")
    elif group is not None:
        notes.append(f"Documents des {number(meta.get('group_size') or 0, 'fr')} cas dont "
                     f"{labels.attribute(str(by))} = {group_label(group, by, labels)}.")
    outside = meta.get("outside") or 0
    if outside:
        notes.append(f"{_plural(outside, 'codage', 'codages')} hors de toute unité ({unit}), non compté(s).")
    return title, notes


def _matrix_fr(meta: dict, labels: Labels) -> tuple[str, list[str]]:
    cols = meta["cols"]
    what = {"docs": "documents", "cases": "cas"}.get(cols) or f"valeurs de {labels.attribute(cols)}"
    presence = meta.get("presence")
    title = f"Codes × {what} ({'présence' if presence else 'unités codées'})"
    notes = counted_fr(meta["counted"], labels)
    if presence:
        notes.append("Cellules : 1 si le code (ou un sous-code) a une unité codée dans les documents de la "
                     f"colonne, sinon 0 ; total : nombre de {what} où le code est présent.")
    else:
        notes.append("Cellules : unités codées distinctes (document, début, fin) du code et de ses sous-codes ; "
                     "total : unités distinctes du code.")
    if meta.get("several_cases"):
        notes.append("Un document lié à plusieurs cas compte pour chacun d'eux.")
    if NO_CASE in (meta.get("matrix_columns") or []):
        notes.append("(sans cas) : documents liés à aucun cas.")
    return title, notes


def _words_fr(meta: dict, labels: Labels) -> tuple[str, list[str]]:
    by, group = meta.get("by"), meta.get("group")
    title = f"Lemmes les plus fréquents (top {meta['top']})"
    who = ""
    if group is not None:
        title += f" – {labels.attribute(str(by))} : {group_label(group, by, labels)}"
        who = (" des documents liés à aucun cas" if group == NO_CASE
               else f" des documents des {number(meta.get('group_size') or 0, 'fr')} cas dont "
                    f"{labels.attribute(str(by))} = {group_label(group, by, labels)}")
    turns = ("tous les tours de parole" if meta.get("include_interviewer")
             else "les tours des participants (sans ceux de l'enquêteur)")
    docs = meta.get("documents") or 0
    notes = [f"Mots : {number(meta.get('words') or 0, 'fr')} mots dans {turns}{who} "
             f"({_plural(docs, 'document', 'documents')}) ; ponctuation et texte entre [crochets] exclus.",
             f"Décompte : lemmes en minuscules ({meta.get('pipeline')}), sans mots vides (spaCy, "
             f"{number(meta.get('stop_words') or 0, 'fr')} mots), nombres, hésitations "
             f"({', '.join(meta.get('hesitations') or [])}…)"
             + (f" et {', '.join(meta['exclude'])}" if meta.get("exclude") else "")
             + " ; pour 1 000 mots = effectif / mots × 1 000."]
    return title, notes
