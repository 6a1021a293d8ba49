"""Decoding raw transcript bytes, normalizing text, and the accent fold.

Every stored document text goes through :func:`normalize_text`: newlines become ``\\n``
and the text is in Unicode NFC. All character offsets in the project index that
normalized text (Python ``str`` indices, i.e. code points).

:func:`fold` is the one case- and accent-insensitive form of words: the rule engine
matches terms with it, ``codebook diff`` compares terms with it (so that it reports as
changed only terms the engine folds differently), the codebook parser's suggestions and
``kwic`` use it. It lives here, at the bottom of the package, so that every layer can
import it.
"""

from __future__ import annotations

import codecs
import functools
import unicodedata
from dataclasses import dataclass

from qualcode.errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Encodings we trust for Western European text when the bytes are not UTF-8.
_WESTERN = ("cp1252", "windows-1252", "latin_1", "latin-1", "iso8859_1", "iso8859_15",
            "mac_roman", "ascii")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    # Control characters other than tab/newline/CR/form feed are rare in text.
    ctrl = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return ctrl > max(4, len(sample) // 50)


def decode_bytes(data: bytes, path: str | None = None) -> Decoded:
    """Decode a text file's bytes, detecting the encoding.

    Order: byte-order mark (UTF-8/16/32), UTF-16 without BOM (NUL bytes), strict UTF-8,
    cp1252 when it yields French-looking text, then charset-normalizer's best guess
    (cp1252 again when that guess is a Western single-byte code page).
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            codec = "utf-8" if enc == "utf-8-sig" else enc
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"invalid {enc} text at byte {exc.start}", path=path) from None
            return Decoded(text, enc if enc == "utf-8-sig" else enc + " (BOM)")
    # UTF-16 without BOM: every other byte is NUL for mostly-Latin text. Checked before
    # UTF-8 because ASCII-only UTF-16 ("A\x00B\x00") is also valid UTF-8.
    if b"\x00" in data[:8192] and len(data) >= 4 and len(data) % 2 == 0:
        half = len(data) / 2
        even_nul = data[0::2].count(0) / half
        odd_nul = data[1::2].count(0) / half
        for enc, ratio in (("utf-16-le", odd_nul), ("utf-16-be", even_nul)):
            if ratio > 0.6:
                try:
                    text = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                if not _looks_binary_text(text):
                    return Decoded(text, enc)

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_binary(data):
            raise InputError("binary file, not text", path=path)
        return Decoded(text, "utf-8")

    if _looks_binary(data):
        raise InputError("binary file, not text", path=path)

    # Not UTF-8: for French transcripts this is nearly always cp1252 (Windows) or
    # latin-1. charset-normalizer guesses badly on short texts (a cp1252 "é" alone comes
    # out as cp037, "à" as cp1006), so first check whether cp1252 gives French-looking
    # text and only ask charset-normalizer when it does not.
    western = _decode_western(data)
    if _french_score(western.text) >= 0.8:
        return western

    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        enc = best.encoding.lower()
        if enc in _WESTERN:
            return western
        return Decoded(str(best), enc)
    return western


# Non-ASCII characters expected in French text (letters, typographic punctuation).
_FRENCH_CHARS = frozenset(
    "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ’‘“”«»–—…°€\u00a0\u202f•·"
)


def _french_score(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are usual in French text."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 1.0
    return sum(c in _FRENCH_CHARS for c in non_ascii) / len(non_ascii)


def _decode_western(data: bytes) -> Decoded:
    # cp1252 decodes every byte latin-1 does except 0x81/0x8D/0x8F/0x90/0x9D, and puts
    # the œ, ’, « » … there.
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        return Decoded(data.decode("latin_1"), "latin-1")


def _looks_binary_text(text: str) -> bool:
    sample = text[:8192]
    ctrl = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\x0c\r")
    return ctrl > max(4, len(sample) // 50)


def normalize_text(text: str) -> str:
    """Normalize newlines to ``\\n`` and Unicode to NFC; drop a leading BOM."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def read_text_file(data: bytes, path: str | None = None) -> Decoded:
    """Decode and normalize; refuses empty or whitespace-only content."""
    decoded = decode_bytes(data, path)
    text = normalize_text(decoded.text)
    if not text.strip():
        raise InputError("empty file", path=path)
    return Decoded(text, decoded.encoding)


# --------------------------------------------------------------------------- folding

_FOLD_EXTRA = str.maketrans(
    {
        "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d", "ł": "l",
        "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
    }
)


@functools.lru_cache(maxsize=1 << 20)
def fold(s: str) -> str:
    """Case- and accent-insensitive form: ``"Enquête"`` -> ``"enquete"``, ``"Cœur"`` -> ``"coeur"``.

    Unicode NFKD with combining marks removed, casefolded; œ/æ become oe/ae and typographic
    apostrophes become ``'``. Spacing is kept as it is. Cached: the engine folds every
    distinct token string of every document.
    """
    if s.isascii():
        return s.lower().replace("`", "'")
    s = s.translate(_FOLD_EXTRA)
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
