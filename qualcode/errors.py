"""Exceptions that the CLI turns into one-line messages and exit codes."""

from __future__ import annotations


class QualcodeError(Exception):
    """An expected failure: bad input, bad arguments, missing project.

    The CLI prints ``error: <message>`` on one line and exits with ``exit_code``.
    """

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:
        msg = super().__str__()
        if self.path is None:
            return msg
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {msg}"


class ProjectNotFound(QualcodeError):
    pass


class InputError(QualcodeError):
    """A file that cannot be read or parsed (bad encoding, malformed XML, ...)."""


class UsageError(QualcodeError):
    exit_code = 2


class StorageError(QualcodeError):
    """The project database could not be written (disk full, file size limit, I/O error),
    or SQLite ended the command's transaction itself: the whole command fails and the
    project is left exactly as before. Never a reason to skip one file and go on."""

    def __init__(self, cause: str):
        self.cause = cause
        super().__init__(f"{cause}: nothing was changed")


class DamagedProject(QualcodeError):
    """The project database is empty, not a database or corrupt: refused, left untouched."""

    def __init__(self, what: str, path: str | None = None):
        where = path or "the project database"
        super().__init__(f"{where} is {what}: restore a backup ('qualcode backups' lists them,"
                         " 'qualcode backups restore ID' puts one back)")


class ProjectBusy(QualcodeError):
    """Another command held the project's write lock for longer than the wait allowed."""

    def __init__(self, holder: str | None, waited: float):
        who = holder or "another qualcode command"
        super().__init__(f"the project is busy: {who} is writing to it (waited {waited:g} s); "
                         "try again when it has finished")


class ReadOnlyProject(StorageError):
    """A command that writes, on a project whose folder or database cannot be written: the
    whole command fails (never a reason to skip one file), nothing is changed."""

    def __init__(self, db_path: object, why: str | None = None):
        self.cause = "read-only"
        QualcodeError.__init__(self, f"the project is read-only ({db_path} or its folder cannot be written): "
                               f"{why or 'this command changes the project; nothing was changed'}; "
                               "commands that only read still work")


class SheetProblems(QualcodeError):
    """Problems found in a filled-in sheet (one ``FILE:ROW: message`` each); nothing was
    imported. (Here rather than in :mod:`qualcode.sheets`, so that the command line's
    error printer names it without importing the sheet readers.)"""

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {path}: nothing imported")
