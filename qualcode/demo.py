"""``qualcode demo``: build a project from the bundled sample and show what it holds."""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from qualcode.analysis.cooccurrence import cooccurrence
from qualcode.analysis.freq import FreqTable, freq_report, frequencies
from qualcode.analysis.matrix import code_matrix
from qualcode.autocode import AutocodeReport, autocode
from qualcode.cases import CasesReport, import_cases
from qualcode.codebook import load_codebook
from qualcode.errors import QualcodeError
from qualcode.exporters.base import provenance_for
from qualcode.exporters.report import build_report, report_command
from qualcode.exporters.tables import write_tables
from qualcode.ingest import ImportReport, import_paths, set_speaker_roles
from qualcode.project import CONFIG_NAME, Project

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class DemoPaths:
    transcripts: Path
    participants: Path
    codebook: Path


def sample_paths(sample_dir: Path | None = None) -> DemoPaths:
    """The sample transcripts, participants file and codebook shipped with the repository."""
    transcripts = Path(sample_dir) if sample_dir else REPO_ROOT / "transcripts_sample"
    if not transcripts.is_dir():
        raise QualcodeError(f"sample folder not found: {transcripts} (pass --sample DIR)")
    return DemoPaths(
        transcripts=transcripts,
        participants=transcripts / "participants.csv",
        codebook=REPO_ROOT / "codebooks" / "bassin_minier.yaml",
    )


MARKER_NAME = ".qualcode-demo"
MARKER_TEXT = ("This folder was made by `qualcode demo`. `qualcode demo --force` deletes and rebuilds it,\n"
               "as long as it holds only what the demo wrote.\n")
DEMO_PROJECT_NAME = "Bassin minier (demo)"
REPORT_NAME = "report.docx"
TABLES_NAME = "tables.xlsx"


def _demo_entries(codebook: str) -> dict[str, frozenset[str] | None]:
    """What the demo writes in its folder: top-level name -> the names inside it (for a
    folder whose content is checked) or None (a file, or qualcode's own ``.qualcode/``)."""
    return {MARKER_NAME: None, CONFIG_NAME: None, ".qualcode": None, REPORT_NAME: None, TABLES_NAME: None,
            "codebooks": frozenset({codebook})}


def _is_write_leftover(name: str) -> bool:
    """A temporary file of an interrupted write of one of the demo's outputs
    (see :func:`qualcode.exporters.base.atomic_write`)."""
    return any(name.startswith(f".{out}.") and name.endswith(".tmp") for out in (REPORT_NAME, TABLES_NAME))


