"""Transcript importers: one module per format, all returning a ParsedDocument.

Each format module exposes ``parse(data: bytes, path: str, options: ImportOptions)``.
Modules are imported lazily so that ``qualcode --help`` stays fast.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, ParsedTurn

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "ImportOptions",
    "ParsedDocument",
    "ParsedTurn",
    "detect_format",
    "parse_bytes",
    "parse_file",
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
    return doc


def parse_file(path: str | Path, fmt: str = "auto", options: ImportOptions | None = None) -> ParsedDocument:
    p = Path(path)
    if fmt == "auto":
        fmt = detect_format(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except IsADirectoryError:
        raise InputError("is a directory", path=str(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(p)) from None
    return parse_bytes(data, str(p), fmt, options)
