"""Word (``.docx``) importer.

Two layouts are recognized:

* **Paragraphs** (the common case): the text is the body paragraphs joined with ``\\n``
  (empty paragraphs kept as empty lines, so the text reads like the document), and the
  speaker turns are found by the text importer's label detector
  (:func:`qualcode.importers.text.parse_text`: ``Q : …``, ``Enquêtrice : …``,
  continuation paragraphs, title/intro before the first label in ``meta["preamble"]``).
  Offsets then index this text, labels included, exactly as for a ``.txt`` file. A
  document without any speaker label gets one turn (speaker None) per paragraph.
* **Transcript tables**: a table whose header row names a speaker column and a text
  column (``Locuteur | Temps | Texte``, ``Speaker | Time | Text``, ``Intervenant |
  Propos``…), or a header-less 2-column table that looks like ``label | utterance``
  (an optional column of timestamps aside): every first-column cell has the shape of a
  speaker label, the labels repeat or include a known one (``Q``, ``R``, ``E``,
  ``Enquêtrice``, ``Speaker 1``…), and the second column holds sentences — so a
  ``Date | Lieu | Durée`` fact table is not a transcript. Each row is a turn, composed as
  ``Speaker: utterance`` paragraphs (:func:`~qualcode.importers.base.compose`); rows with
  an empty or vertically-merged speaker cell continue the previous turn. Paragraphs
  outside the table (title, intro, closing notes) are kept in the text, in document
  order, separated by blank lines, but are not turns.

Text extraction is done on python-docx's XML elements so that, unlike
``Paragraph.text``, it includes tracked insertions (``w:ins``), hyperlinks, smart tags,
fields and content controls, and excludes tracked deletions and text boxes.

``meta``: ``title`` (core properties, else the first Heading/Title paragraph),
``author``, ``created``, ``layout`` (``paragraphs`` | ``table``), ``tables``.
"""

from __future__ import annotations

import io
import re
import zipfile
from contextlib import suppress
from itertools import pairwise

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, ParsedTurn, compose
from qualcode.importers.speakers import (
    is_diarization_id,
    is_interviewer_label,
    is_participant_label,
    label_form,
    looks_like_label,
    parse_timestamp,
)
from qualcode.importers.text import near_label_hints, parse_text
from qualcode.textnorm import control_warning, count_controls, normalize_text
from qualcode.ziplimits import DOCX, check_zip

# Runs that are part of the visible, accepted text of a paragraph.
_RUNS_XPATH = (
    ".//w:r[not(ancestor::w:del) and not(ancestor::w:moveFrom)"
    " and not(ancestor::w:txbxContent) and not(ancestor::*[local-name()='Fallback'])]"
)

# Header words (compared folded: case- and accent-insensitive).
_SPEAKER_WORDS = {
    "locuteur", "locutrice", "locuteurs", "locuteur·rice", "locuteur.rice", "intervenant",
    "intervenante", "intervenants", "intervenant·e", "speaker", "speakers", "nom", "name",
    "orateur", "oratrice", "personne", "qui", "interlocuteur", "interlocutrice", "who",
    "role", "participant", "participante",
}
_TIME_WORDS = {
    "temps", "time", "horodatage", "timecode", "timestamp", "tc", "heure", "minutage",
    "debut", "start", "time-code", "chrono", "moment",
}
_TEXT_WORDS = {
    "texte", "text", "transcription", "propos", "verbatim", "contenu", "discours",
    "parole", "paroles", "utterance", "content", "dialogue", "retranscription", "transcript",
    "enonce", "intervention", "interventions",
}

_TIME_SPLIT = re.compile(r"\s*(?:-->|–|—|\s-\s|-(?=\s*\d)|/|à)\s*")


class _Table:
    def __init__(self, rows: list[list[str]]):
        self.rows = rows  # grid rows; merged continuation cells are ""