def _made_by_demo(dest: Path) -> bool:
    """The marker, or (a folder of a qualcode older than the marker) a qualcode.toml naming
    the demo project."""
    if (dest / MARKER_NAME).is_file():
        return True
    try:
        config = tomllib.loads((dest / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    project = config.get("project")
    return isinstance(project, dict) and project.get("name") == DEMO_PROJECT_NAME


def _foreign_entry(dest: Path, codebook: str) -> Path | None:
    """The first file or folder in ``dest`` that the demo did not write, if any."""
    allowed = _demo_entries(codebook)
    for entry in sorted(dest.iterdir()):
        if entry.name not in allowed:
            if _is_write_leftover(entry.name) and not entry.is_symlink() and entry.is_file():
                continue
            return entry
        inside = allowed[entry.name]
        if entry.is_symlink():
            return entry
        if inside is None:
            continue
        if not entry.is_dir():
            return entry
        for sub in sorted(entry.iterdir()):
            if sub.name not in inside or sub.is_symlink() or not sub.is_file():
                return sub
    return None


def prepare_folder(dest: Path, force: bool, codebook: str = "bassin_minier.yaml") -> None:
    """Make ``dest`` ready for a new demo project: create it, use it if it is empty, or,
    with ``force``, delete it if the demo made it and it holds only what the demo writes.
    Anything else is refused and left untouched. Then writes the demo's marker file.

    ``codebook`` is the name of the codebook file the demo copies into ``codebooks/``."""
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise QualcodeError(f"{dest} exists and is not a folder: choose another folder")
    if dest.exists() and any(dest.iterdir()):
        if not _made_by_demo(dest):
            raise QualcodeError(f"{dest} is not empty and was not made by qualcode demo (no {MARKER_NAME} "
                                f"file): it is left untouched, choose another folder")
        if not force:
            raise QualcodeError(f"{dest} already holds a project (use --force to rebuild it)")
        foreign = _foreign_entry(dest, codebook)
        if foreign is not None:
            raise QualcodeError(f"{dest} holds {foreign.relative_to(dest)}, which qualcode demo did not write: "
                                f"it is left untouched (move that out, or choose another folder)")
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MARKER_NAME).write_text(MARKER_TEXT, encoding="utf-8")


@dataclass
class DemoResult:
    project: Project
    imports: ImportReport
    cases: CasesReport | None
    autocode: AutocodeReport | None
    freq: FreqTable | None
    report: Path | None = None  # report.docx (tables, charts, excerpts)
    tables: Path | None = None  # tables.xlsx (frequencies, co-occurrence, codes × cases)



# Display labels of the sample's attribute values in exported files (qualcode.i18n).
DEMO_LABELS = """
[labels]  # how attribute values read in exported files
group.local_actor = "acteurs locaux"
group.resident = "habitants"
"""


def build_demo_project(dest: Path, paths: DemoPaths, force: bool = False) -> DemoResult:
    prepare_folder(dest, force, paths.codebook.name)
    project = Project.init(dest, language="fr", name=DEMO_PROJECT_NAME)
    config = dest / CONFIG_NAME
    config.write_text(config.read_text(encoding="utf-8") + DEMO_LABELS, encoding="utf-8")
    project.config = tomllib.loads(config.read_text(encoding="utf-8"))
    imports = import_paths(project, [str(paths.transcripts)])
    if imports.skipped:
        bad = [r for r in imports.results if r.status == "skipped"]
        raise QualcodeError(f"sample file could not be imported: {bad[0].path}: {bad[0].reason}")
    # Diarization output does not say who asked the questions: fix it as a user would.
    if project.store.documents.by_name("entretien_11_petite_fille_mineur"):
        set_speaker_roles(project, "entretien_11_petite_fille_mineur", {"SPEAKER_00": "interviewer"})
    cases = import_cases(project, paths.participants) if paths.participants.is_file() else None
    report = freq = None
    if paths.codebook.is_file():
        # The project keeps its own copy of the codebook, as a researcher's would.
        target = dest / "codebooks" / paths.codebook.name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(paths.codebook, target)
        report = autocode(project, target)
        order = [c.path for c in load_codebook(target).walk()]
        freq = frequencies(project, "group", order=order) if cases else None
    result = DemoResult(project, imports, cases, report, freq)
    if freq is not None:
        result.report, result.tables = write_demo_exports(project, dest)
    return result


def write_demo_exports(project: Project, dest: Path, by: str = "group", force: bool = False) -> tuple[Path, Path]:
    """The demo's exports, in its folder: ``report.docx`` (``qualcode export report``) and
    ``tables.xlsx`` (codes by group, co-occurrence in sentences, codes × cases)."""
    report_path = dest / REPORT_NAME
    tables_path = dest / TABLES_NAME
    build_report(project, report_path, by=by, force=force,
                 command=report_command(REPORT_NAME, by=by) + "  # run by qualcode demo")
    tables = [freq_report(project, by), *cooccurrence(project, unit="sentence"), code_matrix(project, cols="cases")]
    prov = provenance_for(project, f"qualcode report freq --by {by}; qualcode report cooccurrence --unit sentence; "
                                   f"qualcode report matrix --cols cases  # run by qualcode demo",
                          filters={"by": by})
    write_tables(tables, "xlsx", tables_path, prov, force=force)
    return report_path, tables_path
