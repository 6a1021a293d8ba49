"""Reading a file that the user names (a transcript, a sheet, a codebook, a REFI-QDA
codebook): a regular file of bounded size, or a one-line refusal.

A symbolic link is followed (callers decide which links reach here). Anything that is
not a regular file (FIFO, device, socket, folder) is refused before it is opened, and
the file is opened non-blocking and checked again, so that nothing can hang (a FIFO
nobody writes to) or read without end (a link to ``/dev/zero``) — issue 16, D12.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from qualcode.errors import InputError

# Largest input file read (50 MB): a long interview is a few hundred kilobytes; the cap
# keeps a huge or endless input (a symlink to /dev/zero…) from exhausting memory.
MAX_FILE_BYTES = 50 * 1024 * 1024

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def special_kind(mode: int) -> str | None:
    """What a file of this mode is when it is not a regular file (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular_file(path: str | Path, *, refused: str = "not read") -> BinaryIO:
    """``path`` opened for reading in binary (the caller closes it), when it is a regular
    file: a FIFO, device, socket or folder is refused, never waited on (for a package read
    by parts, such as a ``.qdpx``, that :func:`read_regular_file` would read whole)."""
    p = str(path)
    try:
        kind = special_kind(os.stat(p).st_mode)
        if kind:
            raise InputError(f"not a regular file ({kind}): {refused}", path=p)
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise InputError("no such file", path=p) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=p) from None
    try:
        kind = special_kind(os.fstat(fd).st_mode)  # replaced between the stat and the open
    except OSError as exc:
        os.close(fd)
        raise InputError(f"cannot read ({exc.strerror})", path=p) from None
    if kind:
        os.close(fd)
        raise InputError(f"not a regular file ({kind}): {refused}", path=p)
    return os.fdopen(fd, "rb")


def read_regular_file(path: str | Path, *, refused: str = "not read", limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` bytes; else an
    :class:`InputError` naming the file: ``FILE: not a regular file (a FIFO (named pipe)):
    <refused>``, ``no such file``, ``cannot read (…)``, ``file too large (…)``."""
    p = str(path)
    with open_regular_file(p, refused=refused) as f:
        try:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise InputError(f"file too large ({size // (1024 * 1024)} MB; the limit is "
                                 f"{limit // (1024 * 1024)} MB)", path=p)
            data = f.read(limit + 1)  # a file that grows after the check stays capped
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", path=p) from None
    if len(data) > limit:
        raise InputError(f"file too large (over the limit of {limit // (1024 * 1024)} MB)", path=p)
    return data
