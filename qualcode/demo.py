"""``qualcode demo``: build a project from the bundled sample and show what it holds."""

from __future__ import annotations

import shutil
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


def prepare_folder(dest: Path, force: bool) -> None:
    if dest.exists() and any(dest.iterdir()):
        if not (dest / CONFIG_NAME).is_file():
            raise QualcodeError(f"{dest} exists and is not a qualcode project: choose another folder")
        if not force:
            raise QualcodeError(f"{dest} already holds a project (use --force to rebuild it)")
        shutil.rmtree(dest)


@dataclass
class DemoResult:
    project: Project
    imports: ImportReport
    cases: CasesReport | None
    autocode: AutocodeReport | None
    freq: FreqTable | None
    report: Path | None = None  # report.docx (tables, charts, excerpts)
    tables: Path | None = None  # tables.xlsx (frequencies, co-occurrence, codes × cases)


REPORT_NAME = "report.docx"
TABLES_NAME = "tables.xlsx"


def build_demo_project(dest: Path, paths: DemoPaths, force: bool = False) -> DemoResult:
    prepare_folder(dest, force)
    project = Project.init(dest, language="fr", name="Bassin minier (demo)")
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
