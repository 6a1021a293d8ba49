"""qualcode: terminal-first, scriptable qualitative interview coding.

``from qualcode import Project`` gives the Python facade (:mod:`qualcode.project`). It is
loaded on first use (PEP 562), so that importing a small part of qualcode — the command
line's ``--help``, a worker process of the NLP pipeline — does not load the whole library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Project", "__version__"]

if TYPE_CHECKING:
    from qualcode.project import Project


def __getattr__(name: str) -> object:
    if name == "Project":
        from qualcode.project import Project  # the one deliberate lazy own import (see above)

        return Project
    raise AttributeError(f"module 'qualcode' has no attribute {name!r}")