def _open(data: bytes, path: str):
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError("not a .docx file (old Word .doc or password-protected document; "
                         "save it as .docx)", path=path)
    if not data.startswith(b"PK"):
        raise InputError("corrupt docx (not a zip file)", path=path)
    names = {i.filename for i in check_zip(data, DOCX, path=path)}  # refuses zip bombs
    if "[Content_Types].xml" not in names:
        raise InputError("corrupt docx (zip file without [Content_Types].xml: not a Word document)",
                         path=path)
    try:
        return docx.Document(io.BytesIO(data))
    except PackageNotFoundError:
        raise InputError("corrupt docx (not a Word package)", path=path) from None
    except ValueError as exc:
        msg = str(exc)
        if "not a Word file" in msg:
            m = re.search(r"content type is '([^']*)'", msg)
            kind = f" ({m.group(1)})" if m else ""
            raise InputError(f"not a Word document{kind}", path=path) from None
        raise InputError(f"corrupt docx ({msg})", path=path) from None
    except KeyError as exc:
        what = exc.args[0] if exc.args else exc
        raise InputError(f"corrupt docx (missing part: {what})", path=path) from None
    except zipfile.BadZipFile as exc:
        raise InputError(f"corrupt docx ({exc})", path=path) from None
    except Exception as exc:  # noqa: BLE001 - lxml XMLSyntaxError, zlib.error, ...: never leak one
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"corrupt docx ({type(exc).__name__}: {first})", path=path) from None


def _p_text(p) -> str:
    return "".join(r.text for r in p.xpath(_RUNS_XPATH))


def _cell_text(tc) -> str:
    lines: list[str] = []
    for child in tc.xpath("./w:p | ./w:tbl | ./w:sdt/w:sdtContent/w:p"):
        if child.tag.endswith("}tbl"):
            for row in _table_rows(child):
                line = " ".join(c for c in row if c)
                if line:
                    lines.append(line)
        else:
            lines.append(_p_text(child))
    return "\n".join(lines).strip()


def _table_rows(tbl) -> list[list[str]]:
    """Rows of a w:tbl on the column grid; vertically merged continuation cells are ""."""
    rows: list[list[str]] = []
    for tr in tbl.xpath("./w:tr | ./w:sdt/w:sdtContent/w:tr"):
        row: list[str] = [""] * int(getattr(tr, "grid_before", 0) or 0)
        for tc in tr.xpath("./w:tc | ./w:sdt/w:sdtContent/w:tc"):
            # python-docx converts attributes when read and raises on malformed ones (ValueError,
            # InvalidXmlError, ...): a malformed attribute keeps its default, the import goes on
            span = 1
            with suppress(Exception):
                span = max(1, int(tc.grid_span))
            merged = False
            with suppress(Exception):
                merged = tc.vMerge == "continue"
            row.append("" if merged else _cell_text(tc))
            row.extend([""] * (span - 1))
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def _blocks(doc) -> list[tuple[str, object]]:
    """Body content in order: ("p", (text, style name)) and ("table", _Table)."""
    body = doc.element.body
    out: list[tuple[str, object]] = []
    style_names: dict[str, str] = {}
    # malformed styles or paragraph properties (python-docx raises ValueError, InvalidXmlError,
    # AttributeError on a part of the wrong type, ...) only lose the style names, not the text
    with suppress(Exception):
        for s in doc.styles:
            if s.style_id:
                style_names[s.style_id] = s.name or s.style_id
    for el in body.xpath("./w:p | ./w:tbl | ./w:sdt/w:sdtContent/w:p | ./w:sdt/w:sdtContent/w:tbl"):
        if el.tag.endswith("}tbl"):
            out.append(("table", _Table(_table_rows(el))))
        else:
            sid = None
            with suppress(Exception):
                sid = el.style
            out.append(("p", (_p_text(el), style_names.get(sid or "", sid or ""))))
    return out


# ---------------------------------------------------------------------------------------
# Transcript tables

def _header_kind(cell: str) -> str | None:
    key = label_form(re.sub(r"\(.*?\)|\[.*?\]", " ", cell))
    words = re.findall(r"[\w·.'-]+", key)
    if not words:
        return None
    joined = " ".join(words)
    for kind, vocab in (("time", _TIME_WORDS), ("text", _TEXT_WORDS), ("speaker", _SPEAKER_WORDS)):
        if joined in vocab or words[0] in vocab:
            return kind
    for kind, vocab in (("time", _TIME_WORDS), ("text", _TEXT_WORDS), ("speaker", _SPEAKER_WORDS)):
        if len(words) <= 4 and any(w in vocab for w in words):
            return kind
    return None


def _parse_times(cell: str) -> tuple[float | None, float | None] | None:
    """``"00:01:23"`` / ``"[01:23 - 01:45]"`` / ``"83.5"`` -> (start, end); None if not a time."""
    value = cell.strip().strip("[]()").strip()
    if not value:
        return None
    parts = [p for p in _TIME_SPLIT.split(value) if p]
    times = []
    for p in parts[:2]:
        t = parse_timestamp(p)
        if t is None:
            try:
                t = float(p.replace(",", ".")) if re.fullmatch(r"\d+(?:[.,]\d+)?", p) else None
            except ValueError:
                t = None
        if t is None:
            return None
        times.append(t)
    if not times:
        return None
    return times[0], (times[1] if len(times) > 1 else None)


