"""Which of many texts may be nearly the same as a new one, in time proportional to the
texts' size: the candidates that :class:`qualcode.lifecycle.SimilarTexts` then compares.

A long text (at least :data:`SMALL_CHARS` characters) is summarised by a MinHash
signature of its word 3-grams (lower-cased; one 64-bit hash per 3-gram, split into
``ROWS × BANDS`` bins by one permutation, the smallest hash of each bin kept, an empty bin
taking the next bin's value: "one permutation hashing" with rotation densification), and
indexed by locality-sensitive hashing: two texts are candidates when all ``ROWS`` values of
one of the ``BANDS`` bands agree. Two texts whose 3-gram sets have a Jaccard similarity J
agree on a band with probability J^ROWS, so they are candidates with probability
1 - (1 - J^ROWS)^BANDS: 99.99 % from J = 0.7, 93 % at 0.6, 47 % at 0.5, about 1 % at
0.3 and less below (two unrelated interviews of the benchmark corpus, made of the same
pool of real sentences, share about 0.2-0.3 of their 3-grams; real interviews far less).
A text 95 % identical to another by edits in some places (a corrected passage, cut or
added lines) shares nearly all its 3-grams (about 0.95 with 5 % of a text rewritten in
five passages); one that differs by a character in every few words all along would
likely not be found (about 0.4 of its 3-grams shared), which is not how copies of an
interview come about. The query costs the number of candidates, not the number of texts.

Short texts change too many 3-grams with each edit for that: they are compared with every
short text whose length is within what a 95 % ratio allows (kept sorted by length), which
costs little while short texts are few and short.
"""

from __future__ import annotations

import bisect
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ROWS = 8
BANDS = 160
#: Texts shorter than this are compared with every short text of a compatible length.
SMALL_CHARS = 10_000
_BINS = ROWS * BANDS
_M = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (``ROWS × BANDS`` uint64) of the text's word 3-grams (of its
    words when it has fewer than 3); None for a text without words. Words: the runs of
    bytes of its UTF-8 form between ASCII spaces, tabs and line breaks, each hashed by
    tabulation (a random 64-bit number per byte value and position in the word, 32
    positions, combined by xor), all at once with numpy."""
    import numpy as np

    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    table, space = _tables()
    inside = np.flatnonzero(~space[raw])
    if not len(inside):
        return None
    first = np.ones(len(inside), dtype=bool)
    first[1:] = inside[1:] != inside[:-1] + 1
    starts = np.flatnonzero(first)
    pos = np.arange(len(inside)) - starts[np.cumsum(first) - 1]
    h = np.bitwise_xor.reduceat(table[raw[inside], pos & 31], starts)
    m1, m2, m3 = (np.uint64(m) for m in _M)
    s = (h[:-2] * m1) ^ (h[1:-1] * m2) ^ (h[2:] * m3) if len(h) >= 3 else h * m1
    s = _mix(s)
    bins = (s % np.uint64(_BINS)).astype(np.intp)
    values = s // np.uint64(_BINS)
    empty = np.iinfo(np.uint64).max
    sig = np.full(_BINS, empty, dtype=np.uint64)
    np.minimum.at(sig, bins, values)
    filled = np.flatnonzero(sig != empty)
    if len(filled) < _BINS:  # each empty bin: the next filled one's value (circularly), offset by the distance
        idx = np.arange(_BINS)
        nxt = np.searchsorted(filled, idx) % len(filled)
        source = filled[nxt]
        distance = ((source - idx) % _BINS).astype(np.uint64)
        sig = sig[source] + distance * m1
    return sig


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """The tabulation hash's numbers (fixed seed: the same hashes in every process) and
    which bytes separate words."""
    import numpy as np

    table = np.random.default_rng(0x51AD).integers(0, 2**64, size=(256, 32), dtype=np.uint64)
    space = np.zeros(256, dtype=bool)
    space[[9, 10, 11, 12, 13, 32]] = True
    return table, space


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit spread over every output bit."""
    import numpy as np

    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class NearIndex:
    """Keys (ints) of texts, found again by :meth:`candidates`. ``cutoff``: the ratio
    (0-100, rapidfuzz's ``2 × common / total length``) from which texts are near-duplicates.
    Removing a text is up to the caller (skip the keys it no longer knows)."""

    def __init__(self, cutoff: float) -> None:
        # a ratio >= cutoff needs long <= short × (200 / cutoff - 1)
        self._factor = 200 / cutoff - 1
        self._buckets: dict[bytes, list[int]] = {}
        self._small: list[tuple[int, int]] = []  # (length, key), sorted

    def add(self, key: int, text: str, sig: np.ndarray | None) -> None:
        if len(text) < SMALL_CHARS:
            bisect.insort(self._small, (len(text), key))
        if sig is None:
            return
        for band in _bands(sig):
            self._buckets.setdefault(band, []).append(key)

    def candidates(self, text: str, sig: np.ndarray | None) -> set[int]:
        """The keys of the texts that may reach the cutoff with ``text`` (all of them
        among the short texts; see the module's note for long ones)."""
        out: set[int] = set()
        n = len(text)
        low = n / self._factor - 1
        if low < SMALL_CHARS:
            i = bisect.bisect_left(self._small, (int(low), -1))
            high = n * self._factor + 1
            while i < len(self._small) and self._small[i][0] <= high:
                out.add(self._small[i][1])
                i += 1
        if sig is not None:
            for band in _bands(sig):
                out.update(self._buckets.get(band, ()))
        return out


def _bands(sig: np.ndarray) -> list[bytes]:
    rows = sig.reshape(BANDS, ROWS)
    return [b.to_bytes(2, "little") + rows[b].tobytes() for b in range(BANDS)]
