"""Facts about the project itself: a small key -> value table (``project_meta``).

``uid`` is a random identifier given to the project the first time something needs one
(a REFI-QDA export derives the GUIDs of everything it writes from it, so that exporting
the same project twice gives the same identifiers, and two projects never share one).
"""

from __future__ import annotations

import uuid

from qualcode.store.connection import Connection


class ProjectMeta:
    """The ``project_meta`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM project_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO project_meta (key, value) VALUES (?, ?)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def uid(self) -> str:
        """The project's identifier (a random UUID), created and stored on first use."""
        found = self.get("uid")
        if found is None:
            found = str(uuid.uuid4())
            self.set("uid", found)
        return found
