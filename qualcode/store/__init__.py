"""The project database: the only package of qualcode that issues SQL.

:class:`Store` is one connection (:mod:`~qualcode.store.connection`: pragmas, schema
upgrades, transactions) and one object per aggregate, each owning its tables and the
statements about them::

    store.documents   documents, turns, speakers          (documents.py)
    store.cases       cases, attributes, case documents   (cases.py)
    store.codes       codes                               (codes.py)
    store.codings     codings — one add() for the offsets rule (codings.py)
    store.versions    codebook versions                   (versions.py)
    store.annotations annotation and term caches          (annotations.py)
    store.memos       memos                               (memos.py)
    store.review      review log and queue                (review.py)
    store.history     history of bulk operations          (history.py)
    store.orphans     codings a corrected text could not place (orphans.py)
    store.meta        facts about the project (its uid)   (meta.py)
    store.refi        REFI-QDA identifiers (GUIDs)        (refi.py)
    store.backups     whole-database copies and checks    (backups.py)
    store.interjections  another speaker's words inside a turn  (interjections.py)

Aggregates return typed records (dataclasses), never ``sqlite3`` rows, so that a server
database can be put behind the same API later. A test fails if a module outside this
package issues SQL.
"""

from __future__ import annotations

from pathlib import Path

from qualcode.store.annotations import Annotations
from qualcode.store.backups import Backups
from qualcode.store.cases import Case, Cases
from qualcode.store.codes import Code, Codes, CodeSpec
from qualcode.store.codings import CodedSpan, Coding, Codings, NewCoding
from qualcode.store.connection import Connection, now
from qualcode.store.documents import Document, Documents, DocumentSummary, Speaker, Turn, TurnIndex, turn_at
from qualcode.store.history import History, HistoryEntry
from qualcode.store.interjections import Interjection, Interjections
from qualcode.store.memos import Memo, Memos
from qualcode.store.meta import ProjectMeta
from qualcode.store.orphans import Orphans
from qualcode.store.refi import RefiId, RefiIds
from qualcode.store.review import Decision, QueueItem, Review
from qualcode.store.schema import MIGRATIONS, SCHEMA_VERSION
from qualcode.store.versions import CodebookVersion, CodebookVersions

# The records callers meet, importable from here: ``from qualcode.store import Coding``.
__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "Case", "Code", "CodeSpec", "CodebookVersion", "CodedSpan", "Coding",
    "Decision", "Document", "DocumentSummary", "HistoryEntry", "Interjection", "Memo", "NewCoding", "QueueItem",
    "RefiId", "Speaker", "Store", "Turn", "TurnIndex", "now", "turn_at",
]


class Store(Connection):
    """A project database: its connection and one object per aggregate."""

    def __init__(self, path: str | Path, *, create: bool = False):
        super().__init__(path, create=create)
        self.documents = Documents(self)
        self.cases = Cases(self)
        self.codes = Codes(self)
        self.codings = Codings(self)
        self.versions = CodebookVersions(self)
        self.annotations = Annotations(self)
        self.memos = Memos(self)
        self.review = Review(self)
        self.history = History(self)
        self.orphans = Orphans(self)
        self.refi = RefiIds(self)
        self.backups = Backups(self)
        self.interjections = Interjections(self)
        self.meta = ProjectMeta(self)
