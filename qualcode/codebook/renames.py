"""Hand-made renames: a code people coded vanished from the codebook while a new code
looks the same.

Editing a code's slug in the YAML by hand looks, to the project, like one code removed
and another added: the codings of the old code would stay on a code no longer in the
codebook, and the next ``autocode`` would start the new one from nothing. Both
``autocode`` and the revision commands (:mod:`qualcode.codebook.revise`) refuse while a
codebook looks renamed this way (:class:`RenameSuspected`), and point to
``qualcode codebook rename OLD NEW``, which makes the project follow.

The detection compares the vanished code as it was last applied (from the recorded
codebook versions, else the codes table) with the codes new to the project: same
definition fields and rules, same code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualcode.codebook.load import code_canonical, parse_codebook_text
from qualcode.codebook.model import Codebook
from qualcode.coders import RULES_CODER
from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    from qualcode.project import Project


@dataclass
class RenameCandidate:
    old: str  # code in the project, gone from the codebook
    new: str  # code in the codebook, new to the project, with the same definition/rules
    codings: int  # codings of ``old`` made or reviewed by people

    def command(self) -> str:
        return f"qualcode codebook rename {self.old} {self.new}"


class RenameSuspected(QualcodeError):
    """The codebook looks hand-renamed: ``candidates`` lists the (old, new) pairs."""

    def __init__(self, candidates: list[RenameCandidate]):
        self.candidates = candidates
        c = candidates[0]
        codings = f"{c.codings} coding" + ("" if c.codings == 1 else "s")
        msg = (f"code {c.old} has {codings} made or reviewed by people and "
               f"disappeared from the codebook, while {c.new} looks the same: if you renamed it, run "
               f"'{c.command()}'; if not, 'qualcode codebook retire {c.old}' keeps its codings aside")
        if len(candidates) > 1:
            msg += f" ({len(candidates) - 1} more such codes: {', '.join(x.old for x in candidates[1:])})"
        super().__init__(msg)


_SIGNATURE_FIELDS = ("definition", "full_definition", "when_to_use", "when_not_to_use", "examples",
                     "rules", "exclude")


def _signature(canon: dict, with_rules: bool = True) -> str | None:
    fields = _SIGNATURE_FIELDS if with_rules else _SIGNATURE_FIELDS[:5]
    sig = {k: canon.get(k) for k in fields}
    if not (sig.get("definition") or sig.get("full_definition") or sig.get("rules")):
        return None  # too little to tell two codes apart
    return json.dumps(sig, sort_keys=True, ensure_ascii=False)


def find_suspected_renames(project: Project, codebook: Codebook) -> list[RenameCandidate]:
    """Codes of the project that people coded, absent from ``codebook``, for which a code
    new to the project (no codings yet) has the same definition fields and rules."""
    store = project.store
    in_book = codebook.by_path()
    rows = store.codes.active_with_usage(machine_coder=RULES_CODER)
    # "new" codes: absent from the project, or present without any coding (a dry run or
    # another command may already have given them a row)
    used = store.codes.coded_paths()
    vanished = [r for r in rows if r.code.path not in in_book and r.people > 0]
    fresh = [c for c in codebook.walk() if c.path not in used]
    if not vanished or not fresh:
        return []
    fresh_canon = {c.path: code_canonical(c) for c in fresh}
    versions = store.versions.all()[::-1]  # newest first
    parsed: list = []
    out = []
    for r in vanished:
        old = None
        for i, v in enumerate(versions):
            if i >= len(parsed):
                try:
                    parsed.append(parse_codebook_text(v.content).by_path())
                except QualcodeError:
                    parsed.append({})
            if r.code.path in parsed[i]:
                old = code_canonical(parsed[i][r.code.path])
                break
        with_rules = old is not None
        if old is None:  # never applied: compare what the codes table knows
            old = {k: getattr(r.code, k) for k in _SIGNATURE_FIELDS[:4]} | {"examples": r.code.examples}
        sig = _signature(old, with_rules)
        if sig is None:
            continue
        for path, canon in fresh_canon.items():
            if _signature(canon, with_rules) == sig:
                out.append(RenameCandidate(r.code.path, path, r.people))
                break
    return out


def check_renames(project: Project, codebook: Codebook) -> None:
    """Raise :class:`RenameSuspected` if the codebook looks renamed by hand."""
    found = find_suspected_renames(project, codebook)
    if found:
        raise RenameSuspected(found)
