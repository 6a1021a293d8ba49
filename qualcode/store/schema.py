"""The database schema: the ordered migrations that build and upgrade it.

The schema version is SQLite's ``PRAGMA user_version``; :class:`qualcode.store.connection.Connection`
applies the missing entries of :data:`MIGRATIONS` when it opens a project, each in its own
transaction, so an interrupted upgrade leaves the previous version intact.
"""

from __future__ import annotations

# Each entry upgrades the schema from version i to i+1. Never edit a released entry:
# append a new one.
MIGRATIONS: list[str] = [
    # 0 -> 1: the foundation
    """
    CREATE TABLE documents (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        source_path  TEXT,
        format       TEXT NOT NULL,
        encoding     TEXT,
        content_hash TEXT NOT NULL,           -- sha256 of the raw file bytes
        text         TEXT NOT NULL,           -- normalized: \\n newlines, NFC
        meta         TEXT NOT NULL DEFAULT '{}',
        version      INTEGER NOT NULL DEFAULT 1,
        imported_at  TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE cases (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE case_attributes (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        value,
        type    TEXT NOT NULL CHECK (type IN ('str', 'int', 'float', 'bool')),
        PRIMARY KEY (case_id, name)
    );
    CREATE TABLE case_documents (
        case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        PRIMARY KEY (case_id, document_id)
    );
    CREATE TABLE speakers (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        label       TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('interviewer', 'participant', 'other')),
        case_id     INTEGER REFERENCES cases(id) ON DELETE SET NULL,
        UNIQUE (document_id, label)
    );
    CREATE TABLE turns (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,         -- 1-based, in document order
        speaker_id  INTEGER REFERENCES speakers(id) ON DELETE CASCADE,
        start       INTEGER NOT NULL,
        "end"       INTEGER NOT NULL,
        time_start  REAL,
        time_end    REAL,
        UNIQUE (document_id, idx),
        CHECK (0 <= start AND start < "end")
    );
    CREATE INDEX turns_doc_start ON turns(document_id, start);
    CREATE TABLE codes (
        id              INTEGER PRIMARY KEY,
        path            TEXT NOT NULL UNIQUE,
        label           TEXT NOT NULL,
        parent_id       INTEGER REFERENCES codes(id) ON DELETE RESTRICT,
        definition      TEXT,
        full_definition TEXT,
        when_to_use     TEXT,
        when_not_to_use TEXT,
        examples        TEXT NOT NULL DEFAULT '[]',
        color           TEXT,
        status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE codings (
        id               INTEGER PRIMARY KEY,
        document_id      INTEGER NOT NULL REFERENCES documents(id) ON DELETE RESTRICT,
        code_id          INTEGER NOT NULL REFERENCES codes(id) ON DELETE RESTRICT,
        start            INTEGER NOT NULL,
        "end"            INTEGER NOT NULL,
        text             TEXT NOT NULL,       -- always equals documents.text[start:end]
        unit             TEXT NOT NULL DEFAULT 'span' CHECK (unit IN ('sentence', 'turn', 'span')),
        coder            TEXT NOT NULL,       -- 'rules' or a person
        origin           TEXT NOT NULL,       -- rule id, or 'manual'
        status           TEXT NOT NULL DEFAULT 'proposed'
                         CHECK (status IN ('proposed', 'accepted', 'rejected')),
        codebook_version TEXT,
        memo             TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        CHECK (0 <= start AND start < "end"),
        UNIQUE (document_id, code_id, coder, start, "end")
    );
    CREATE INDEX codings_doc ON codings(document_id, start);
    CREATE INDEX codings_code ON codings(code_id);
    CREATE TABLE memos (
        id          INTEGER PRIMARY KEY,
        target_type TEXT NOT NULL CHECK (target_type IN ('project', 'document', 'case', 'code', 'coding')),
        target_id   INTEGER,
        text        TEXT NOT NULL,
        author      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE history (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        user      TEXT NOT NULL,
        command   TEXT NOT NULL,
        operation TEXT NOT NULL,
        summary   TEXT NOT NULL,
        details   TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 1 -> 2: annotation cache and recorded codebook versions (auto-coding)
    """
    CREATE TABLE annotations (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        cache_key   TEXT NOT NULL,            -- nlp.cache_key(text, turns, pipeline)
        pipeline    TEXT NOT NULL,
        data        BLOB NOT NULL,            -- nlp.AnnotatedDoc.to_bytes()
        created_at  TEXT NOT NULL
    );
    CREATE TABLE codebook_versions (
        version      TEXT PRIMARY KEY,        -- short content hash, recorded on codings
        content_hash TEXT NOT NULL,
        title        TEXT NOT NULL,
        source       TEXT,
        content      TEXT NOT NULL,           -- the YAML file as applied
        recorded_at  TEXT NOT NULL
    );
    CREATE INDEX codings_coder ON codings(coder, document_id);
    """,
    # 2 -> 3: review (decision log for undo/audit) and the queue of codings to reassign
    """
    CREATE TABLE review_log (
        id          INTEGER PRIMARY KEY,
        coding_id   INTEGER REFERENCES codings(id) ON DELETE SET NULL,
        action      TEXT NOT NULL,            -- accept | reject | recode | add | assign | undo
        from_status TEXT,
        to_status   TEXT,
        from_code   TEXT,                     -- code paths, for the audit trail
        to_code     TEXT,
        created_coding_id INTEGER,            -- a coding this decision created (add, recode)
        user        TEXT NOT NULL,
        at          TEXT NOT NULL,
        undone      INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE review_queue (
        id         INTEGER PRIMARY KEY,
        coding_id  INTEGER NOT NULL UNIQUE REFERENCES codings(id) ON DELETE CASCADE,
        reason     TEXT NOT NULL,             -- e.g. 'split identity/x'
        choices    TEXT NOT NULL,             -- JSON list of code paths to choose from
        created_at TEXT NOT NULL
    );
    """,
    # 3 -> 4: the review's "skipped items last" ordering looks decisions up by coding
    """
    CREATE INDEX review_log_coding ON review_log(coding_id, id);
    """,
    # 4 -> 5: the codebook terms' analyses (tokens, lemmas), so that re-coding after a
    # codebook edit runs the pipeline on new terms only
    """
    CREATE TABLE term_analyses (
        cache_key TEXT NOT NULL,              -- qualcode.rules.term_cache_key(pipeline)
        text      TEXT NOT NULL,              -- the term (or the word before a '*')
        tokens    TEXT NOT NULL,              -- JSON [[token, lemma], ...]
        PRIMARY KEY (cache_key, text)
    ) WITHOUT ROWID;
    """,
    # 5 -> 6: codings that a corrected transcript (import --replace) could not place,
    # kept aside with their old text (qualcode codings --orphans)
    """
    CREATE TABLE orphaned_codings (
        id               INTEGER PRIMARY KEY,
        document_id      INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        document_version INTEGER NOT NULL,    -- the version of the text it was coded on
        coding_id        INTEGER NOT NULL,    -- the id it had in codings
        code             TEXT NOT NULL,       -- code path at the time
        start            INTEGER NOT NULL,    -- offsets into that older text
        "end"            INTEGER NOT NULL,
        text             TEXT NOT NULL,       -- the coded text, as it was
        context_before   TEXT NOT NULL,
        context_after    TEXT NOT NULL,
        unit             TEXT NOT NULL,
        coder            TEXT NOT NULL,
        origin           TEXT NOT NULL,
        status           TEXT NOT NULL,
        codebook_version TEXT,
        memo             TEXT,
        memos            TEXT NOT NULL DEFAULT '[]',  -- JSON: the memos that were on the coding
        reason           TEXT NOT NULL,
        created_at       TEXT NOT NULL,       -- when the coding was made
        orphaned_at      TEXT NOT NULL
    );
    CREATE INDEX orphaned_codings_doc ON orphaned_codings(document_id);
    """,
    # 6 -> 7: inline interjections, another speaker's bracketed words inside a turn
    # ("[E: Hum hum.]"), see qualcode.importers.interjections
    """
    CREATE TABLE interjections (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        speaker_id  INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
        start       INTEGER NOT NULL,         -- the whole bracket, inside one turn
        "end"       INTEGER NOT NULL
    );
    CREATE INDEX interjections_document ON interjections(document_id, start);
    """,
    # 7 -> 8: facts about the project itself (key -> value); 'uid' is the random id that
    # the GUIDs of its REFI-QDA exports derive from, so that two exports name alike
    """
    CREATE TABLE project_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 8 -> 9: the REFI-QDA identifiers (GUIDs) of imported things, so that an export keeps them
    """
    CREATE TABLE refi_ids (
        kind      TEXT NOT NULL,              -- project, user, code, document, case, variable, note, coding…
        local_key TEXT NOT NULL,              -- code path, document/case/user name, coding or memo id…
        guid      TEXT NOT NULL,              -- lower case, no braces
        PRIMARY KEY (kind, local_key)
    ) WITHOUT ROWID;
    """,
    # 9 -> 10: each document's sentences, from its annotation (same cache key): the reports and
    # agreement read them without decoding the annotation's token tables (numpy)
    """
    CREATE TABLE sentence_spans (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        cache_key   TEXT NOT NULL,            -- the annotation's nlp.cache_key
        data        BLOB NOT NULL             -- annotations.encode_sentences()
    );
    """,
    # 10 -> 11: each document's pattern-rule matches, so that re-coding after a codebook edit
    # that leaves the patterns alone needs neither spaCy nor its Matcher
    """
    CREATE TABLE pattern_matches (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        cache_key   TEXT NOT NULL,            -- rules.pattern_cache_key(): patterns, annotation, turns coded
        data        BLOB NOT NULL             -- annotations.encode_triples(): (pattern, first token, last token)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def split_sql(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our literals)."""
    statements, buf = [], []
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        buf.append(code)
        if code.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt.strip(";").strip():
                statements.append(stmt)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        statements.append(rest)
    return statements
