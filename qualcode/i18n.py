"""The words and number formats of exported files, per language, and display labels.

The words a qualcode export writes for a reader (titles, headers, chart axes, statuses,
attribute names) come from :data:`CATALOGUES` through :func:`tr` — the notes of the
analysis tables from :mod:`qualcode.exporters.localize`, the excerpts' and the report's
from their modules' tables — in the *export language*:
``--lang`` if given, else ``[export] language`` in ``qualcode.toml``, else the project's
``[project] language`` (:func:`export_language`). French and English are written out;
any other project language gets the English words.

Numbers are formatted for the language with Babel (:func:`number`, :func:`percent`,
:func:`n_equals`): ``83,3 %``, ``n = 5``, ``0,049`` in French; ``83.3%``, ``n = 5``,
``0.049`` in English. CSV, XLSX and JSON keep plain numbers (data for other programs).

Display labels (:class:`Labels`) replace identifiers in sentences, headers, charts and
citations. They come from the ``[labels]`` table of ``qualcode.toml``::

    [labels]
    group.local_actor = "acteurs locaux"   # a value of the case attribute 'group'
    group.resident = "habitants"
    status.proposed = "proposé"           # a coding status

    [labels.attributes]                    # the names of case attributes
    group = "groupe"

The catalogue gives French names for common attribute names and for the statuses, so a
French project reads "Codes par groupe", not "Codes par group", without any setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qualcode.errors import QualcodeError, UsageError

EXPORT_LANGUAGES = ("fr", "en")
NBSP = "\u00a0"
NNBSP = "\u202f"
_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}

CATALOGUES: dict[str, dict[str, str]] = {
    "fr": {
        # statuses and common attribute names (overridden by [labels])
        "status.proposed": "proposé", "status.accepted": "accepté", "status.rejected": "rejeté",
        "attribute.group": "groupe", "attribute.gender": "genre", "attribute.age": "âge",
        "attribute.commune": "commune", "attribute.role": "rôle", "attribute.pseudonym": "pseudonyme",
        "attribute.case": "cas", "attribute.document": "document", "attribute.sex": "sexe",
        # citations
        "turn": "tour",
        # cases export
        "cases.title": "Tableau des enquêtés",
        "cases.case": "Enquêté",
        "cases.documents": "Entretiens",
        "cases.count": "{n} enquêtés",
        # charts
        "chart.participants_axis": "participants qui mentionnent le code (% du groupe ; effectif entre "
                                   "parenthèses)",
        "chart.units_axis": "unités codées (passages distincts)",
        "chart.jaccard": "indice de Jaccard",
        "chart.cooc_units": "unités où les deux codes apparaissent",
        # column headers of document tables (DOCX, LaTeX)
        "column.code": "Code", "column.label": "Code", "column.units": "unités",
        "column.participants": "participants", "column.total": "total", "column.rank": "rang",
        "column.lemma": "lemme", "column.count": "effectif", "column.per 1000 words": "pour 1 000 mots",
        "column.documents": "documents",
        "chart.top_level": "codes de premier niveau", "chart.sub_codes": "sous-codes",
    },
    "en": {
        "turn": "turn",
        "cases.title": "Interviewees",
        "cases.case": "Interviewee",
        "cases.documents": "Interviews",
        "cases.count": "{n} interviewees",
        "chart.participants_axis": "participants who mention the code (% of the group; count in brackets)",
        "chart.units_axis": "coded units (distinct passages)",
        "chart.jaccard": "Jaccard index",
        "chart.cooc_units": "units where both codes occur",
        "column.code": "Code", "column.label": "Code",
        "chart.top_level": "top-level codes", "chart.sub_codes": "sub-codes",
    },
}


def check_language(language: str) -> str:
    """``language`` if qualcode writes exports in it, else a usage error."""
    if language not in EXPORT_LANGUAGES:
        raise UsageError(f"unknown export language {language!r} (choose from {', '.join(EXPORT_LANGUAGES)})")
    return language


def export_language(config: Mapping[str, Any], override: str | None = None) -> str:
    """The language of exported files: ``override`` (``--lang``), else ``[export]
    language``, else ``[project] language`` (English words for a language without a
    catalogue)."""
    if override:
        return check_language(override)
    configured = (config.get("export") or {}).get("language")
    if configured:
        if configured not in EXPORT_LANGUAGES:
            raise QualcodeError(f"[export] language = {configured!r}: choose from {', '.join(EXPORT_LANGUAGES)}",
                                path="qualcode.toml")
        return str(configured)
    project = str((config.get("project") or {}).get("language", "fr"))
    return project if project in EXPORT_LANGUAGES else "en"


def words(language: str) -> dict[str, str]:
    return CATALOGUES["fr" if language == "fr" else "en"]


def tr(language: str, key: str, **values: Any) -> str:
    """The catalogue's text for ``key`` in ``language`` (English when missing), formatted."""
    text = words(language).get(key)
    if text is None:
        text = CATALOGUES["en"].get(key, key)
    return text.format(**values) if values else text


