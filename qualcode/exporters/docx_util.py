"""python-docx plumbing shared by the DOCX exporters: proofing language, provenance, and the
body writer that appends paragraphs in constant time (:class:`BodyWriter`)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

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

    para = body_writer(doc).paragraph()
    run = para.add_run(provenance_text(provenance).replace(provenance.command, without_paths(provenance.command)))
    run.font.size = Pt(8)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    return para


class BodyWriter:
    """Paragraphs appended at the end of a python-docx document in constant time.

    ``doc.add_paragraph(text, style=name)`` does what this does, but costs time that grows
    with the document: it looks the style up by name (an XPath over every style, then a
    scan of them all for the type's default) and finds the body's final ``w:sectPr`` by
    scanning every paragraph before it. A writer resolves each style name once, through
    python-docx (the same checks, the same ``None`` for the default style), and puts the
    new ``w:p`` just before the ``w:sectPr`` that is the body's last child: the XML is
    the one python-docx writes. The paragraphs are python-docx ``Paragraph`` objects, so
    runs and formatting go through its API as usual; tables, pictures and section breaks
    are still added with python-docx (few per document), and can be mixed with this.

    One writer per document: :func:`body_writer`.
    """

    def __init__(self, doc):
        self.doc = doc
        self._body = doc.element.body
        self._parent = doc._body  # what python-docx gives its body paragraphs as parent
        self._style_ids: dict[tuple[str, Any], str | None] = {}
        self._protos: dict[str | None, Any] = {}  # style name -> an empty w:p to copy
        self._run_protos: dict[str | None, Any] = {}  # character style id -> an empty w:r
        self._names: dict[str, str] | None = None  # paragraph style id -> name (style_name)
        self._default_name = ""
        from docx.oxml.ns import qn

        self._sect_pr = qn("w:sectPr")

    def style_id(self, name: str, style_type: Any = None) -> str | None:
        """The id of the style ``name`` (a paragraph style unless ``style_type``); None
        for the type's default style, as python-docx does; raises as it does when the
        document has no such style."""
        if style_type is None:
            from docx.enum.style import WD_STYLE_TYPE

            style_type = WD_STYLE_TYPE.PARAGRAPH
        key = (name, style_type)
        if key not in self._style_ids:
            self._style_ids[key] = self.doc.part.get_style_id(name, style_type)
        return self._style_ids[key]

    def paragraph(self, text: str = "", style: str | None = None, *, before=None):
        """``doc.add_paragraph(text, style)``, at the end of the body, or just before the
        paragraph ``before`` (a python-docx ``Paragraph``) when given."""
        from docx.text.paragraph import Paragraph

        body = self._body
        proto = self._protos.get(style)
        if proto is None:  # made once per style by python-docx, then copied (same XML)
            proto = body._new_p()
            if style is not None:
                proto.style = self.style_id(style)
            self._protos[style] = proto
        p = copy.deepcopy(proto)
        if before is not None:
            before._p.addprevious(p)
        else:
            try:
                last = body[-1]  # lxml: the last child without walking the others
            except IndexError:
                last = None
            if last is not None and last.tag == self._sect_pr:
                last.addprevious(p)
            else:  # no final sectPr as the last child: python-docx's own insertion
                body._insert_p(p)
        paragraph = Paragraph(p, self._parent)
        if text:
            self.run(paragraph, text)
        return paragraph

    def run(self, paragraph, text: str = "", style_id: str | None = None):
        """``paragraph.add_run(text)``, with the character style of id ``style_id`` (see
        :meth:`style_id`): a new run has nothing to clear, and a text without tabs or
        line breaks is one ``w:t``, as python-docx writes it."""
        from docx.text.run import Run

        proto = self._run_protos.get(style_id)
        if proto is None:  # made once per style by python-docx, then copied (same XML)
            proto = self._body._new_p().add_r()
            if style_id:
                proto.style = style_id
            self._run_protos[style_id] = proto
        r = copy.deepcopy(proto)
        paragraph._p.append(r)  # python-docx's add_r appends too (w:r has no successor)
        if text:
            if "\t" in text or "\n" in text or "\r" in text:
                r.text = text  # python-docx's own: w:tab, w:br
            else:
                r.add_t(text)
        return Run(r, paragraph)

    def heading(self, text: str = "", level: int = 1):
        """``doc.add_heading(text, level)``: ``Title`` for level 0, else ``Heading {level}``."""
        if not 0 <= level <= 9:
            raise ValueError(f"level must be in range 0-9, got {level}")
        return self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def style_name(self, paragraph) -> str:
        """``paragraph.style.name`` without looking the style up in the XML each time."""
        names = self._names
        if names is None:
            from docx.enum.style import WD_STYLE_TYPE

            styles = self.doc.styles
            by_id: dict[str, Any] = {}
            for s in styles:  # the first style with an id, as python-docx's get_by_id
                by_id.setdefault(s.style_id, s)
            names = {sid: s.name for sid, s in by_id.items() if s.type == WD_STYLE_TYPE.PARAGRAPH}
            self._names = names
            default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
            self._default_name = default.name if default is not None else ""
        sid = paragraph._p.style
        return names.get(sid, self._default_name) if sid else self._default_name


def body_writer(doc) -> BodyWriter:
    """The :class:`BodyWriter` of ``doc`` (one per document, kept on it)."""
    writer = doc.__dict__.get("_qualcode_writer")
    if writer is None:
        writer = doc.__dict__["_qualcode_writer"] = BodyWriter(doc)
    return writer
