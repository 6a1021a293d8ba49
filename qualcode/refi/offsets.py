"""Offsets of REFI-QDA selections: which convention a source's file uses, and where each
selection lands in the stored text.

REFI-QDA says code points of the text file, BOM excluded, CRLF counted as two. Real files
differ (see ``docs/reference/refi-qda.md``): NVivo counts UTF-16 code units, ATLAS.ti
counts CRLF as one character, some writers count the BOM, QualCoder writes ``"\\n "`` where
a CRLF source had ``"\\r\\n"``. For each source every convention is tried on every
selection; the one chosen places the most selections, preferring those whose text the file
records (QualCoder's ``name``) and then those that begin and end on word boundaries (a
person selects words, not halves of words). A selection that does not fit the chosen
convention but whose recorded text matches under another is placed under that one
(adjusted, said so); one that fits none is reported as impossible, with the reason, and
never shifted. When a file's names are the selected texts (most of them match), a
selection whose name matches under no convention is impossible too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qualcode.importers.base import stored_positions
from qualcode.textnorm import normalize_text

#: Conventions, in order of preference when the evidence ties.
CONVENTIONS = ("code points", "UTF-16 code units", "CRLF counted as one", "BOM counted")


@dataclass
class RawSource:
    """A source's text as the file holds it, with its stored form."""

    raw: str  # decoded, without the leading BOM; QualCoder's "\n " restored to "\r\n"
    had_bom: bool
    text: str  # stored: normalized
    positions: list[int]  # raw offset -> stored offset
    qualcoder_newlines: bool = False


def raw_source(decoded: str, *, qualcoder: bool = False) -> RawSource:
    had_bom = decoded.startswith("\ufeff")
    raw = decoded[1:] if had_bom else decoded
    fixed = False
    if qualcoder and "\r" not in raw and "\n " in raw:
        # QualCoder writes "\n " for the "\r\n" of a CRLF source: every line break but a
        # final one is followed by a space. Only then is it read back as CRLF.
        body = raw[:-1] if raw.endswith("\n") else raw
        if body.count("\n") == body.count("\n "):
            raw = body.replace("\n ", "\r\n") + raw[len(body):]
            fixed = True
    text, positions = stored_positions(raw)
    return RawSource(raw, had_bom, text, positions, fixed)


def _utf16_map(raw: str) -> dict[int, int]:
    out = {}
    u = 0
    for i, ch in enumerate(raw):
        out[u] = i
        u += 2 if ord(ch) > 0xFFFF else 1
    out[u] = len(raw)
    return out


def _crlf1_map(raw: str) -> list[int]:
    out = []
    i = 0
    while i < len(raw):
        out.append(i)
        i += 2 if raw.startswith("\r\n", i) else 1
    out.append(len(raw))
    return out


def converters(src: RawSource) -> dict[str, Callable[[int], int | None]]:
    """Convention -> function from a file offset to a raw offset (None: not a position)."""
    n = len(src.raw)
    u16 = _utf16_map(src.raw)
    c1 = _crlf1_map(src.raw)
    out: dict[str, Callable[[int], int | None]] = {
        "code points": lambda k: k if 0 <= k <= n else None,
        "UTF-16 code units": u16.get,
        "CRLF counted as one": lambda k: c1[k] if 0 <= k < len(c1) else None,
    }
    if src.had_bom:
        out["BOM counted"] = lambda k: k - 1 if 1 <= k <= n + 1 else None
    return out


@dataclass
class Placement:
    """Where one selection goes: stored offsets, or the reason it cannot be placed."""

    start: int | None = None
    end: int | None = None
    convention: str | None = None
    adjusted: bool = False  # differs from the standard reading (code points)
    verified: bool = False  # the file's recorded text matches
    reason: str | None = None


def _recorded(name: str, src: RawSource) -> str:
    """A selection's recorded text as compared: whitespace runs as one space (an XML
    parser turns the line ends inside an attribute into spaces, QualCoder writes its
    ``"\n "``), NFC."""
    return _squeeze(normalize_text(name))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _on_boundary(raw: str, a: int, b: int) -> bool:
    def cut(i: int) -> bool:
        return 0 < i < len(raw) and raw[i - 1].isalnum() and raw[i].isalnum()
    return not cut(a) and not cut(b)


def place_source(src: RawSource, spans: list[tuple[int | None, int | None, str]],
                 preferred: tuple[str, ...] = ()) -> tuple[str, list[Placement]]:
    """Choose the source's convention and place each (start, end, recorded name) span."""
    conv = converters(src)
    order = list(preferred) + [c for c in CONVENTIONS if c not in preferred]
    names = [_recorded(name, src) if name else "" for _, _, name in spans]

    def attempt(c: str, s: int | None, e: int | None, name: str) -> Placement:
        if s is None or e is None:
            return Placement(reason="no start or end position")
        a, b = conv[c](s), conv[c](e)
        if a is None or b is None:
            what = "inside a character" if c == "UTF-16 code units" and max(s, e) >= 0 else "outside the text"
            return Placement(reason=f"{s}:{e} is {what} ({c})")
        if a >= b:
            return Placement(reason=f"empty or reversed span {s}:{e}")
        sa, sb = src.positions[a], src.positions[b]
        if sa >= sb:
            return Placement(reason=f"span {s}:{e} holds only a line break or a BOM")
        text = src.text[sa:sb]
        verified = bool(name) and _squeeze(text) == name
        return Placement(sa, sb, c, adjusted=(a, b) != (s, e), verified=verified)

    tried = {c: [attempt(c, s, e, nm) for (s, e, _), nm in zip(spans, names, strict=True)]
             for c in order if c in conv}

    def score(c: str) -> tuple[int, int, int, int]:
        ps = tried[c]
        placed = [p for p in ps if p.reason is None]
        return (sum(p.verified for p in placed), len(placed),
                sum(_on_boundary(src.raw, *_raw_span(src, conv[c], sp)) for p, sp in zip(ps, spans, strict=True)
                    if p.reason is None),
                -order.index(c))

    best = max(tried, key=score)
    result = []
    for i, p in enumerate(tried[best]):
        if names[i] and not p.verified:  # the file says which text: find the convention that gives it
            alt = next((tried[c][i] for c in tried if tried[c][i].verified), None)
            if alt is not None:
                p = alt
        result.append(p)
    # When the names are the selected texts (most of them match), a selection whose text
    # is found under no convention is not placed: its offsets are wrong, whatever they say.
    named = [i for i in range(len(spans)) if names[i]]
    if named and 2 * sum(result[i].verified for i in named) > len(named):
        for i in named:
            if not result[i].verified and result[i].reason is None:
                s, e, _ = spans[i]
                result[i] = Placement(reason=f"the text at {s}:{e} is not the text the file records for it "
                                             f"(«{_clip(names[i])}»)")
    return best, result


def _clip(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _raw_span(src: RawSource, f: Callable[[int], int | None], span: tuple[int | None, int | None, str]
              ) -> tuple[int, int]:
    s, e, _ = span
    return (f(s) or 0) if s is not None else 0, (f(e) or 0) if e is not None else 0