def _clean_label(cell: str) -> str:
    label = " ".join(cell.split())
    return label.rstrip(":：").strip()


def _columns_from_header(header: list[str]) -> dict[str, int] | None:
    cols: dict[str, int] = {}
    for i, cell in enumerate(header):
        kind = _header_kind(cell) if cell.strip() else None
        if kind and kind not in cols:
            cols[kind] = i
    if "speaker" in cols and "text" in cols:
        return cols
    return None


def _columns_headerless(rows: list[list[str]]) -> dict[str, int] | None:
    """A table without header that looks like ``label | utterance`` (+ times)."""
    if len(rows) < 2:
        return None
    width = len(rows[0])
    filled = [i for i in range(width) if any(r[i].strip() for r in rows)]
    time_cols = [i for i in filled
                 if sum(1 for r in rows if _parse_times(r[i]) is not None)
                 >= 0.8 * sum(1 for r in rows if r[i].strip())]
    rest = [i for i in filled if i not in time_cols]
    if len(rest) != 2 or len(time_cols) > 1:
        return None
    s, t = rest
    labels = [_clean_label(r[s]) for r in rows if r[s].strip()]
    texts = [r[t] for r in rows if r[t].strip()]
    if len(labels) < 2 or len(texts) < 2:
        return None
    # Every label has the shape of a speaker label ("Date", "Lieu", "Âge" do not).
    if not all(looks_like_label(x) for x in labels):
        return None
    if sum(map(len, texts)) / len(texts) <= sum(map(len, labels)) / len(labels):
        return None
    known = any(is_interviewer_label(x) or is_participant_label(x) or is_diarization_id(x)
                for x in labels)
    distinct = len({label_form(x) for x in labels})
    if not known and distinct > max(2, len(labels) // 2):  # speakers repeat; keys do not
        return None
    if not any(len(x.split()) >= 5 for x in texts):
        return None
    cols = {"speaker": s, "text": t}
    if time_cols:
        cols["time"] = time_cols[0]
    return cols


def _transcript_rows(table: _Table) -> list[tuple[str | None, str, float | None, float | None]] | None:
    rows = [r for r in table.rows if any(c.strip() for c in r)]
    if not rows or len(rows[0]) < 2:
        return None
    cols = _columns_from_header(rows[0])
    body = rows[1:]
    if cols is None:
        cols = _columns_headerless(rows)
        body = rows
        if cols is None:
            return None
    header_key = [label_form(c) for c in rows[0]]
    out: list[list] = []
    for r in body:
        if body is not rows and [label_form(c) for c in r] == header_key:
            continue  # header row repeated (table split across pages)
        speaker = _clean_label(r[cols["speaker"]]) or None
        text = r[cols["text"]].strip()
        t0 = t1 = None
        if "time" in cols:
            times = _parse_times(r[cols["time"]])
            if times:
                t0, t1 = times
        if speaker is None and out:
            prev = out[-1]
            if text:
                prev[1] = f"{prev[1]}\n{text}" if prev[1] else text
            if t1 is not None:
                prev[3] = t1
            elif t0 is not None and prev[2] is None:
                prev[2] = t0
            continue
        out.append([speaker, text, t0, t1])
    # As in the text importer: a row's end is the next row's start when not given.
    for a, b in pairwise(out):
        if a[3] is None and a[2] is not None and b[2] is not None and b[2] >= a[2]:
            a[3] = b[2]
    return [(x[0], x[1], x[2], x[3]) for x in out]


# ---------------------------------------------------------------------------------------

def _detect_turns(text: str, options: ImportOptions) -> tuple[list[ParsedTurn], dict]:
    """Speaker turns of the paragraph text, found exactly as the .txt importer does.

    Without any speaker label the text importer splits at blank lines; in a Word
    document each non-empty paragraph (line) is a paragraph, so it becomes one turn.
    """
    turns, meta = parse_text(text, options)
    if meta.get("conventions") == ["paragraphs"]:
        turns = []
        pos = 0
        for line in text.split("\n"):
            stripped = line.strip()
            if stripped:
                start = pos + len(line) - len(line.lstrip())
                turns.append(ParsedTurn(None, start, start + len(stripped)))
            pos += len(line) + 1
    return turns, meta


def _block_lines(kind: str, value) -> list[str]:
    if kind == "p":
        return [value[0]]
    # A table that is not a transcript: one line per row, cells separated by tabs.
    lines = []
    for row in value.rows:
        cells: list[str] = []
        for c in row:
            c = " ".join(c.split())
            if c and (not cells or cells[-1] != c):  # merged cells repeat
                cells.append(c)
        lines.append("\t".join(cells))
    return lines


def _raw_text(value: object) -> str:
    """The text of a block as python-docx read it: a paragraph's, or a table's cells."""
    if isinstance(value, _Table):
        return "\n".join(c for r in value.rows for c in r)
    return value[0] if isinstance(value, tuple) else ""


def _meta(doc, blocks) -> dict:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    meta: dict = {}
    try:
        doc.part.package.part_related_by(RT.CORE_PROPERTIES)
        has_core = True
    except KeyError:
        has_core = False
    if has_core:
        # metadata is optional: malformed core properties (errors of any type from python-docx)
        # are left out rather than failing the import
        with suppress(Exception):
            cp = doc.core_properties
            if cp.title and cp.title.strip():
                meta["title"] = normalize_text(" ".join(cp.title.split()))
            # python-docx's default template says author "python-docx", created
            # 2013-12-23: facts about the template, not about the interview.
            template = (cp.author or "").strip() == "python-docx"
            if cp.author and cp.author.strip() and not template:
                meta["author"] = normalize_text(cp.author.strip())
            if cp.created and not (template and cp.created.year == 2013):
                meta["created"] = cp.created.isoformat()
    if "title" not in meta:
        for kind, value in blocks:
            if kind != "p":
                continue
            text, style = value
            if text.strip() and label_form(style or "").startswith(("heading", "titre", "title")):
                meta["title"] = normalize_text(" ".join(text.split()))
                break
    return meta


def parse(data: bytes, path: str, options: ImportOptions) -> ParsedDocument:
    doc = _open(data, path)
    try:
        blocks = _blocks(doc)
    except Exception as exc:  # noqa: BLE001 - malformed document.xml content python-docx chokes on
        raise InputError(f"corrupt docx ({type(exc).__name__}: {exc})", path=path) from None

    transcripts: dict[int, list] = {}
    for i, (kind, value) in enumerate(blocks):
        if kind == "table" and isinstance(value, _Table):
            rows = _transcript_rows(value)
            if rows and any(r[1].strip() for r in rows):
                transcripts[i] = rows

    meta = _meta(doc, blocks)
    # Control characters XML allows (U+007F–U+009F; XML 1.0 refuses the others, see _open)
    # are replaced by normalize_text; say where: paragraphs and tables counted in order.
    controls = [(i, n) for i, (_, value) in enumerate(blocks, 1) if (n := count_controls(_raw_text(value)))]
    warning = control_warning(controls, path, unit="paragraph")
    warnings = [warning] if warning else []
    if not transcripts:
        lines: list[str] = []
        for kind, value in blocks:
            lines.extend(_block_lines(kind, value))
        text = normalize_text("\n".join(lines)).rstrip()
        if not text.strip():
            raise InputError("empty document (no text in paragraphs or tables)", path=path)
        turns, text_meta = _detect_turns(text, options)
        warnings += [f"{path}: paragraph {line}: {msg}" for line, msg in text_meta.pop("label_warnings", [])]
        hints = near_label_hints(text_meta.pop("near_labels", []), options.interviewers)
        meta.update(text_meta)
        meta["layout"] = "paragraphs"
        return ParsedDocument(text=text, turns=turns, format="docx", encoding=None, meta=meta,
                              warnings=warnings, interviewer_hints=hints)

    # Table layout: chunks of plain paragraphs and composed transcript tables.
    chunks: list[tuple[str, list[ParsedTurn]]] = []
    pending: list[str] = []

    def flush() -> None:
        chunk = normalize_text("\n".join(pending)).strip("\n")
        if chunk.strip():
            chunks.append((chunk.rstrip(), []))
        pending.clear()

    for i, (kind, value) in enumerate(blocks):
        if i in transcripts:
            flush()
            chunk, turns = compose(transcripts[i])
            if turns:
                chunks.append((chunk, turns))
        else:
            pending.extend(_block_lines(kind, value))
    flush()

    parts: list[str] = []
    all_turns: list[ParsedTurn] = []
    pos = 0
    for chunk, turns in chunks:
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(chunk)
        for t in turns:
            all_turns.append(ParsedTurn(t.speaker, t.start + pos, t.end + pos, t.time_start, t.time_end))
        pos += len(chunk)
    meta["layout"] = "table"
    meta["tables"] = len(transcripts)
    return ParsedDocument(text="".join(parts), turns=all_turns, format="docx", encoding=None, meta=meta,
                          warnings=warnings)
