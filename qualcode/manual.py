"""Coding by hand (``qualcode code`` / ``qualcode uncode``) and the coding margin of ``show``.

A manual coding is a span of a document coded with a code by a person: coder
``--coder`` or the project's user (``[user] name`` in qualcode.toml), origin ``manual``,
status ``accepted``. The span is given by exactly one locator:

- ``turn``: a turn number or a range ``"3-5"`` (each turn is its own coding, unit ``turn``,
  the turn's span from the turns table);
- ``sentence``: ``"N.K"``, the K-th sentence of turn N (both from 1), as segmented by the
  NLP pipeline (annotation cache), unit ``sentence``;
- ``quote``: the exact words, found in the document text (case-sensitive first, then
  tolerant of whitespace/newline differences and of ’ vs ', then of case), unit ``span``;
- ``span``: ``"START:END"`` character offsets into the stored text, unit ``span``.

Invariant: a coding's ``text`` is always ``documents.text[start:end]``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from bisect import bisect_right
from typing import TYPE_CHECKING, NamedTuple

from qualcode.annotations import load_annotations
from qualcode.codebook import load_codebook
from qualcode.codebook.sync import sync_codes
from qualcode.coders import RULES_CODER
from qualcode.errors import QualcodeError, UsageError
from qualcode.lookup import suggest
from qualcode.nlp import load_pipeline
from qualcode.store import now, turn_at
from qualcode.store.documents import Document, Turn

if TYPE_CHECKING:
    from qualcode.project import Project

MANUAL_ORIGIN = "manual"


class Locus(NamedTuple):
    start: int
    end: int
    unit: str  # 'turn' | 'sentence' | 'span'


# --------------------------------------------------------------------------- lookups


def get_document(project: Project, name: str) -> Document:
    """The document named ``name``, or an error with a did-you-mean suggestion."""
    doc = project.store.documents.by_name(name)
    if doc is None:
        known = list(project.store.documents.names().values())
        raise QualcodeError(f"no document named {name!r}{suggest(name, known)} (see 'qualcode docs')")
    return doc


def _codebook(project: Project):
    """The project's codebook, or None when there is no single one to use (no codebook, or
    several without a choice in qualcode.toml: then only the codes table counts)."""
    try:
        path = project.codebook_path()
    except QualcodeError:
        return None
    return load_codebook(path)


def resolve_code(project: Project, path: str, *, allow_retired: bool = False, sync: bool = True) -> int:
    """The id of code ``path``: from the codes table or, if it is only in the project's
    codebook, after syncing the codebook's codes into the table (call inside a transaction).
    Unknown code: error with suggestions; retired code: error unless ``allow_retired``."""
    store = project.store
    path = path.strip().strip("/")
    row = store.codes.by_path(path)
    known = store.codes.paths()
    if row is None and sync:
        codebook = _codebook(project)
        if codebook is not None:
            paths = [c.path for c in codebook.walk()]
            if path in paths:
                sync_codes(project, codebook)
                row = store.codes.by_path(path)
            known = sorted(set(known) | set(paths))
    if row is None:
        where = "" if known else " (the project has no codes yet: add them to the codebook)"
        raise QualcodeError(f"unknown code {path!r}{suggest(path, known)}{where}")
    if row.status == "retired" and not allow_retired:
        raise QualcodeError(f"code {path!r} is retired: it cannot be applied any more")
    return row.id


# --------------------------------------------------------------------------- locators


def parse_turns(value) -> tuple[int, int]:
    """``3`` / ``"3"`` / ``"3-5"`` / ``(3, 5)`` -> (first, last), 1-based."""
    if isinstance(value, int):
        return value, value
    if isinstance(value, tuple):
        return int(value[0]), int(value[1])
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", str(value))
    if not m:
        raise UsageError(f"--turn expects N or N-M (turn numbers from 1), got {value!r}")
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    if last < first:
        raise UsageError(f"--turn {value}: the range ends before it starts")
    return first, last


def parse_sentence(value) -> tuple[int, int]:
    """``"4.2"`` / ``(4, 2)`` -> (turn, sentence), both 1-based."""
    if isinstance(value, tuple):
        return int(value[0]), int(value[1])
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", str(value))
    if not m:
        raise UsageError(f"--sentence expects TURN.SENTENCE such as 4.2 (both from 1), got {value!r}")
    return int(m.group(1)), int(m.group(2))


def parse_span(value) -> tuple[int, int]:
    """``"120:180"`` / ``(120, 180)`` -> (start, end)."""
    if isinstance(value, tuple):
        return int(value[0]), int(value[1])
    m = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", str(value))
    if not m:
        raise UsageError(f"--span expects START:END character offsets, got {value!r}")
    return int(m.group(1)), int(m.group(2))


def _check_turn(doc: Document, turns: list[Turn], n: int) -> Turn:
    if not turns:
        raise QualcodeError(f"{doc.name} has no turns")
    if not 1 <= n <= len(turns):
        raise QualcodeError(f"{doc.name} has turns 1 to {len(turns)}, not {n}")
    return turns[n - 1]


def _locate(project: Project, doc: Document, *, turn=None, sentence=None, quote=None,
            span=None) -> list[tuple[Locus, str]]:
    """(locus, human label) pairs; see :func:`locate`."""
    given = [name for name, v in (("--turn", turn), ("--sentence", sentence), ("--quote", quote),
                                  ("--span", span)) if v is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of --turn, --sentence, --quote, --span"
                         + (f" (got {', '.join(given)})" if given else ""))
    store = project.store
    text = doc.text
    if turn is not None:
        first, last = parse_turns(turn)
        turns = store.documents.turns(doc.id)
        _check_turn(doc, turns, first)
        _check_turn(doc, turns, last)
        return [(Locus(t.start, t.end, "turn"), f"turn {t.idx}") for t in turns[first - 1:last]]
    if sentence is not None:
        n, k = parse_sentence(sentence)
        turns = store.documents.turns(doc.id)
        _check_turn(doc, turns, n)
        sentences = _sentences_of_turn(project, doc, n - 1)
        if not 1 <= k <= len(sentences):
            raise QualcodeError(f"turn {n} of {doc.name} has {len(sentences)} sentence"
                                f"{'s' * (len(sentences) != 1)}, not {k}")
        a, b = sentences[k - 1]
        return [(Locus(a, b, "sentence"), f"sentence {n}.{k}")]
    if quote is not None:
        a, b = find_quote(project, doc, quote)
        return [(Locus(a, b, "span"), f"{a}:{b}")]
    a, b = parse_span(span)
    if b < a:
        raise QualcodeError(f"span {a}:{b} ends before it starts")
    if not (0 <= a <= b <= len(text)):
        raise QualcodeError(f"span {a}:{b} is outside {doc.name} (offsets 0 to {len(text)})")
    if a == b:
        raise QualcodeError(f"span {a}:{b} is empty")
    if not text[a:b].strip():
        raise QualcodeError(f"span {a}:{b} of {doc.name} is only whitespace")
    return [(Locus(a, b, "span"), f"{a}:{b}")]


def locate(project: Project, document: str, *, turn=None, sentence=None, quote=None,
           span=None) -> list[Locus]:
    """The spans designated by exactly one locator, as ``(start, end, unit)`` tuples.

    ``turn``: ``3``, ``"3-5"`` or ``(3, 5)``; ``sentence``: ``"4.2"`` or ``(4, 2)``;
    ``quote``: the words; ``span``: ``"120:180"`` or ``(120, 180)``. Errors (out of range,
    ambiguous or missing quote, bad span) raise :class:`QualcodeError`.
    """
    doc = get_document(project, document)
    return [locus for locus, _ in _locate(project, doc, turn=turn, sentence=sentence, quote=quote, span=span)]


def _sentences_of_turn(project: Project, doc: Document, turn_index0: int) -> list[tuple[int, int]]:
    """(start, end) of the sentences of a turn, from the annotation cache (computed and cached
    if missing or stale)."""
    pipeline = load_pipeline(project.language)
    with project.store.transaction():  # caching the annotation is a write: keep it atomic
        annotations, _, _ = load_annotations(project, [doc], pipeline)
    ann = annotations[doc.id]
    return [(a, b) for t, a, b in ann.sentences() if t == turn_index0]


# --------------------------------------------------------------------------- quotes

_APOSTROPHES = "'’‘ʼ`´"
_DQUOTES = "\"“”„"
_TRIM = ",;:«»\"“”()[]"


def _quote_pattern(quote: str) -> str:
    """A regex matching ``quote`` with any whitespace between words and any apostrophe."""
    parts = []
    for chunk in re.split(r"(\s+)", quote.strip()):
        if not chunk:
            continue
        if chunk.isspace():
            parts.append(r"\s+")
            continue
        for ch in chunk:
            if ch in _APOSTROPHES:
                parts.append("[" + re.escape(_APOSTROPHES) + "]")
            elif ch in _DQUOTES:
                parts.append("[" + re.escape(_DQUOTES) + "]")
            else:
                parts.append(re.escape(ch))
    return "".join(parts)


def quote_matches(text: str, quote: str) -> list[tuple[int, int]]:
    """Offsets of ``quote`` in ``text``: exact (case-sensitive) occurrences if any; else
    occurrences ignoring whitespace/newline differences and ’ vs '; else the same ignoring
    case. Offsets are into ``text`` itself, so ``text[a:b]`` is what is coded."""
    quote = unicodedata.normalize("NFC", quote)
    exact = []
    i = text.find(quote)
    while i >= 0:
        exact.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    if exact:
        return exact
    pattern = _quote_pattern(quote)
    for flags in (0, re.IGNORECASE):
        found = [(m.start(), m.end()) for m in re.finditer(pattern, text, flags)]
        if found:
            return found
    return []


def _one_line(s: str) -> str:
    return " ".join(s.split())


def _context(text: str, a: int, b: int, width: int = 30) -> str:
    left = text[max(0, a - width):a]
    right = text[b:b + width]
    return ("…" if a > width else "") + _one_line(left) + (" " if left[-1:].isspace() else "") + \
        "[" + _one_line(text[a:b]) + "]" + (" " if right[:1].isspace() else "") + _one_line(right) + \
        ("…" if b + width < len(text) else "")


def _turn_of(turns: list[Turn], offset: int) -> int | None:
    turn = turn_at(turns, offset)
    return turn.idx if turn else None


def _close_candidates(text: str, turns: list[Turn], quote: str, n: int = 3) -> list[tuple[int, int, float]]:
    """Passages of the turns that look like ``quote``: (start, end, ratio), best first."""
    target = _one_line(quote).casefold()
    size = len(target.split())
    if not size:
        return []
    scored: list[tuple[float, int, int]] = []
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(target)
    sizes = sorted({max(1, size - 1), size, size + 1})
    for t in turns:
        words = [(m.start() + t.start, m.end() + t.start)
                 for m in re.finditer(r"\S+", text[t.start:t.end])]
        for w in sizes:
            for i in range(max(0, len(words) - w) + 1):
                a, b = words[i][0], words[min(i + w, len(words)) - 1][1]
                while b - a > 1 and text[b - 1] in _TRIM:  # 'fosse,' -> 'fosse'
                    b -= 1
                while b - a > 1 and text[a] in _TRIM:
                    a += 1
                matcher.set_seq1(_one_line(text[a:b]).casefold())
                if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
                    continue
                r = matcher.ratio()
                if r >= 0.6:
                    scored.append((r, a, b))
    scored.sort(key=lambda x: (-x[0], x[1]))
    out: list[tuple[int, int, float]] = []
    for r, a, b in scored:
        if any(a < ob and oa < b for oa, ob, _ in out):  # overlapping windows: keep the best
            continue
        out.append((a, b, r))
        if len(out) == n:
            break
    return out


def find_quote(project: Project, doc: Document, quote: str) -> tuple[int, int]:
    """The unique (start, end) of ``quote`` in the document, or a clear error listing the
    candidates (ambiguous) or the closest passages (missing)."""
    if not quote or not quote.strip():
        raise UsageError("--quote is empty")
    text = doc.text
    found = quote_matches(text, quote)
    if len(found) == 1:
        return found[0]
    turns = project.store.documents.turns(doc.id)
    if not found:
        close = _close_candidates(text, turns, quote)
        hint = ""
        if close:
            hint = "; closest: " + "; ".join(
                f"turn {_turn_of(turns, a)} [{a}:{b}] «{_one_line(text[a:b])}»" for a, b, _ in close)
        raise QualcodeError(f"quote {quote!r} not found in {doc.name}{hint}")
    listed = "; ".join(f"turn {_turn_of(turns, a) or '-'} [{a}:{b}] {_context(text, a, b)}" for a, b in found[:10])
    more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
    raise QualcodeError(f"quote {quote!r} is ambiguous: {len(found)} matches in {doc.name}: {listed}{more}; "
                        f"quote more words or pass --span START:END")


# --------------------------------------------------------------------------- code / uncode


def _coding_row(store, coding_id: int, turns: list[Turn]) -> dict:
    k = store.codings.get(coding_id)
    return {"id": k.id, "document": k.document, "start": k.start, "end": k.end, "code": k.code, "coder": k.coder,
            "origin": k.origin, "status": k.status, "text": k.text, "unit": k.unit, "memo": k.memo,
            "turn": _turn_of(turns, k.start)}


def _check_coder(coder: str | None, project: Project) -> str:
    name = (coder if coder is not None else project.user).strip()
    if not name:
        raise UsageError("the coder name is empty")
    return name


def code(project: Project, document: str, code_path: str, *, turn=None, sentence=None, quote=None,
         span=None, coder: str | None = None, memo: str | None = None) -> list[dict]:
    """Code the located span(s) of ``document`` with ``code_path`` by hand, in one transaction
    recorded in the history. Returns the new codings (dicts as in :func:`qualcode.codings.list_codings`
    plus ``label``, how the span was designated)."""
    coder = _check_coder(coder, project)
    if coder == RULES_CODER:
        raise UsageError("coder 'rules' is reserved for auto-coding: give a person's name with --coder")
    if memo is not None and not memo.strip():
        memo = None
    store = project.store
    with store.transaction():
        doc = get_document(project, document)
        code_path = code_path.strip().strip("/")
        code_id = resolve_code(project, code_path)
        loci = _locate(project, doc, turn=turn, sentence=sentence, quote=quote, span=span)
        ts = now()
        ids = []
        for locus, label in loci:
            dup = store.codings.find(document_id=doc.id, code_id=code_id, coder=coder, start=locus.start,
                                     end=locus.end)
            if dup is not None:
                raise QualcodeError(f"already coded: {label} of {doc.name} is already coded {code_path} "
                                    f"by {coder} (coding {dup.id}); nothing was changed")
            new_id = store.codings.add(document_id=doc.id, code_id=code_id, start=locus.start, end=locus.end,
                                       coder=coder, origin=MANUAL_ORIGIN, status="accepted", unit=locus.unit,
                                       memo=memo, at=ts)
            ids.append((new_id, label))
        turns = store.documents.turns(doc.id)
        rows = [_coding_row(store, i, turns) | {"label": label} for i, label in ids]
        store.history.log(project.user, "code", "code",
                  f"coded {len(rows)} span{'s' * (len(rows) != 1)} of {doc.name} with {code_path} "
                  f"(coder {coder})",
                  {"document": doc.name, "code": code_path, "coder": coder, "memo": memo,
                   "codings": [{"id": r["id"], "start": r["start"], "end": r["end"], "unit": r["unit"],
                                "label": r["label"]} for r in rows]})
    return rows


def uncode(project: Project, document: str, code_path: str, *, turn=None, sentence=None, quote=None,
           span=None, coder: str | None = None) -> dict:
    """Remove ``coder``'s codings of ``code_path`` on exactly the located span(s) (default
    coder: the project's user; rule codings only with ``coder='rules'``). Memos attached to a
    removed coding are deleted too, their text kept in the history. Error if nothing matches.

    Returns ``{"removed": [coding dicts + deleted_memos], "not_found": [labels of the located
    spans that had no such coding]}``."""
    coder = _check_coder(coder, project)
    store = project.store
    with store.transaction():
        doc = get_document(project, document)
        code_path = code_path.strip().strip("/")
        code_id = resolve_code(project, code_path, allow_retired=True, sync=False)
        loci = _locate(project, doc, turn=turn, sentence=sentence, quote=quote, span=span)
        turns = store.documents.turns(doc.id)
        removed, missing, others = [], [], set()
        for locus, label in loci:
            hit = store.codings.find(document_id=doc.id, code_id=code_id, coder=coder, start=locus.start,
                                     end=locus.end)
            if hit is None:
                missing.append(label)
                others.update(store.codings.coders(document_ids=[doc.id], code_ids=[code_id],
                                                   span=(locus.start, locus.end)))
            else:
                removed.append(_coding_row(store, hit.id, turns) | {"label": label})
        if not removed:
            where = ", ".join(missing)
            hint = f" (coded there by {', '.join(sorted(others))}: pass --coder NAME)" if others else ""
            raise QualcodeError(f"no coding of {code_path} by {coder} on {where} of {doc.name}{hint}")
        ids = [r["id"] for r in removed]
        memos = [{"id": m.id, "target_id": m.target_id, "text": m.text, "author": m.author,
                  "created_at": m.created_at} for m in store.memos.select(target_type="coding", target_ids=ids)]
        store.memos.delete_on("coding", ids)
        store.codings.delete(ids)
        store.history.log(project.user, "uncode", "uncode",
                  f"removed {len(removed)} coding{'s' * (len(removed) != 1)} of {code_path} by {coder} "
                  f"from {doc.name}",
                  {"document": doc.name, "code": code_path, "coder": coder, "not_found": missing,
                   "codings": [{k: r[k] for k in ("id", "start", "end", "unit", "origin", "status", "memo",
                                                  "label")} for r in removed],
                   "deleted_memos": memos})
    for r in removed:
        r["deleted_memos"] = sum(1 for m in memos if m["target_id"] == r["id"])
    return {"removed": removed, "not_found": missing}


# --------------------------------------------------------------------------- show: margins

def turn_codes(project: Project, doc_id: int, turns: list[Turn], *, coders: list[str] | None = None,
               include_rejected: bool = False) -> list[list[dict]]:
    """For each turn (in the order given), the codings overlapping it:
    ``{"id", "code", "coder", "status", "start", "end"}`` in text order. Rejected codings only
    with ``include_rejected``; only the given ``coders`` if any."""
    rows = project.store.codings.select(document_ids=[doc_id], coders=list(coders) if coders else None,
                                        statuses=None if include_rejected else ("proposed", "accepted"))
    order = sorted(range(len(turns)), key=lambda i: turns[i].start)
    starts = [turns[i].start for i in order]
    out: list[list[dict]] = [[] for _ in turns]
    for r in rows:
        entry = {"id": r.id, "code": r.code, "coder": r.coder, "status": r.status, "start": r.start, "end": r.end}
        j = max(0, bisect_right(starts, r.start) - 1)
        while j < len(order) and turns[order[j]].start < r.end:
            t = turns[order[j]]
            if r.start < t.end and t.start < r.end:
                out[order[j]].append(entry)
            j += 1
    return out
