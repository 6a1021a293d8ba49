"""Lemma frequencies per group (``qualcode report words``).

Counted from the NLP annotation cache (the one ``autocode`` uses; computed and cached if
missing), in participant turns only unless ``include_interviewer`` (turns of role
``other`` are counted: files without speaker labels have only those).

* **Words** (the denominator of the relative frequency): every token that is not
  punctuation, outside text in square brackets (``[rires]``, ``[E : oui]``: transcriber
  notes and back-channels of the other speaker).
* **Counted lemmas**: the lemma of each word, lowercased (leading/trailing hyphens and
  apostrophes removed: ``-ce`` → ``ce``), except stop words (spaCy's list for the
  project language, e.g. ``spacy.lang.fr.stop_words.STOP_WORDS``; a word is a stop word
  if its lemma or its form is in the list), numbers (a digit, or a number word tagged
  ``NUM``), tokens without a letter, hesitations and fillers (:data:`HESITATIONS`) and
  the words of ``exclude``.
* **Per 1000 words**: count / words of the group × 1000 (two decimals).

A document belongs to the groups of its cases (``(no case)`` when it has none). One
table per group: rank, lemma, count, per 1000 words, documents where the lemma occurs.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualcode.analysis.freq import NO_CASE, grouping
from qualcode.analysis.table import TableResult
from qualcode.annotations import iter_annotations
from qualcode.errors import UsageError
from qualcode.lookup import select_documents
from qualcode.nlp import FLAG_PUNCT, load_pipeline, stop_words_and_like_num

if TYPE_CHECKING:
    from qualcode.project import Project

#: Hesitations, fillers and back-channels of spoken French (compared lowercased).
HESITATIONS = frozenset({
    "euh", "euhm", "heu", "hum", "hmm", "hm", "mh", "mhm", "mmh", "mm", "mmm", "hmhm",
    "ben", "bah", "beh", "bé", "hein", "pff", "pfff", "oh", "ah", "eh",
})
BRACKETS = re.compile(r"\[[^\]\n]*\]")
_STRIP = "-'’"


def word_frequencies(project: Project, *, by: str | None = None, top: int = 20, include_interviewer: bool = False,
                     exclude: Iterable[str] | None = None) -> list[TableResult]:
    from spacy.parts_of_speech import NUM

    if top < 1:
        raise UsageError(f"--top must be at least 1, not {top}")
    extra = {w.strip().lower() for w in (exclude or []) if w.strip()}
    stop, like_num = stop_words_and_like_num(project.language)
    grp = grouping(project, by)
    store = project.store
    docs = select_documents(project, None)
    pipeline = load_pipeline(project.language)

    groups: list[str] = list(grp.groups) if by else ["all"]
    words: Counter = Counter()
    counts: dict[str, Counter] = defaultdict(Counter)
    in_docs: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    ndocs: dict[str, set] = defaultdict(set)
    # one document's annotation at a time; the only possible write: caching missing ones
    for d, ann in iter_annotations(project, docs, pipeline):
        text = d.text
        doc_groups = sorted(grp.doc_groups(d.id)) if by else ["all"]
        turns = store.documents.turns(d.id)
        lemma_cache: dict[int, str] = {}
        for t, turn in enumerate(turns):
            if turn.role == "interviewer" and not include_interviewer:
                continue
            if t + 1 >= len(ann.turn_tok):
                break
            brackets = [(m.start(), m.end()) for m in BRACKETS.finditer(text, turn.start, turn.end)]
            for g in doc_groups:
                ndocs[g].add(d.id)
            for i in range(int(ann.turn_tok[t]), int(ann.turn_tok[t + 1])):
                if ann.flags[i] & FLAG_PUNCT:
                    continue
                s = int(ann.start[i])
                if brackets and any(a <= s < b for a, b in brackets):
                    continue
                for g in doc_groups:
                    words[g] += 1
                li = int(ann.lemma[i])
                lemma = lemma_cache.get(li)
                if lemma is None:
                    lemma = ann.strings[li].lower().strip(_STRIP)
                    lemma_cache[li] = lemma
                form = ann.strings[int(ann.lower[i])].strip(_STRIP)
                if (not lemma or lemma in stop or form in stop or lemma in HESITATIONS or form in HESITATIONS
                        or lemma in extra or form in extra or not any(c.isalpha() for c in lemma)
                        or any(c.isdigit() for c in lemma)
                        or (int(ann.pos[i]) == NUM and all(like_num(p) for p in form.split("-") if p))):
                    continue
                for g in doc_groups:
                    counts[g][lemma] += 1
                    in_docs[g][lemma].add(d.id)

    tables = []
    for g in groups:
        n = words[g]
        ranked = sorted(counts[g].items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        records = [{"rank": r, "lemma": lemma, "count": c, "per 1000 words": round(1000 * c / n, 2) if n else None,
                    "documents": len(in_docs[g][lemma])}
                   for r, (lemma, c) in enumerate(ranked, 1)]
        turns_desc = "all turns" if include_interviewer else "participant turns (interviewer turns left out)"
        if g == "all":
            title = f"Most frequent lemmas (top {top})"
            who = ""
        else:
            title = f"Most frequent lemmas (top {top}): {by} = {g}"
            who = (" of documents linked to no case" if g == NO_CASE
                   else f" of the documents of the {grp.sizes.get(g, 0)} cases with {by} = {g}")
        notes = [
            f"Words: {n} words in {turns_desc}{who} ({len(ndocs[g])} document{'s' * (len(ndocs[g]) != 1)}); "
            "punctuation and text in [brackets] left out.",
            f"Counted: lowercased lemmas ({pipeline.name}), without stop words (spaCy {project.language}, "
            f"{len(stop)} words), numbers, hesitations ({', '.join(sorted(HESITATIONS)[:8])}…)"
            + (f" and {', '.join(sorted(extra))}" if extra else "") + "; per 1000 words = count / words × 1000.",
        ]
        tables.append(TableResult(title=title, notes=notes,
                                  columns=["rank", "lemma", "count", "per 1000 words", "documents"], rows=records,
                                  dtypes={"rank": "Int64", "count": "Int64", "documents": "Int64"},
                                  meta={"kind": "words", "group": None if g == "all" else g, "words": n,
                                        "sheet": "words" if g == "all" else f"{by}={g}",
                                        "decimals": {"per 1000 words": 2}, "top": top, "by": by,
                                        "include_interviewer": include_interviewer,
                                        "documents": len(ndocs[g]), "group_size": grp.sizes.get(g, 0),
                                        "pipeline": pipeline.name, "stop_words": len(stop),
                                        "hesitations": sorted(HESITATIONS)[:8], "exclude": sorted(extra or [])}))
    return tables
