"""Keyword in context (``qualcode kwic``): a concordance to help write codebook rules.

Surface mode matches word forms (case- and accent-insensitive; a final ``*`` is a
prefix); ``lemma=True`` uses exactly the semantics of a codebook ``terms`` rule, so what
``kwic --lemma`` shows is what such a rule would match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualcode.annotations import iter_annotations, load_term_cache
from qualcode.codebook.model import Code, Codebook, Rule
from qualcode.errors import QualcodeError
from qualcode.lookup import select_documents
from qualcode.nlp import load_pipeline
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.rules import apply, compile_codebook, term_cache_key
from qualcode.store import turn_at
from qualcode.textnorm import fold

if TYPE_CHECKING:
    from qualcode.project import Project


def _surface_matches(ann, words: list[str]) -> list[tuple[int, int]]:
    """(start token, end token) of token sequences whose folded forms equal ``words``
    (a word ending in ``*``: a prefix). Each distinct string is folded and compared once;
    the tokens are then picked by their string ids, word after word."""
    import numpy as np

    folded = [fold(s) for s in ann.strings]
    n = len(words)
    ids = ann.lower
    if len(ids) < n:
        return []
    wanted = [np.array([k for k, f in enumerate(folded) if (f.startswith(w[:-1]) if w.endswith("*") else f == w)],
                       dtype=np.int64) for w in words]
    starts = np.flatnonzero(np.isin(ids[:len(ids) - n + 1], wanted[0]))
    for j in range(1, n):
        starts = starts[np.isin(ids[starts + j], wanted[j])]
    return [(i, i + n - 1) for i in starts.tolist()]


def kwic(project: Project, term: str, *, lemma: bool = False, by: str | None = None, width: int = 40,
         include_interviewer: bool = False, pseudo: Pseudonymizer | None = None) -> list[dict]:
    """Every occurrence of ``term``; ``pseudo``: a pseudonym key applied to what each line
    shows (contexts, match, document, group), on the whole document so that a name cut by
    the context's edge is replaced whole (``start``/``end`` stay the stored text's)."""
    words = fold(term).split()
    if not words:
        raise QualcodeError("empty search term")
    store = project.store
    docs = select_documents(project, None)
    pipeline = load_pipeline(project.language)
    compiled = None
    if lemma:
        # the term's analysis may be kept from autocode: then the pipeline is not loaded at all
        code = Code(code="kwic", path="kwic", label="kwic", rules=[Rule("terms", [term], 0)], unit="turn")
        compiled = compile_codebook(Codebook(title="kwic", language=project.language, codes=[code]), pipeline,
                                    term_cache=load_term_cache(project, term_cache_key(pipeline)))
    groups = _document_groups(project, by) if by else {}
    # an interviewer's interjection in a participant's turn ("[E: Hum hum.]") is left out
    # like interviewer turns
    quiet = {} if include_interviewer else {
        doc_id: [(x.start, x.end) for x in xs if x.role == "interviewer"]
        for doc_id, xs in store.interjections.of_documents([d.id for d in docs]).items()}
    lines = []
    # one document's annotation at a time (missing ones annotated and cached first)
    for d, ann in iter_annotations(project, docs, pipeline):
        turns = store.documents.turns(d.id)
        roles = [t.role for t in turns]
        text = d.text
        hidden = pseudo.document(text) if pseudo is not None else None
        shown = hidden.slice if hidden is not None else (lambda a, b, t=text: t[a:b])
        doc_name = d.name if pseudo is None else pseudo.name(d.name)
        if compiled is not None:
            spans = [(m.start, m.end) for p in apply(compiled, ann, roles, include_interviewer=include_interviewer)
                     for m in p.matches]
        else:
            spans = [(int(ann.start[a]), int(ann.end[b])) for a, b in _surface_matches(ann, words)]
        for start, end in sorted(set(spans)):
            t = turn_at(turns, start)
            if t is None or (t.role == "interviewer" and not include_interviewer):
                continue
            if any(a <= start and end <= b for a, b in quiet.get(d.id, ())):
                continue
            turn = t.idx
            left = " ".join(shown(max(t.start, start - width * 2), start).split())[-width:]
            right = " ".join(shown(end, min(t.end, end + width * 2)).split())[:width]
            group = groups.get(d.name) if by else None
            if pseudo is not None and isinstance(group, str):
                group = pseudo.text(group)
            lines.append({"document": doc_name, "turn": turn, "start": start, "end": end,
                          "left": left, "match": shown(start, end), "right": right, "group": group})
    if by:
        lines.sort(key=lambda x: (str(x["group"]), x["document"], x["start"]))
    return lines


def _document_groups(project: Project, attribute: str) -> dict[str, object]:
    """Document name -> value of ``attribute`` of its case (first case if several)."""
    out: dict[str, object] = {}
    known = False
    for case in project.store.cases.all():
        if attribute in case.attributes:
            known = True
        for doc in case.documents:
            out.setdefault(doc, case.attributes.get(attribute))
    if not known:
        raise QualcodeError(f"no case has an attribute {attribute!r} (see 'qualcode cases')")
    return out
