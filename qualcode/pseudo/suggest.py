"""Candidates for the pseudonym key (``qualcode pseudo suggest``), and the spreadsheet
round trip that accepts, rejects or edits them (``pseudo suggest -o key.xlsx``, then
``pseudo import key.xlsx``).

Where candidates come from, over every turn of every document:

* ``ner``: spaCy's named-entity recogniser (PER, LOC, ORG) of the project's pipeline
  package (weak on transcribed speech: hence the other sources);
* ``capitalised``: runs of capitalised words that do not start a sentence (``Martine
  Vasseur``, ``Noyelles-Godault``), read from the annotation cache where the documents
  have one (its sentence starts and proper nouns), else found by their punctuation;
* ``title``: a title and a name (``M. Caron``, ``Mme Dufour``, ``Monsieur Delattre``);
* ``speaker``: the speakers' labels that are not roles (``Enquêtrice``, ``Speaker 1``);
* ``attribute``: case attributes whose values are names (``commune``, ``nom``…), all but
  the pseudonyms;
* ``email``, ``phone``, ``address``: e-mail addresses, French phone numbers, street
  addresses (``12 rue Émile-Zola``).

Each candidate has a kind (person, place, organisation, other), its number of
occurrences (whole words, as the replacement would find them), an example with its
document and turn, its sources, and a proposed replacement (``[personne 3]``). Names
already in the key, the cases' pseudonyms and the key's replacements are left out, and so
are the candidates rejected before (the key's ``[[rejected]]``; ``rejected=True`` keeps
them, marked): their number is :attr:`Candidates.skipped_rejected`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError, UsageError
from qualcode.exporters.base import atomic_write, provenance_for
from qualcode.lookup import select_documents
from qualcode.nlp import AnnotatedDoc, cache_key, load_pipeline
from qualcode.pseudo.key import KINDS, KeyEntry, Rejection, guess_kind, merge_entries, project_key, rejection_key
from qualcode.pseudo.ner import entities
from qualcode.pseudo.replace import TITLES, Pseudonymizer, Rule, fold_text
from qualcode.sheets import SheetProblems, cell_text, read_rows, write_decision_csv, write_decision_xlsx

if TYPE_CHECKING:
    from qualcode.project import Project

COLUMNS = ("decision", "name", "replacement", "kind", "count", "sources", "document", "text")
DECISIONS = ("accept", "reject")
_ACCEPT = {"accept", "a", "yes", "y", "oui", "o", "x", "ok"}
_REJECT = {"reject", "r", "no", "n", "non", "-"}  # remembered: not proposed again
_UNDECIDED = {"", "skip", "s"}  # proposed again next time
# words that are capitalised in transcripts without being names
_COMMON_WORDS = """
je j il elle on nous vous ils elles c ce ça ca et mais ou donc or ni car oui non bon ben bah euh hum ah oh
alors voilà voila enfin après apres avant puis quand comme si le la les l un une des de du d au aux en
dans pour par sur avec sans chez mon ma mes ton ta tes son sa ses notre votre leur leurs qui que quoi
est était etait c'est moi toi lui eux madame monsieur mademoiselle m mme mlle enquêteur enquêtrice
enquêteuse intervieweur interviewer speaker locuteur participant participante ok d'accord merci
bonjour bonsoir au revoir france français française nord pas-de-calais mhm hm hmm ouais pff hein
"""
_COMMON = {fold_text(w) for w in _COMMON_WORDS.split()}
_NAME_ATTRIBUTES = ("commune", "ville", "city", "town", "village", "nom", "name", "prenom", "prénom", "surname",
                    "first_name", "last_name", "adresse", "address", "rue", "street", "employeur", "employer",
                    "association", "organisation", "organization", "entreprise", "company", "quartier", "cite",
                    "cité", "lieu", "place")
_PSEUDONYMS = ("pseudonym", "pseudonyme")
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’]*(?:-[A-ZÀ-ÖØ-Þa-zà-öø-ÿ][\w'’]*)*"
_PARTICLE = r"(?:de|du|des|de\s+la|d'|d’|le|la|van|von|der|ben|el)"
_RUN = re.compile(rf"{_WORD}(?:[ \t\u00a0]+(?:{_PARTICLE}[ \t\u00a0]*)?{_WORD})*")
_TITLE = re.compile(r"\b(?:M\.|(?i:" + "|".join(sorted((re.escape(t) for t in TITLES if len(t) > 1),
                                                          key=len, reverse=True))
                    + rf")\.?)[ \t\u00a0]+{_WORD}(?:[ \t\u00a0]+{_WORD})?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+33[\s.]?|0)[1-9](?:[\s.-]?\d\d){4}(?!\d)")
_ADDRESS = re.compile(r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|chemin|impasse|allée|"
                      r"allee|route|cité|cite|résidence|residence|square|quai)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*"
                      rf"{_WORD}(?:[ -]{_WORD})*", re.IGNORECASE)
_STREET = re.compile(r"\b(?:rue|avenue|boulevard|place|chemin|impasse|allée|cité|résidence)\s+"
                     r"(?:(?:de|du|des|la|le|l'|d')\s*)*" + rf"{_WORD}(?:[ -]{_WORD})*")
_SENTENCE_END = re.compile(r"[.!?…:;«»\"\n]\s*$")
_REPLACEMENTS = {"person": "[personne {n}]", "place": "[lieu {n}]", "organisation": "[organisation {n}]",
                 "email": "[adresse e-mail]", "phone": "[téléphone]", "address": "[adresse {n}]",
                 "other": "[nom {n}]"}
_RANK = {"other": 0, "place": 1, "organisation": 2, "person": 3, "address": 4, "phone": 5, "email": 5}
_NER_KINDS = {"PER": "person", "PERSON": "person", "LOC": "place", "GPE": "place", "ORG": "organisation"}


@dataclass
class Candidate:
    name: str
    kind: str
    sources: set[str] = field(default_factory=set)
    count: int = 0
    document: str = ""
    example: str = ""
    replacement: str = ""
    rejected: Rejection | None = None  # rejected before (listed with rejected=True only)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "count": self.count, "sources": sorted(self.sources),
                "document": self.document, "example": self.example, "replacement": self.replacement,
                "rejected": None if self.rejected is None else {"by": self.rejected.rejected_by,
                                                                "at": self.rejected.rejected_at}}


class Candidates(list[Candidate]):
    """The candidates, most frequent first, and how many rejected ones were left out."""

    skipped_rejected: int = 0


def _clean(name: str) -> str:
    name = " ".join(name.split()).strip(" ,.;:!?«»\"()[]'’-")
    return re.sub(r"^(?:[dl]['’]|qu['’])", "", name, flags=re.IGNORECASE)


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    """The words around ``text[start:end]``, within its line."""
    lo = max(text.rfind("\n", 0, start) + 1, start - width)
    hi = text.find("\n", end)
    hi = min(len(text) if hi < 0 else hi, end + width)
    return ("…" if lo > 0 and text[lo - 1] != "\n" else "") + " ".join(text[lo:hi].split()) + \
        ("…" if hi < len(text) and text[hi] != "\n" else "")


_BRACKETS_AT_END = re.compile(r"(?:\[[^\]\n]*\]\s*|\((?:\.\.\.|…)\)\s*)+$")


def _sentence_start(text: str, start: int, turn_start: int) -> bool:
    """Whether ``start`` begins a sentence: at a turn's start, or after an end mark, a
    colon, a quote or a line break (annotations such as ``[rires]`` between skipped)."""
    before = _BRACKETS_AT_END.sub("", text[max(turn_start, start - 200):start])
    return not before.strip() or _SENTENCE_END.search(before) is not None


def suggest(project: Project, *, ner: bool = True, min_count: int = 1, rejected: bool = False) -> Candidates:
    """The candidates of the project, most frequent first (see the module documentation);
    ``rejected``: keep the candidates rejected before (marked), else leave them out."""
    store = project.store
    with store.transaction():
        docs = select_documents(project, None)
        turns = {d.id: store.documents.turns(d.id) for d in docs}
        speakers = {s.label for d in docs for s in store.documents.speakers(d.id) if s.role != "interviewer"}
        cases = store.cases.all()
        cached = _cached_tokens(project, docs)
    key = project_key(project)
    known = {fold_text(e.name) for e in key.entries} if key is not None else set()
    known |= {fold_text(e.replacement) for e in key.entries} if key is not None else set()
    pseudonyms = [str(v) for c in cases for k, v in c.attributes.items() if k.casefold() in _PSEUDONYMS and v]
    known |= {fold_text(p) for p in pseudonyms}
    known |= {fold_text(w) for p in pseudonyms for w in p.split() if len(w) > 2}  # "Wojcik" of "M. Wojcik"
    known |= {fold_text(c.name) for c in cases}
    found: dict[str, Candidate] = {}

    def add(name: str, kind: str, source: str, doc: str = "", example: str = "") -> None:
        name = _clean(name)
        words = name.split(" ")
        while source != "title" and len(words) > 1 and fold_text(words[0]) in _COMMON:  # "Bonjour Marcel"
            words = words[1:]
        name = words[0] if len(words) == 1 else " ".join(words)
        if kind not in ("email", "phone", "address") and not source.startswith("attribute") \
                and not name[:1].isupper():
            return  # a name starts with a capital ("qu", "hein": the recogniser's noise)
        if len(name) < 2 or fold_text(name) in _COMMON or fold_text(name) in known:
            return
        if all(fold_text(w) in _COMMON for w in re.split(r"[\s-]+", name)):
            return
        if any(ch.isdigit() for ch in name) and kind not in ("phone", "address"):
            return
        k = fold_text(name)
        cand = found.get(k)
        if cand is None:
            cand = found[k] = Candidate(name, kind)
        elif _RANK.get(kind, 0) > _RANK.get(cand.kind, 0):
            cand.kind = kind
        cand.sources.add(source)
        if not cand.example and example:
            cand.document, cand.example = doc, example

    texts: list[tuple[str, str, int, int]] = []  # (document, text, turn start, turn end)
    for d in docs:
        spans = [(t.start, t.end) for t in turns[d.id]] or [(0, len(d.text))]
        for a, b in spans:
            texts.append((d.name, d.text, a, b))
    if ner:
        for (doc, text, a, _b), ents in zip(texts, entities([t[1][t[2]:t[3]] for t in texts], project.language)):
            for ent_text, label, s, e in ents:
                add(ent_text, _NER_KINDS.get(label, "other"), f"ner:{label}", doc, _context(text, a + s, a + e))
    for doc, text, a, b in texts:
        piece = text[a:b]
        for m in _EMAIL.finditer(piece):
            add(m.group(), "email", "email", doc, _context(text, a + m.start(), a + m.end()))
        for m in _PHONE.finditer(piece):
            add(m.group(), "phone", "phone", doc, _context(text, a + m.start(), a + m.end()))
        for m in _ADDRESS.finditer(piece):
            add(m.group(), "address", "address", doc, _context(text, a + m.start(), a + m.end()))
        for m in _STREET.finditer(piece):
            add(m.group(), "address", "address", doc, _context(text, a + m.start(), a + m.end()))
        for m in _TITLE.finditer(piece):
            add(m.group(), "person", "title", doc, _context(text, a + m.start(), a + m.end()))
        for m in _RUN.finditer(piece):
            s, e = a + m.start(), a + m.end()
            if "@" in text[e:e + 1] or text[max(0, s - 1):s] in ("@", "."):
                continue
            propn = cached.get(doc, {}).get(s)  # None: no cached annotation
            if _sentence_start(text, s, a) and not propn:
                # at a sentence start, not a proper noun: its next capitalised words only
                words = m.group().split()
                if len(words) < 2:
                    continue
                add(" ".join(words[1:]), guess_kind(" ".join(words[1:])), "capitalised", doc,
                    _context(text, s, e))
                continue
            add(m.group(), guess_kind(m.group()), "capitalised+propn" if propn else "capitalised", doc,
                _context(text, s, e))
    for label in speakers:
        add(label, guess_kind(label) if len(label.split()) > 1 else "person", "speaker")
    for c in cases:
        for attr, value in c.attributes.items():
            if attr.casefold() in _NAME_ATTRIBUTES and isinstance(value, str) and value.strip():
                kind = "place" if attr.casefold() in ("commune", "ville", "city", "town", "village", "quartier",
                                                      "cite", "cité", "lieu", "place") else "other"
                add(value, kind, f"attribute:{attr}", c.name, f"{c.name}: {attr} = {value}")
    # counts: as the replacement would find them (whole words, variants), over every text
    out = list(found.values())
    for cand in out:
        rule = Pseudonymizer([Rule(cand.name, "x")])
        cand.count = sum(len(rule.matches(d.text, persons=False)) for d in docs)
        if cand.count == 0 and any(s.startswith(("speaker", "attribute")) for s in cand.sources):
            cand.count = 1  # named outside the texts: a speaker label, an attribute
    out = [c for c in out if c.count >= min_count]
    skipped = 0
    if key is not None and key.rejected:
        decisions = {rejection_key(r.name): r for r in key.rejected}
        for cand in out:
            cand.rejected = decisions.get(rejection_key(cand.name))
        skipped = sum(c.rejected is not None for c in out)
        if not rejected:
            out = [c for c in out if c.rejected is None]
        else:
            skipped = 0
    # a candidate inside a longer one that is as frequent (Martine in Martine Vasseur) stays: the key needs both
    out.sort(key=lambda c: (-c.count, c.name.casefold()))
    numbers: dict[str, int] = {}
    for cand in out:
        numbers[cand.kind] = numbers.get(cand.kind, 0) + 1
        cand.replacement = _REPLACEMENTS.get(cand.kind, "[nom {n}]").format(n=numbers[cand.kind])
    result = Candidates(out)
    result.skipped_rejected = skipped
    return result


def _cached_tokens(project: Project, docs: Iterable[Any]) -> dict[str, dict[int, bool]]:
    """document -> {start of a capitalised token: whether the tagger made it a proper
    noun}, from the annotation cache only (nothing is computed; documents without a cached
    annotation are left out)."""
    store = project.store
    pipeline = load_pipeline(project.language)  # its name only: the model is not loaded
    out: dict[str, dict[int, bool]] = {}
    for d in docs:
        spans = [(t.start, t.end) for t in store.documents.turns(d.id)]
        data = store.annotations.get(d.id, cache_key(d.text, spans, pipeline))
        if data is None:
            continue
        ann = AnnotatedDoc.from_bytes(data, d.text)
        marks: dict[int, bool] = {}
        for tok in ann.tokens():
            if tok["text"][:1].isupper():
                marks[tok["start"]] = tok["pos"] == "PROPN"
        out[d.name] = marks
    return out


# ---------------------------------------------------------------------------- the sheet


def write_sheet(project: Project, candidates: list[Candidate], path: str | Path, *, force: bool = False) -> Path:
    """The candidates as a sheet to fill in (xlsx or csv): ``decision`` accept or reject,
    ``name`` and ``replacement`` editable, ``kind``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UsageError(f"{p}: write the candidates to a .xlsx or .csv file")
    rows = [{"decision": "reject" if c.rejected is not None else "", "name": c.name, "replacement": c.replacement,
             "kind": c.kind if c.kind in KINDS else "other", "count": c.count, "sources": ", ".join(sorted(c.sources)),
             "document": c.document, "text": c.example} for c in candidates]
    prov = provenance_for(project, "qualcode pseudo suggest")
    with atomic_write(p, force=force) as tmp:
        if suffix == ".csv":
            write_decision_csv(tmp, COLUMNS, rows, prov)
        else:
            write_decision_xlsx(
                tmp, sheet="candidates", columns=COLUMNS, rows=rows,
                widths={"decision": 10, "name": 28, "replacement": 24, "kind": 13, "count": 7, "sources": 22,
                        "document": 24, "text": 70},
                choices=list(DECISIONS), validation={}, about=(
                    "Candidates for the pseudonym key: keep this file with the key, never with the data.",
                    "decision: accept (the name goes in the key, with its replacement, which you may edit), "
                    "reject (remembered in the key file: not proposed again) or empty (decide later); edit the "
                    "name to fix it. Then: qualcode pseudo import FILE"),
                provenance=prov)
    return p


