"""Transcript importers: one module per format, all returning a ParsedDocument.

Each format module exposes ``parse(data: bytes, path: str, options: ImportOptions)``.
Modules are imported lazily so that ``qualcode --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, ParsedTurn
from qualcode.importers.interjections import find_interjections

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


# Largest transcript file read (50 MB): a long interview is a few hundred kilobytes; the
# cap keeps a huge or endless input (a symlink to /dev/zero…) from exhausting memory.
MAX_FILE_BYTES = 50 * 1024 * 1024

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def special_kind(mode: int) -> str | None:
    """What a file of this mode is when it is not a regular file (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_transcript_bytes(path: str | Path) -> bytes:
    """The bytes of a transcript file: a regular file of at most MAX_FILE_BYTES.

    A symlink is followed (callers decide which symlinks reach here). Anything that is
    not a regular file (FIFO, device, socket, folder) is refused before it is opened, and
    the file is opened non-blocking and checked again, so that nothing can hang or read
    without end.
    """
    p = str(path)
    try:
        kind = special_kind(os.stat(p).st_mode)
        if kind:
            raise InputError(f"not a regular file ({kind}): not imported", path=p)
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise InputError("no such file", path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=p) from None
    try:
        st = os.fstat(fd)
        kind = special_kind(st.st_mode)  # replaced between the stat and the open
        if kind:
            raise InputError(f"not a regular file ({kind}): not imported", path=p)
        if st.st_size > MAX_FILE_BYTES:
            raise InputError(f"file too large ({st.st_size // (1024 * 1024)} MB; the limit is "
                             f"{MAX_FILE_BYTES // (1024 * 1024)} MB)", path=p)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_FILE_BYTES + 1)  # a file that grows after the check stays capped
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=p) from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"file too large (over the limit of {MAX_FILE_BYTES // (1024 * 1024)} MB)",
                         path=p)
    return data


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
