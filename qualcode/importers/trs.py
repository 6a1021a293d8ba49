"""Transcriber (``.trs``) importer.

Transcriber files are XML (DTD ``trans-14.dtd``)::

    <Trans audio_filename="…">
      <Speakers><Speaker id="spk1" name="Marie" type="female" dialect="native" …/></Speakers>
      <Episode><Section type="report" startTime="0" endTime="…">
        <Turn speaker="spk1" startTime="0" endTime="12.5">
          <Sync time="0"/> text <Event desc="rires" type="noise" extent="instantaneous"/> text
          <Sync time="6.2"/> more text <Comment desc="nom anonymisé"/>
        </Turn>
        <Turn speaker="spk1 spk2" startTime="12.5" endTime="14">     (overlapping speech)
          <Sync time="12.5"/><Who nb="1"/> text of spk1 <Who nb="2"/> text of spk2
        </Turn>
      …

The bytes are handed to the XML parser (defusedxml, never plain ``xml.etree``) so the
encoding in the XML declaration is honoured (Transcriber writes ISO-8859-1 by default,
newer tools UTF-8, with single or double quotes). The ``trans-14.dtd`` DOCTYPE is
allowed but never fetched; entity declarations and external references are refused.

Rendering decisions (one paragraph ``Speaker: utterance`` per turn, via ``compose``):

* speaker label = the ``name`` of the ``<Speaker>`` (its ``id`` when the name is empty or
  the speaker is not declared); speaker attributes go to ``meta["speakers"]``;
* ``<Sync>`` splits a turn into time-aligned segments but does not end it: the text
  of one ``<Turn>`` is one turn. Sync times and their character offsets are kept in
  ``meta["turns"][i]["syncs"]`` as ``[time, offset]`` pairs;
* instantaneous noise events (``extent="instantaneous"``, ``type="noise"`` or no type),
  e.g. laughter, are rendered inline as ``[desc]`` (``[rires]``), as Transcriber shows
  them. Begin/end ranges (``extent="begin"``/``"end"``), events that qualify the
  previous/next word (``extent="previous"``/``"next"``) and word-level annotations
  (``type`` lexical, pronounce, language, entities) are dropped: the words they
  qualify stay in the text;
* ``<Comment desc="…"/>`` is rendered inline as ``{desc}`` (Transcriber's own
  notation): comments are the transcriber's notes (``{inaudible}``,
  ``{nom anonymisé}``), worth seeing when coding;
* ``<Background>`` is dropped;
* overlapping speech (``speaker="spk1 spk2"`` with ``<Who nb="1"/>…<Who nb="2"/>…``)
  becomes consecutive turns, one per ``<Who>`` segment, in document order, each with
  the times of the sync interval it lies in (the turn's times when there is one
  ``<Sync>``); ``meta["turns"][i]["overlap"]`` is true for them;
* a turn (or ``<Who>`` segment) with no words — silences, noise-only or comment-only
  turns — is skipped; a turn with words but no ``speaker`` attribute gets speaker None;
* whitespace is collapsed to single spaces; transcription conventions inside the text
  (``%hum`` fillers, ``mot :fra`` language tags, ``+`` …) are kept as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, compose

# Event types whose instantaneous events are rendered inline; others annotate words.
_RENDERED_EVENT_TYPES = {"", "noise"}

_XML_DECL = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._-]*)[\"']",
)


def _declared_encoding(data: bytes) -> str | None:
    m = _XML_DECL.match(data[:200])
    return m.group(1).decode("ascii").lower() if m else None


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except ValueError:
        return None
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def _parse_xml(data: bytes, path: str):
    """Parse with defusedxml; return (root, encoding). Convert every failure to InputError."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    declared = _declared_encoding(data)
    encoding = declared or ("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8")
    source: bytes | str = data
    fallback = False
    if encoding in ("utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            # UTF-8 by declaration or by default, but not UTF-8: a file re-saved in
            # Latin-1 by an editor that kept (or dropped) the declaration. Read it as
            # cp1252 (Latin-1 where cp1252 has holes) rather than refuse it.
            if _cp1252_ok(data):
                source, encoding = data.decode("cp1252"), "cp1252"
            else:
                source, encoding = data.decode("latin-1"), "latin-1"
            fallback = True
    try:
        root = DET.fromstring(source, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        msg = re.sub(r":\s*line \d+, column \d+$", "", str(exc))
        where = f" at line {line}" if line else ""
        raise InputError(f"malformed XML{where}: {msg}", path=path) from None
    except DefusedXmlException as exc:
        raise InputError(f"refused XML: {type(exc).__name__} (entities/external references "
                         "are not allowed)", path=path) from None
    except Exception as exc:  # noqa: BLE001 - never leak a parser exception (e.g. LookupError)
        raise InputError(f"malformed XML: {exc}", path=path) from None
    enc = "utf-8" if encoding == "utf8" else encoding
    return root, enc, fallback


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class _Piece:
    """One output turn being built from a <Turn> (or one <Who> segment of it)."""

    speaker_id: str | None
    overlap: bool
    tokens: list[str] = field(default_factory=list)
    words: bool = False
    syncs: list[tuple[float, int]] = field(default_factory=list)  # (time, char offset)
    time_start: float | None = None
    time_end: float | None = None

    def length(self) -> int:
        return sum(len(t) for t in self.tokens) + max(0, len(self.tokens) - 1)

    def add(self, text: str, words: bool) -> None:
        for tok in text.split():
            self.tokens.append(tok)
        if words and text.strip():
            self.words = True

    def add_sync(self, time: float | None) -> None:
        if time is None:
            return
        offset = self.length() + (1 if self.tokens else 0)
        self.syncs.append((time, offset))


def _norm(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""  # comments / processing instructions
    return tag.rsplit("}", 1)[-1]


def _turn_items(turn) -> list[tuple[str, object]]:
    """Flatten a <Turn> into ("text", str) / ("sync", time) / ("who", nb) / ("mark", str)."""
    items: list[tuple[str, object]] = []
    if turn.text:
        items.append(("text", turn.text))
    for child in turn:
        tag = _local(child.tag)
        if tag == "Sync":
            items.append(("sync", _float(child.get("time"))))
        elif tag == "Who":
            try:
                items.append(("who", int(child.get("nb", "0"))))
            except ValueError:
                items.append(("who", 0))
        elif tag == "Event":
            extent = (child.get("extent") or "instantaneous").strip().lower()
            etype = (child.get("type") or "").strip().lower()
            desc = " ".join((child.get("desc") or "").split())
            if extent == "instantaneous" and etype in _RENDERED_EVENT_TYPES and desc:
                items.append(("mark", f"[{desc}]"))
        elif tag == "Comment":
            desc = " ".join((child.get("desc") or "").split())
            if desc:
                items.append(("mark", "{" + desc + "}"))
        elif tag in ("Background", ""):
            pass
        else:  # unknown inline element (e.g. Vocal): keep its words
            inner = "".join(child.itertext())
            if inner.strip():
                items.append(("text", inner))
        if child.tail:
            items.append(("text", child.tail))
    return items


def _pieces_of_turn(turn) -> list[_Piece]:
    ids = (turn.get("speaker") or "").split()
    t0 = _float(turn.get("startTime"))
    t1 = _float(turn.get("endTime"))
    items = _turn_items(turn)
    overlap = len(ids) > 1

    # Sync interval ends: the next sync time after each item, else the turn end.
    next_sync: list[float | None] = [None] * len(items)
    upcoming = t1
    for i in range(len(items) - 1, -1, -1):
        next_sync[i] = upcoming
        kind, value = items[i]
        if kind == "sync" and isinstance(value, float):
            upcoming = value

    pieces: list[_Piece] = []
    current_sync = t0
    if overlap:
        cur: _Piece | None = None
        for i, (kind, value) in enumerate(items):
            if kind == "sync":
                if isinstance(value, float):
                    current_sync = value
                if cur is not None:
                    cur.add_sync(value if isinstance(value, float) else None)
            elif kind == "who":
                nb = value  # 1-based index into the speaker list
                spk = ids[nb - 1] if isinstance(nb, int) and 1 <= nb <= len(ids) else None
                cur = _Piece(spk, True, time_start=current_sync, time_end=next_sync[i])
                pieces.append(cur)
            else:
                if not str(value).strip():
                    # Line breaks between elements (a <Sync/> on its own line, then the
                    # next <Who/>): no words, so they neither open a segment nor stretch
                    # the current one past the sync that ends it.
                    continue
                if cur is None:  # text before the first <Who>: first speaker
                    cur = _Piece(ids[0], True, time_start=current_sync, time_end=next_sync[i])
                    pieces.append(cur)
                cur.add(_norm(str(value)), kind == "text")
                cur.time_end = next_sync[i]
    else:
        piece = _Piece(ids[0] if ids else None, False, time_start=t0, time_end=t1)
        for kind, value in items:
            if kind == "sync":
                piece.add_sync(value if isinstance(value, float) else None)
            elif kind == "who":
                continue
            else:
                piece.add(_norm(str(value)), kind == "text")
        pieces.append(piece)
    return [p for p in pieces if p.words]


def parse(data: bytes, path: str, options: ImportOptions) -> ParsedDocument:
    root, encoding, fallback = _parse_xml(data, path)
    if _local(root.tag) != "Trans":
        raise InputError(f"not a Transcriber file (root element <{_local(root.tag)}>, "
                         "expected <Trans>)", path=path)

    speakers: dict[str, dict] = {}
    for spk in root.iter():
        if _local(spk.tag) != "Speaker":
            continue
        sid = spk.get("id")
        if not sid:
            continue
        info = {k: _norm(v) for k, v in spk.attrib.items() if k != "id"}
        speakers[sid] = info

    def label(sid: str | None) -> str | None:
        if sid is None:
            return None
        name = " ".join(speakers.get(sid, {}).get("name", "").split())
        return name or sid

    topics = {t.get("id"): _norm(t.get("desc")) for t in root.iter() if _local(t.tag) == "Topic"}

    rows: list[tuple[str | None, str, float | None, float | None]] = []
    details: list[dict] = []
    sections: list[dict] = []
    n_turn_elements = 0
    for section in root.iter():
        if _local(section.tag) != "Section":
            continue
        first = len(rows)
        for turn in section:
            if _local(turn.tag) != "Turn":
                continue
            n_turn_elements += 1
            for piece in _pieces_of_turn(turn):
                utterance = " ".join(piece.tokens)
                rows.append((label(piece.speaker_id), utterance, piece.time_start, piece.time_end))
                details.append({"speaker_id": piece.speaker_id, "overlap": piece.overlap,
                                "syncs": piece.syncs})
        sec = {"type": section.get("type"), "start": _float(section.get("startTime")),
               "end": _float(section.get("endTime")), "first_turn": first, "end_turn": len(rows)}
        if section.get("topic"):
            sec["topic"] = topics.get(section.get("topic")) or section.get("topic")
        sections.append(sec)

    if n_turn_elements == 0:
        raise InputError("no <Turn> elements found", path=path)
    if not rows:
        raise InputError("no transcribed speech found (all turns are empty)", path=path)

    text, turns = compose(rows)
    # compose() keeps every row (all have words) in order; make sync offsets absolute.
    if len(turns) != len(details):  # cannot happen; keep meta aligned with turns anyway
        details = [{"speaker_id": None, "overlap": False, "syncs": []} for _ in turns]
    for turn, det in zip(turns, details):
        det["syncs"] = [[t, turn.start + off] for t, off in det["syncs"]
                        if turn.start + off <= turn.end]

    meta: dict = {
        "speakers": speakers,
        "turns": details,
        "sections": sections,
        "turn_elements": n_turn_elements,
    }
    for key in ("audio_filename", "scribe", "version", "version_date", "elapsed_time"):
        if root.get(key):
            meta[key] = _norm(root.get(key))
    lang = root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("xml:lang")
    if lang:
        meta["language"] = lang
    if fallback:
        meta["encoding_note"] = f"not valid UTF-8 as the XML declaration implies; read as {encoding}"
    return ParsedDocument(text=text, turns=turns, format="trs", encoding=encoding, meta=meta)
