"""Helpers shared by the tests (``from helpers import …``; pytest puts tests/ on sys.path).

Test modules import from here, never from each other or from conftest.py (which only
declares fixtures):

- ``helpers.files``: ``write``, the sample transcripts (``SAMPLES``, ``sample``, ``samples``),
  a short ``INTERVIEW``;
- ``helpers.cli``: ``Runner``, the CLI run in-process from a folder;
- ``helpers.db``: reading the database behind qualcode's back (``db_rows``,
  ``assert_offsets_sacred``, ``snapshot``, ``per_code``);
- ``helpers.factory``: ``build_project``, the one factory for the small coded projects,
  and ``add_codings``/``Coding``, ``set_status``, ``retire_codes``;
- data sets built on the factory and shared by several test modules: ``helpers.revision``
  (codebook revisions, backups), ``helpers.figures`` (charts, report export),
  ``helpers.reports`` (reports and their exports), ``helpers.agreement`` (agreement,
  reconciliation).
"""

from helpers.cli import Runner
from helpers.db import assert_offsets_sacred, db_path, db_rows, per_code, snapshot
from helpers.factory import Coding, add_codings, build_project, new_project, retire_codes, set_status
from helpers.files import INTERVIEW, REPO, SAMPLES, sample, samples, write

__all__ = [
    "INTERVIEW", "REPO", "SAMPLES", "Coding", "Runner", "add_codings", "assert_offsets_sacred",
    "build_project", "db_path", "db_rows", "new_project", "per_code", "retire_codes", "sample",
    "samples", "set_status", "snapshot", "write",
]
