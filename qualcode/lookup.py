"""Finding what users name: documents by name or id, and a did-you-mean for any name
that is not found (documents, codes).

Every command that takes document names selects them here, so that an unknown name
gives the same error everywhere: ``no document named 'x' (did you mean 'y'?) (see
'qualcode docs')``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from qualcode.errors import QualcodeError
from qualcode.store.documents import Document

if TYPE_CHECKING:
    from qualcode.project import Project


def suggest(word: str, choices: list[str], n: int = 3) -> str:
    """`` (did you mean 'a' or 'b'?)`` from close matches and matching last path segments."""
    found: list[str] = []
    low = word.lower().strip("/")
    tail = low.rsplit("/", 1)[-1]
    for c in choices:  # 'mining_memory' -> 'identity/mining_memory'; 'pride' -> '…/pride_belonging'
        last = c.lower().rsplit("/", 1)[-1]
        if c.lower() == low or last == tail or (len(tail) >= 3 and last.startswith(tail)):
            found.append(c)
    lowered = {c.lower(): c for c in choices}
    for m in difflib.get_close_matches(low, list(lowered), n=n, cutoff=0.75):
        if lowered[m] not in found:
            found.append(lowered[m])
    by_last = {c.lower().rsplit("/", 1)[-1]: c for c in choices}
    for m in difflib.get_close_matches(low.rsplit("/", 1)[-1], list(by_last), n=n, cutoff=0.7):
        if by_last[m] not in found:
            found.append(by_last[m])
    if not found:
        return ""
    return " (did you mean " + " or ".join(repr(f) for f in found[:n]) + "?)"


def select_documents(project: Project, documents: Iterable[str | int] | None = None, *,
                     order: Literal["name", "given"] = "name", suggest_names: bool = True) -> list[Document]:
    """The documents named in ``documents`` (names, or ids; None: all of them, in name
    order). An unknown one raises :class:`QualcodeError` ``no document named …``.

    ``order="name"`` (the analyses): in name order, each document once. ``order="given"``
    (auto-coding, ``codebook diff``): in the order given, as given (the order in which
    codings are written and documents listed in the history). ``suggest_names=False``
    leaves the did-you-mean out of the error (as auto-coding, ``codebook diff`` and
    ``explain`` have always worded it).
    """
    store = project.store
    if documents is None:
        return store.documents.select()
    asked = list(documents)
    wanted = [d if isinstance(d, int) else str(d).strip() for d in asked]
    names = [w for w in wanted if isinstance(w, str)]
    ids = [w for w in wanted if isinstance(w, int)]
    by_name = {d.name: d for d in store.documents.select(names=names)} if names else {}
    by_id = {d.id: d for d in store.documents.select(ids=ids)} if ids else {}
    chosen: list[Document] = []
    for d, w in zip(asked, wanted):
        doc = by_id.get(w) if isinstance(w, int) else by_name.get(w)
        if doc is None:
            hint = suggest(str(d), list(store.documents.names().values())) if suggest_names else ""
            raise QualcodeError(f"no document named {d!r}{hint} (see 'qualcode docs')")
        chosen.append(doc)
    if order == "given":
        return chosen
    return sorted({d.id: d for d in chosen}.values(), key=lambda d: d.name)
