"""Limits on the zip packages qualcode opens (DOCX, XLSX, and REFI-QDA ``.qdpx``).

A zip can declare a small file that inflates to gigabytes (a "zip bomb"), and the XML
parsers behind python-docx and openpyxl need much more memory than the XML they read
(about 27 times: 30 MB of XML took 824 MB). So a package is checked *before* any parser
sees it, from the sizes its central directory declares:

- every XML member at most ``max_xml`` bytes once uncompressed (this is what bounds the
  parser's time and memory), every other member (images, media) at most ``max_member``,
- all members together at most ``max_total`` bytes,
- at most ``max_members`` members,
- no member that inflates more than ``max_ratio`` times (deflate cannot honestly do
  better than about 1,000:1; real documents stay well under 100:1).

The declared sizes can be trusted for reading: Python's :mod:`zipfile` never returns more
than a member's declared size and fails on a CRC mismatch, and python-docx, openpyxl and
the REFI-QDA reader all read through :mod:`zipfile`. Anything beyond a limit is refused
with one line, ``FILE: reason`` (an :class:`~qualcode.errors.InputError`); the limits
are documented in ``docs/reference/errors.md``.

Use :func:`check_zip` with a :class:`ZipLimits` (``DOCX``, ``XLSX`` and ``QDPX`` are the
ones qualcode uses) on the bytes or the path of the package.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from qualcode.errors import InputError

MB = 1024 * 1024
XML_SUFFIXES = (".xml", ".rels", ".qde", ".vml")


@dataclass(frozen=True)
class ZipLimits:
    kind: str  # the name used in messages: "docx", "xlsx", "qdpx"
    max_member: int  # bytes, one member once uncompressed
    max_total: int  # bytes, all members once uncompressed
    max_xml: int  # bytes, one XML member (.xml, .rels, .qde, .vml) once uncompressed
    max_members: int = 10_000
    max_ratio: int = 500
    # members under this size are never refused for their ratio (tiny XML parts of
    # repeated characters compress very well and are harmless)
    ratio_floor: int = 1 * MB


# A two-hour interview is about 1 MB of document.xml; 16 MB of XML is ~400 MB of parser memory.
DOCX = ZipLimits("docx", max_member=128 * MB, max_total=256 * MB, max_xml=16 * MB)
# Review and case sheets are small; openpyxl's read-only mode streams the sheets, but
# loads sharedStrings.xml whole.
XLSX = ZipLimits("xlsx", max_member=128 * MB, max_total=256 * MB, max_xml=32 * MB)
# A REFI-QDA project: sources (PDFs, audio…) are stored as members too, the XML is project.qde.
QDPX = ZipLimits("qdpx", max_member=512 * MB, max_total=2048 * MB, max_xml=64 * MB)


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"


def _over(n: int, cap: int) -> str:
    """"N, at most CAP", in bytes when MB would show the two as equal."""
    if _size(n) == _size(cap):
        return f"{n:,} bytes, at most {cap:,}"
    return f"{_size(n)}, at most {_size(cap)}"


def check_zip(source: bytes | str | Path | BinaryIO, limits: ZipLimits, *,
              path: str | None = None) -> list[zipfile.ZipInfo]:
    """Check a zip package against ``limits`` from its declared sizes; return its members.

    ``source``: the bytes of the package, its path or an open (seekable) binary file. ``path``: the file named in errors
    (default: ``source`` when it is a path). Raises :class:`InputError` for a file that is not a
    zip or breaks a limit.
    """
    where = path if path is not None else (str(source) if isinstance(source, (str, Path)) else None)
    kind = limits.kind
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError):
        raise InputError(f"corrupt {kind} (not a zip file or truncated)", path=where) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or exc})", path=where) from None
    if len(infos) > limits.max_members:
        raise InputError(f"{kind} package with {len(infos):,} parts (at most {limits.max_members:,})",
                         path=where)
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        cap = limits.max_member
        if info.filename.lower().endswith(XML_SUFFIXES):
            cap = min(cap, limits.max_xml)
        if size > cap:
            raise InputError(f"{kind} part {info.filename!r} too large once uncompressed "
                             f"({_over(size, cap)}): refused as a possible zip bomb",
                             path=where)
        if size > limits.ratio_floor and size > limits.max_ratio * max(info.compress_size, 1):
            raise InputError(f"{kind} part {info.filename!r} inflates {size // max(info.compress_size, 1):,} times "
                             f"(at most {limits.max_ratio}): refused as a possible zip bomb", path=where)
    if total > limits.max_total:
        raise InputError(f"{kind} file too large once uncompressed ({_over(total, limits.max_total)}): "
                         "refused as a possible zip bomb", path=where)
    return infos
