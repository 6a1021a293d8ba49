"""The codebook's codes mirrored in the project's codes table.

Codings point at rows of the codes table, so every command that is about to code
(``autocode``, manual coding, the revision commands) first brings the table up to date
with the codebook: codes are inserted or updated by path; codes no longer in the
codebook stay in the table (their manual codings must not be lost; the revision
commands retire or merge them explicitly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.codebook.model import Codebook
from qualcode.store.codes import CodeSpec

if TYPE_CHECKING:
    from qualcode.project import Project


def code_specs(codebook: Codebook) -> list[CodeSpec]:
    """The codebook's codes as the codes table mirrors them, parents first."""
    return [CodeSpec(c.path, c.label, c.parent, c.definition, c.full_definition, c.when_to_use,
                     c.when_not_to_use, c.examples, c.color) for c in codebook.walk()]


def sync_codes(project: Project, codebook: Codebook) -> dict[str, int]:
    """Insert or update the codebook's codes in the codes table; path -> code id.

    Codes that are no longer in the codebook stay in the table (their manual codings
    must not be lost; later revision commands retire or merge them explicitly).
    """
    return project.store.codes.sync(code_specs(codebook)).ids
