"""Transcript importers: one module per format, all returning a ParsedDocument.

Each format module exposes ``parse(data: bytes, path: str, options: ImportOptions)``.
Modules are imported lazily so that ``qualcode --help`` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, ParsedTurn
from qualcode.importers.interjections import find_interjections
from qualcode.inputs import MAX_FILE_BYTES, read_regular_file, special_kind

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "MAX_FILE_BYTES",
    "ImportOptions",
    "ParsedDocument",
    "ParsedTurn",
    "detect_format",
    "parse_bytes",
    "parse_file",
    "read_transcript_bytes",
    "special_kind",
]

# format name -> module (relative to this package)
FORMATS = {
    "txt": "text",
    "md": "text",
    "docx": "docx",
    "vtt": "vtt",
    "srt": "srt",
    "trs": "trs",
}
EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
              ".docx": "docx", ".vtt": "vtt", ".srt": "srt", ".trs": "trs"}


def read_transcript_bytes(path: str | Path) -> bytes:
    """The bytes of a transcript file: a regular file of at most MAX_FILE_BYTES
    (:func:`qualcode.inputs.read_regular_file`); a FIFO, device, socket or folder is
    refused before it is opened, so that nothing can hang or read without end."""
    return read_regular_file(path, refused="not imported")


def detect_format(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    try:
        return EXTENSIONS[ext]
    except KeyError:
        known = ", ".join(sorted(EXTENSIONS))
        raise InputError(f"unsupported file type {ext or '(no extension)'!r} (known: {known})",
                         path=str(path)) from None


def parse_bytes(data: bytes, path: str, fmt: str, options: ImportOptions | None = None) -> ParsedDocument:
    """Parse raw bytes in format ``fmt`` and check the result's invariants."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", path=path)
    if not data.strip():
        raise InputError("empty file", path=path)
    module = importlib.import_module(f"qualcode.importers.{FORMATS[fmt]}")
    doc = module.parse(data, path, options or ImportOptions())
    doc.format = fmt
    doc.validate(path)
    doc.interjections = find_interjections(doc.text, doc.turns, doc.speakers())
    return doc


def parse_file(path: str | Path, fmt: str = "auto", options: ImportOptions | None = None) -> ParsedDocument:
    p = Path(path)
    if fmt == "auto":
        fmt = detect_format(p)
    data = read_transcript_bytes(p)
    return parse_bytes(data, str(p), fmt, options)
