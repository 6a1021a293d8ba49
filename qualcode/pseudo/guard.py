"""What every export does when the project has a pseudonym key: pseudonymize, audit the
file before it is put in place, refuse it when it leaks, record the audit in the history.

::

    with export_privacy(project, pseudo=None, allow_leaks=False, command="export excerpts") as privacy:
        export_excerpts(project, out, pseudo=privacy.pseudo)
    privacy.reports  # one AuditReport per file written

``pseudo``: True (the key is required), False (not applied), None (applied when the
project has a key with entries). The audit runs whenever the project has a key — also with
``pseudo=False``, so that an export without pseudonymization is refused when it names
someone — and checks the key's names and the k-anonymity of citations and table rows
(``k``: ``[pseudo] k`` of ``qualcode.toml``, by default 3). The names spaCy's recogniser
finds that are not in the key are listed (warnings) only with ``ner=True`` (``cases
export``, a small table; for the other exports see ``qualcode pseudo audit``). ``remedy``:
what the refusal of a file under k suggests (``--attributes`` for the table of cases).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError
from qualcode.exporters.base import Shown, export_guard
from qualcode.pseudo.audit import DEFAULT_K, SUFFIXES, AuditReport, LeakError, Unit, audit_file, audit_texts
from qualcode.pseudo.key import active_pseudonymizer, project_key
from qualcode.pseudo.ner import ner_pipeline
from qualcode.pseudo.replace import Pseudonymizer

if TYPE_CHECKING:
    from qualcode.project import Project


@dataclass
class Privacy:
    """What an export applied and found."""

    pseudo: Pseudonymizer | None
    key: str | None = None  # the key file's path, when the project has one
    entries: int = 0
    audited: bool = False
    allow_leaks: bool = False
    k: int = DEFAULT_K
    reports: list[AuditReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the audit could not check

    @property
    def leaked(self) -> list[AuditReport]:
        return [r for r in self.reports if r.leaks]

    def note(self) -> str | None:
        """The line an export prints about pseudonymization (None: no key)."""
        if self.key is None:
            return None
        entries = f"{self.entries} entr{'ies' if self.entries != 1 else 'y'}"
        applied = (f"pseudonymized with the key {self.key} ({entries})" if self.pseudo is not None
                   else f"not pseudonymized (--no-pseudo); audited against the key {self.key}")
        found = sum(len(r.leaks) for r in self.reports)
        return applied + (f"; audit: {found} leak{'s' * (found != 1)}" if self.audited else "")

    def to_dict(self) -> dict:
        return {"pseudonymized": self.pseudo is not None, "key": self.key, "entries": self.entries,
                "audited": self.audited, "allow_leaks": self.allow_leaks, "k": self.k,
                "audits": [r.to_dict() for r in self.reports]}


def project_k(project: Project) -> int:
    """``[pseudo] k`` of qualcode.toml: the fewest participants a published combination of
    attributes may fit (default :data:`~qualcode.pseudo.audit.DEFAULT_K`)."""
    value = (project.config.get("pseudo") or {}).get("k", DEFAULT_K)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise QualcodeError(f"[pseudo] k must be a whole number from 1 to 1000, not {value!r}",
                            path=str(project.config_path))
    return value


def _ner_ready(project: Project) -> str | None:
    """None when spaCy's recogniser of the project's language loads, else why not."""
    try:
        ner_pipeline(project.language)
    except QualcodeError as exc:
        return str(exc)
    return None


@contextmanager
def export_privacy(project: Project, *, pseudo: bool | None = None, allow_leaks: bool = False,
                   k: int | None = None, command: str = "export", ner: bool = False,
                   remedy: str | None = None) -> Iterator[Privacy]:
    """Pseudonymize and audit the exports made in the block (see the module documentation)."""
    key = project_key(project)
    privacy = Privacy(active_pseudonymizer(project, pseudo), allow_leaks=allow_leaks)
    if key is None:
        yield privacy
        return
    k = privacy.k = project_k(project) if k is None else k
    privacy.key, privacy.entries, privacy.audited = str(key.path), len(key.entries), True
    auditor = key.pseudonymizer()
    rejected = key.rejected_names()
    if ner and (why := _ner_ready(project)) is not None:
        privacy.notes.append(f"names not in the key not looked for: {why}")
        ner = False

    def check(tmp: Path, target: Path, shown: Shown | None) -> None:
        if _scratch(target):  # a picture drawn for a report: the report itself is audited
            return
        if shown is not None:  # a figure: the words it draws, whatever its format (PNG, SVG, PDF)
            units = [Unit(place, text) for place, text in shown]
            report = audit_texts(project, units, file=_display(target), fmt=target.suffix.lower().lstrip("."),
                                 pseudo=auditor, k=k, ner=ner, rejected=rejected)
        elif target.suffix.lower() not in SUFFIXES:  # a format the audit does not read
            return
        else:
            report = audit_file(project, tmp, fmt=SUFFIXES[target.suffix.lower()], pseudo=auditor, k=k,
                                display=_display(target), ner=ner, rejected=rejected)
        privacy.reports.append(report)
        if report.leaks and not allow_leaks:
            raise LeakError(report, remedy)

    try:
        with export_guard(check):
            yield privacy
    except LeakError as exc:  # logged here, after the export's own transaction rolled back
        _log(project, command, privacy, refused=exc.report)
        raise
    _log(project, command, privacy)


def _scratch(target: Path) -> bool:
    """Whether ``target`` is an intermediate file in a scratch folder of
    :func:`qualcode.exporters.base.temp_folder` (not what goes to standard output)."""
    folder = target.parent
    return (folder.name.startswith("qualcode-") and not folder.name.startswith("qualcode-stdout-")
            and folder.parent == Path(tempfile.gettempdir()))


def _display(target: Path) -> str:
    """How the audit names a file: its path, or ``-`` for what goes to standard output
    (written first to a scratch folder of :func:`qualcode.exporters.base.temp_folder`)."""
    if target.parent.name.startswith("qualcode-stdout-"):
        return "-"
    return str(target)


def _log(project: Project, command: str, privacy: Privacy, refused: AuditReport | None = None) -> None:
    """One history entry per audited export (written or refused); not on a read-only project."""
    store = project.store
    if store.read_only:
        return
    reports = [refused] if refused is not None else privacy.reports
    if not reports:
        return
    leaks = sum(len(r.leaks) for r in reports)
    files = ", ".join(r.file for r in reports)
    verb = "refused" if refused is not None else ("written with leaks" if leaks else "written")
    with store.transaction():
        store.history.log(project.user, command, "pseudo",
                          f"audited export {files}: {verb}, {leaks} leak{'s' * (leaks != 1)}",
                          {"action": "audit", "files": [r.file for r in reports], "refused": refused is not None,
                           "pseudonymized": privacy.pseudo is not None, "allow_leaks": privacy.allow_leaks,
                           "k": privacy.k, "counts": [r.counts() for r in reports]})


def log_audit(project: Project, report: AuditReport) -> None:
    """The history entry of ``qualcode pseudo audit FILE`` (not on a read-only project)."""
    store = project.store
    if store.read_only:
        return
    with store.transaction():
        n = len(report.leaks)
        store.history.log(project.user, "pseudo audit", "pseudo",
                          f"audited {report.file}: {n} leak{'s' * (n != 1)}",
                          {"action": "audit file", "files": [report.file], "counts": report.counts()})
