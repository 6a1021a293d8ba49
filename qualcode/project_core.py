"""The project folder itself, without the library's operations: what every command opens.

A project is a folder with ``qualcode.toml`` (settings) and ``.qualcode/project.db`` (the
store). :class:`ProjectCore` opens it (recovering from a command killed midway, see
:mod:`qualcode.journal`), reads its settings and gives its data, one attribute per
aggregate of the store (``.documents``, ``.cases``, ``.codes``, ``.codings``, ``.memos``,
``.history``). The Python facade :class:`qualcode.project.Project` is this class with the
library's operations bound as methods; it imports the whole library, so the command line
opens a :class:`ProjectCore` instead and calls the functions it needs (a light command
such as ``report freq`` then imports only its own part of the library: issue 17).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import tomllib
from pathlib import Path
from typing import Self

from qualcode import journal as _journal
from qualcode.errors import ProjectNotFound, QualcodeError
from qualcode.inputs import read_regular_file
from qualcode.store import Store
from qualcode.store.cases import Cases
from qualcode.store.codes import Codes
from qualcode.store.codings import Codings
from qualcode.store.documents import Documents
from qualcode.store.history import History
from qualcode.store.memos import Memos

CONFIG_NAME = "qualcode.toml"
DB_RELATIVE = Path(".qualcode") / "project.db"
LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt")

_CONFIG_TEMPLATE = """\
# qualcode project settings
[project]
name = {name}
language = {language}   # language of the transcripts (spaCy pipeline)