# --------------------------------------------------------------------------- numbers


def number(value: float | int, language: str, decimals: int | None = None) -> str:
    """``value`` with the language's decimal sign and grouping (``1 234,5`` in French).

    ``decimals``: exactly that many decimals; None: integers as integers, other numbers
    with up to 3 decimals."""
    from babel.numbers import format_decimal

    locale = _BABEL_LOCALES.get(language, "en_GB")
    if isinstance(value, bool):
        return str(value)
    if decimals is None:
        if float(value).is_integer():
            pattern = "#,##0"
        else:
            pattern = "#,##0.###"
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = format_decimal(value, format=pattern, locale=locale)
    return text.replace(NNBSP, NBSP) if language == "fr" else text


def percent(value: float | int, language: str, decimals: int = 0) -> str:
    """``value`` (already in %: 83.3) as ``83,3 %`` (French, no-break space) or ``83.3%``."""
    text = number(value, language, decimals)
    return text + (f"{NBSP}%" if language == "fr" else "%")


def n_equals(n: int, language: str) -> str:
    """``n = 5`` (no-break spaces, so that it never breaks across lines)."""
    return f"n{NBSP}={NBSP}{number(n, language)}"


# --------------------------------------------------------------------------- labels


@dataclass
class Labels:
    """Display labels of attribute names, attribute values and statuses.

    Built from ``[labels]`` of ``qualcode.toml`` (see the module documentation) and the
    export language's catalogue; an identifier without a label is shown as it is.
    """

    language: str = "en"
    attributes: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], language: str) -> Labels:
        table = config.get("labels") or {}
        if not isinstance(table, Mapping):
            raise QualcodeError("[labels] must be a table (e.g. group.local_actor = \"acteurs locaux\")",
                                path="qualcode.toml")
        attributes: dict[str, str] = {}
        values: dict[str, dict[str, str]] = {}
        statuses: dict[str, str] = {}
        for key, item in table.items():
            if key == "attributes" and isinstance(item, Mapping):
                attributes.update({str(k): str(v) for k, v in item.items()})
            elif key == "status" and isinstance(item, Mapping):
                statuses.update({str(k): str(v) for k, v in item.items()})
            elif isinstance(item, Mapping):
                values[str(key)] = {str(k): str(v) for k, v in item.items()}
            else:
                raise QualcodeError(f"[labels] {key} = {item!r}: write {key}.VALUE = \"label\" for the values "
                                    f"of the attribute {key!r}, or put attribute names under "
                                    "[labels.attributes]", path="qualcode.toml")
        return cls(language, attributes, values, statuses)

    def attribute(self, name: str) -> str:
        """The display name of a case attribute (``group`` -> ``groupe`` in French)."""
        if name in self.attributes:
            return self.attributes[name]
        return words(self.language).get(f"attribute.{name}", name)

    def value(self, attribute: str | None, value: Any) -> str:
        """The display label of an attribute's value (numbers formatted for the language;
        values joined with ``/`` are labelled one by one)."""
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return number(value, self.language)
        text = str(value)
        table = self.values.get(attribute or "", {})
        if text in table:
            return table[text]
        if "/" in text and table:
            return "/".join(table.get(part, part) for part in text.split("/"))
        return text

    def status(self, status: str) -> str:
        if status in self.statuses:
            return self.statuses[status]
        return words(self.language).get(f"status.{status}", status)


def labels_for(config: Mapping[str, Any], language: str) -> Labels:
    return Labels.from_config(config, language)
