"""A qualcode project, and the Python facade over the whole library.

A project is a folder with ``qualcode.toml`` (settings) and ``.qualcode/project.db`` (the
store). :class:`Project` opens it and is what a script or a notebook holds::

    from qualcode import Project

    with Project.open("these/") as project:
        project.import_paths(["entretiens/"])
        project.autocode()
        print(project.freq_report(by="group").df)

Its data is reached through one attribute per aggregate of the store
(``project.documents``, ``.cases``, ``.codes``, ``.codings``, ``.memos``, ``.history``),
which return typed records; its operations are the library's own functions, bound as
methods (``project.autocode(...)`` *is* :func:`qualcode.autocode.autocode` with the
project as first argument), so the facade adds no second signature to keep in step and
every method's documentation is the function's. The command line is a thin shell over
the same calls; it opens the project as a :class:`~qualcode.project_core.ProjectCore` (the
same class without the bound operations, so that a command imports only the part of the
library it uses).
"""

from __future__ import annotations

from qualcode import autocode as _autocode
from qualcode import cases as _cases
from qualcode import codings as _codings
from qualcode import ingest as _ingest
from qualcode import kwic as _kwic
from qualcode import lifecycle as _lifecycle
from qualcode import manual as _manual
from qualcode import memos as _memos
from qualcode.analysis import agreement as _agreement
from qualcode.analysis import cooccurrence as _cooccurrence
from qualcode.analysis import evaluate as _evaluate
from qualcode.analysis import freq as _freq
from qualcode.analysis import matrix as _matrix
from qualcode.analysis import words as _words
from qualcode.exporters import excerpts as _excerpts
from qualcode.exporters import report as _report
from qualcode.project_core import CONFIG_NAME, DB_RELATIVE, LANGUAGES, ProjectCore
from qualcode.refi import importer as _refi_in
from qualcode.refi import writer as _refi

__all__ = ["CONFIG_NAME", "DB_RELATIVE", "LANGUAGES", "Project"]


class Project(ProjectCore):
    """An open project: settings, the store's aggregates (see
    :class:`~qualcode.project_core.ProjectCore`), and the library's operations."""

    # -- operations: the library's functions, bound as methods -----------------------
    # transcripts and participants
    import_paths = _ingest.import_paths
    set_speaker_roles = _ingest.set_speaker_roles
    rename_speaker = _lifecycle.rename_speaker
    merge_speakers = _lifecycle.merge_speakers
    rename_document = _lifecycle.rename_document
    remove_document = _lifecycle.remove_document
    list_orphans = _lifecycle.list_orphans
    import_cases = _cases.import_cases
    # coding
    autocode = _autocode.autocode
    code = _manual.code
    uncode = _manual.uncode
    list_codings = _codings.list_codings
    kwic = _kwic.kwic
    add_memo = _memos.add_memo
    list_memos = _memos.list_memos
    # analyses (tables are TableResult: .df is a pandas DataFrame)
    frequencies = _freq.frequencies
    freq_report = _freq.freq_report
    cooccurrence = _cooccurrence.cooccurrence
    code_matrix = _matrix.code_matrix
    word_frequencies = _words.word_frequencies
    agreement = _agreement.agreement
    evaluate = _evaluate.evaluate
    # exports for a chapter
    collect_excerpts = _excerpts.collect_excerpts
    export_excerpts = _excerpts.export_excerpts
    build_report = _report.build_report
    # exchange with other CAQDAS tools (REFI-QDA)
    export_qdpx = _refi.export_qdpx
    export_qdc = _refi.export_qdc
    import_qdpx = _refi_in.import_qdpx