[user]
# name = "your name"  # coder name recorded on codings; default: your login name
"""


class ProjectCore:
    """An open project: its settings and the store's aggregates (the facade
    :class:`qualcode.project.Project` adds the library's operations)."""

    def __init__(self, root: Path, *, open_store: bool = True):
        """``open_store=False``: the settings only, without the database (to restore a
        backup over a damaged one); ``store`` is then missing."""
        self.root = root
        self.config_path = root / CONFIG_NAME
        try:
            self.config = tomllib.loads(self.config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise QualcodeError(f"invalid TOML: {exc}", path=str(self.config_path)) from None
        self.recovered: _journal.Recovery | None = None
        if not open_store:
            return
        self.store = Store(root / DB_RELATIVE)
        # what opening the project did with a command interrupted by a kill (see
        # qualcode.journal): None when there was nothing to do
        if not self.store.read_only:
            try:
                self.recovered = _journal.recover(self)
            except BaseException:
                self.store.close()
                raise
            _journal.clean_leftovers(self._own_folders())

    # -- creation and discovery -------------------------------------------------
    @classmethod
    def init(cls, directory: str | Path = ".", language: str = "fr", name: str | None = None) -> Self:
        root = Path(directory).resolve()
        if language not in LANGUAGES:
            raise QualcodeError(f"unsupported language {language!r} (choose from {', '.join(LANGUAGES)})")
        if (root / CONFIG_NAME).exists():
            raise QualcodeError(f"a project already exists in {root}")
        import json

        if root.exists() and not root.is_dir():
            raise QualcodeError(f"{root} is a file, not a folder: cannot create a project there")
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / DB_RELATIVE).parent.mkdir(exist_ok=True)
        except OSError as exc:  # /proc, /sys, a read-only or full disk, a file on the way…
            raise QualcodeError(f"cannot create a project in {root} ({exc.strerror or exc})") from None
        created = []
        try:
            db = root / DB_RELATIVE
            created.append(db)
            Store(db, create=True).close()
            cfg = _CONFIG_TEMPLATE.format(
                name=json.dumps(name or root.name, ensure_ascii=False), language=json.dumps(language)
            )
            _atomic_write(root / CONFIG_NAME, cfg)
        except BaseException as exc:
            for p in created:
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        Path(str(p) + suffix).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise QualcodeError(f"cannot create a project in {root} ({exc.strerror or exc})") from None
            raise
        return cls(root)

    @classmethod
    def find(cls, start: str | Path | None = None) -> Path:
        """The project root: ``start`` itself or its nearest ancestor with qualcode.toml."""
        here = Path(start or Path.cwd()).resolve()
        if here.is_file():
            here = here.parent
        for folder in (here, *here.parents):
            if (folder / CONFIG_NAME).is_file():
                return folder
        raise ProjectNotFound(
            f"no qualcode project in {here} or its parents (run 'qualcode init' or pass --project)"
        )

    @classmethod
    def open(cls, path: str | Path | None = None) -> Self:
        if path is not None and not Path(path).exists():
            raise ProjectNotFound(f"no such project folder: {path}")
        root = cls.find(path)
        if not (root / DB_RELATIVE).exists():
            raise ProjectNotFound(f"{root / DB_RELATIVE} is missing: the project is damaged")
        return cls(root)

    def close(self) -> None:
        self.store.close()

    def _own_folders(self) -> list[Path]:
        """The folders where qualcode writes next to the project's own files (temporary
        files of killed commands are looked for there)."""
        folders = [self.root / ".qualcode", self.root / ".qualcode" / "backups", self.root / "codebooks"]
        configured = self.config.get("project", {}).get("codebook")
        if isinstance(configured, str) and configured:
            folders.append((self.root / configured).parent)
        return folders

    # -- the data, one aggregate each (qualcode.store) ------------------------------
    @property
    def documents(self) -> Documents:
        """Documents, their speaker turns and speakers."""
        return self.store.documents

    @property
    def cases(self) -> Cases:
        """Cases (participants), their attributes and documents."""
        return self.store.cases

    @property
    def codes(self) -> Codes:
        """The codes of the codebook, as mirrored in the project."""
        return self.store.codes

    @property
    def codings(self) -> Codings:
        """Codings, by every coder: one ``add`` that keeps text and offsets together."""
        return self.store.codings

    @property
    def memos(self) -> Memos:
        return self.store.memos

    @property
    def history(self) -> History:
        """Every bulk operation: imports, auto-coding runs, revisions, reviews."""
        return self.store.history

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- settings -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.config.get("project", {}).get("name", self.root.name))

    @property
    def language(self) -> str:
        return str(self.config.get("project", {}).get("language", "fr"))

    def codebook_path(self, override: str | Path | None = None) -> Path:
        """The codebook to use: ``override``, else ``[project] codebook`` in qualcode.toml
        (relative to the project), else the only ``*.yaml`` file in ``codebooks/``."""
        if override is not None:
            path = Path(override)
            if not path.is_file():
                if path.exists():  # a folder, FIFO or device: says which, without opening it
                    read_regular_file(path, refused="not read as a codebook")
                raise QualcodeError(f"no such codebook file: {path}")
            return path
        configured = self.config.get("project", {}).get("codebook")
        if configured:
            path = self.root / configured
            if not path.is_file():
                raise QualcodeError(f"codebook {configured!r} named in qualcode.toml does not exist",
                                    path=str(self.config_path))
            return path
        found = sorted((self.root / "codebooks").glob("*.y*ml"))
        if len(found) == 1:
            return found[0]
        if not found:
            raise QualcodeError("no codebook: pass --codebook FILE, or set codebook = \"…\" under "
                                "[project] in qualcode.toml")
        raise QualcodeError(f"{len(found)} codebooks in {self.root / 'codebooks'}: pass --codebook FILE "
                            "or set codebook = \"…\" under [project] in qualcode.toml")

    @property
    def user(self) -> str:
        """Coder name: ``[user] name`` in qualcode.toml, else $QUALCODE_USER, else login."""
        name = self.config.get("user", {}).get("name") or os.environ.get("QUALCODE_USER")
        if name:
            return str(name)
        try:
            return getpass.getuser()
        except (ImportError, KeyError, OSError):  # no login name (containers): no pwd, no entry, 3.13's OSError
            return "unknown"


def _atomic_write(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)
