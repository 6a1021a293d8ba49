"""The codebook versions applied to the project (content hash, title, YAML as applied)."""

from __future__ import annotations

from qualcode.store.connection import Connection


class CodebookVersions:
    """The ``codebook_versions`` table(s)."""

    def __init__(self, db: Connection):
        self.db = db
