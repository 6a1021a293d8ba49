"""The review's decision log (undo, audit) and the queue of codings to reassign."""

from __future__ import annotations

from qualcode.store.connection import Connection


class Review:
    """The ``review_log`` and ``review_queue`` table(s)."""

    def __init__(self, db: Connection):
        self.db = db