def import_sheet(project: Project, path: str | Path, *, dry_run: bool = False) -> dict[str, Any]:
    """Read a filled-in candidates sheet: the accepted rows go in the key (added, or their
    replacement changed), rows with decision ``remove`` leave it, rejected rows are
    remembered as rejected (not proposed again), rows without a decision are left for later.
    Every problem is reported as ``FILE:ROW: …`` and nothing is changed then."""
    rows = read_rows(path, sheet="candidates")
    header = [cell_text(rows[0][1], i).casefold() for i in range(len(rows[0][1]))]
    missing = [c for c in ("decision", "name", "replacement") if c not in header]
    if missing:
        raise QualcodeError(f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)} (the columns of "
                            "'qualcode pseudo suggest -o FILE')", path=str(path), line=rows[0][0])
    col = {name: header.index(name) for name in COLUMNS if name in header}
    problems: list[str] = []
    accepted: list[KeyEntry] = []
    removed: list[str] = []
    rejected: list[Rejection] = []
    undecided = 0
    seen: dict[str, int] = {}
    for line, cells in rows[1:]:
        decision = cell_text(cells, col["decision"]).casefold()
        name = " ".join(cell_text(cells, col["name"]).split())
        replacement = " ".join(cell_text(cells, col["replacement"]).split())
        kind = cell_text(cells, col.get("kind")).casefold() or None
        where = f"{path}:{line}"
        if decision in _UNDECIDED:
            undecided += 1
            continue
        if decision in _REJECT:
            if name:
                rejected.append(Rejection(name, kind if kind in KINDS else "other"))
            continue
        if decision == "remove":
            removed.append(name)
            continue
        if decision not in _ACCEPT:
            problems.append(f"{where}: decision {decision!r}: write accept, reject or remove (or leave it empty)")
            continue
        if not name:
            problems.append(f"{where}: accepted without a name")
            continue
        if not replacement:
            problems.append(f"{where}: {name!r} accepted without a replacement")
            continue
        if kind is not None and kind not in KINDS:
            kind = "other"
        if fold_text(name) in seen:
            problems.append(f"{where}: {name!r} is accepted twice (row {seen[fold_text(name)]} too)")
            continue
        seen[fold_text(name)] = line
        accepted.append(KeyEntry(name, replacement, kind or guess_kind(name)))
    if problems:
        raise SheetProblems(str(path), problems)
    result: dict[str, Any] = {"accepted": len(accepted), "rejected": len(rejected), "undecided": undecided,
                              "removed": len(removed)}
    if dry_run:
        return {**result, "dry_run": True}
    counts = merge_entries(project, accepted, removed, "pseudo import", rejected=rejected)
    return {**result, **counts}
