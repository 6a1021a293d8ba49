"""python-docx plumbing shared by the DOCX exporters: proofing language and provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from qualcode.exporters.base import Provenance

LANG_TAGS = {"fr": "fr-FR", "en": "en-GB", "de": "de-DE", "es": "es-ES", "it": "it-IT", "nl": "nl-NL",
             "pt": "pt-PT"}


def set_language(doc, language: str) -> None:
    """Proofing language of the document's default run properties (``fr`` -> fr-FR)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANG_TAGS.get(language, language if "-" in language else "en-GB"))


def provenance_text(provenance: Provenance) -> str:
    return xml_safe(f"qualcode: {provenance.line()}")


def without_paths(command: str) -> str:
    """The command with every absolute path (or ``--opt=/abs/path``) reduced to its file
    name: a footer printed on every page names the project and the command, not the
    author's folders."""
    import ntpath
    import posixpath
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    out = []
    for w in words:
        opt, eq, value = w.partition("=") if w.startswith("--") else ("", "", w)
        if posixpath.isabs(value) or ntpath.isabs(value) or value.startswith("~"):
            value = ntpath.basename(posixpath.basename(value.rstrip("/\\"))) or value
        out.append(opt + eq + value)
    return shlex.join(out)


def footer_text(provenance: Provenance) -> str:
    """``qualcode: project: X; command: qualcode … -o report.docx; created: …``."""
    return xml_safe(f"qualcode: project: {provenance.project}; command: {without_paths(provenance.command)}; "
                    f"created: {provenance.created}")


def stamp_provenance(doc, provenance: Provenance, *, title: str | None = None) -> None:
    """Record what produced the document: core properties (title, author, comments —
    Word keeps 255 characters there) and the page footer (sections added later inherit
    it)."""
    from docx.shared import Pt, RGBColor

    if title:
        doc.core_properties.title = xml_safe(title)
    doc.core_properties.author = "qualcode"
    doc.core_properties.comments = xml_safe(provenance.line().replace(provenance.command, without_paths(
        provenance.command))[:255])
    footer = doc.sections[0].footer
    para = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    para.text = ""
    run = para.add_run(footer_text(provenance))
    run.font.size = Pt(7)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def provenance_paragraph(doc, provenance: Provenance):
    """A small grey paragraph with the provenance, where the document is at."""
    from docx.shared import Pt, RGBColor

    para = doc.add_paragraph()
    run = para.add_run(provenance_text(provenance).replace(provenance.command, without_paths(provenance.command)))
    run.font.size = Pt(8)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    return para
