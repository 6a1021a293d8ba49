"""Decoding raw transcript bytes, normalizing text, and the accent fold.

Every stored document text goes through :func:`normalize_text`: newlines become ``\\n``,
the text is in Unicode NFC, and control characters are replaced (see below). All
character offsets in the project index that normalized text (Python ``str`` indices,
i.e. code points).

Control characters: every character of Unicode category Cc other than tab and newline
(U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+007F–U+009F), lone surrogates and the
noncharacters U+FFFE/U+FFFF become U+FFFD (the replacement character, shown as �): one
character for one, so offsets and line numbers are those of the file, and the place
stays visible. :func:`control_lines` says where they were, for the import's warning.
:func:`xml_safe` is the exporters' side: DOCX and XLSX (XML 1.0) cannot hold U+0000–U+0008,
U+000B, U+000C, U+000E–U+001F, surrogates, U+FFFE or U+FFFF, which a project imported
before this rule or text given through the Python API may still contain.

:func:`fold` is the one case- and accent-insensitive form of words: the rule engine
matches terms with it, ``codebook diff`` compares terms with it (so that it reports as
changed only terms the engine folds differently), the codebook parser's suggestions and
``kwic`` use it. It lives here, at the bottom of the package, so that every layer can
import it.
"""

from __future__ import annotations

import codecs
import functools
import re
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
    # Lines (1-based) of the text where control characters were replaced, with their count.
    controls: tuple[tuple[int, int], ...] = ()

    def warnings(self, path: str | None) -> list[str]:
        """The import's warnings about this text (control characters replaced)."""
        warning = control_warning(self.controls, path)
        return [warning] if warning else []


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


# What the import replaces: category Cc except tab and newline (CR is a newline by then),
# lone surrogates, U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What XML 1.0 (DOCX, XLSX) cannot hold; CR is allowed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def _newlines(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_text(text: str) -> str:
    """Normalize newlines to ``\\n`` and Unicode to NFC; drop a leading BOM; replace
    control characters other than tab and newline, lone surrogates, U+FFFE and U+FFFF
    by U+FFFD (one for one)."""
    text = _CONTROL.sub(REPLACEMENT, _newlines(text))
    return unicodedata.normalize("NFC", text)


def control_lines(text: str) -> list[tuple[int, int]]:
    """(line, count) of the control characters :func:`normalize_text` replaces in ``text``,
    lines counted after newline normalization (1-based), in order."""
    text = _newlines(text)
    found: dict[int, int] = {}
    line, pos = 1, 0
    for m in _CONTROL.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        found[line] = found.get(line, 0) + 1
    return list(found.items())


def count_controls(text: str) -> int:
    """How many characters :func:`normalize_text` replaces by U+FFFD in ``text``."""
    return len(_CONTROL.findall(text))


def control_warning(controls: list[tuple[int, int]] | tuple[tuple[int, int], ...],
                    path: str | None, unit: str = "line") -> str | None:
    """The import's one warning for a document: ``FILE:LINE: N control characters
    replaced by U+FFFD (lines …)`` (``FILE: paragraph N: …`` for another ``unit``), or
    None when there were none. ``controls``: (line or paragraph, count), in order."""
    if not controls:
        return None
    n = sum(c for _, c in controls)
    places = [str(place) for place, _ in controls]
    shown = ", ".join(places[:10]) + (f" and {len(places) - 10} more" if len(places) > 10 else "")
    first = controls[0][0]
    where = f"{unit} {first}" if unit != "line" or not path else str(first)
    where = f"{path}:{where}" if path and unit == "line" else f"{path}: {where}" if path else where
    return (f"{where}: {n} control character{'s' if n > 1 else ''} replaced by U+FFFD "
            f"({unit}{'s' if len(places) > 1 else ''} {shown})")


def xml_safe(value):
    """``value`` with the characters XML 1.0 cannot hold replaced by U+FFFD, for DOCX and
    XLSX writers (python-docx raises ValueError on them, openpyxl IllegalCharacterError);
    anything other than a ``str`` is returned as it is."""
    if isinstance(value, str):
        return _XML_INVALID.sub(REPLACEMENT, value)
    return value


def read_text_file(data: bytes, path: str | None = None) -> Decoded:
    """Decode and normalize; refuses empty or whitespace-only content. ``controls`` says
    where control characters were replaced."""
    decoded = decode_bytes(data, path)
    controls = tuple(control_lines(decoded.text))
    text = normalize_text(decoded.text)
    if not text.strip():
        raise InputError("empty file", path=path)
    return Decoded(text, decoded.encoding, controls)


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


# --------------------------------------------------------------------------- Markdown and LaTeX

# Every ASCII character that Markdown (CommonMark and GitHub's extensions) can read as
# markup anywhere in a line: emphasis, code, links and images ([ and ]: an escaped [ after
# a ! is no image), raw HTML (<, >), table cells (|); & only where it starts an entity
# (&amp; &#38;), ~ only next to a letter (strikethrough needs ~text~).
# A backslash before any ASCII punctuation is a literal in CommonMark.
_MD_ANYWHERE = re.compile(r"([\\`*\[\]<>|]|&(?=#?[0-9A-Za-z]+;)|~(?=\S)|(?<=\S)~)")
# _ makes emphasis only at a word's edge (local_actor stays as it is)
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-zÀ-ÿ])_|_(?![0-9A-Za-zÀ-ÿ])")
# At the start of a line: headings (#), list items (-, +, 1. 2)), setext underlines (=);
# block quotes (>) are escaped anywhere.
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+=#])|(\d+)([.)]))", re.MULTILINE)
# Bare addresses that GitHub turns into live links (autolinks): break the "://" and "www."
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|\b(www)(\.)")


def md_escape(text: str, *, line_start: bool = True) -> str:
    """``text`` as literal Markdown: nothing in it can become a link, an image, HTML,
    emphasis, code, a heading, a list, a quote or a table cell boundary. Used by every
    Markdown writer (codebook, excerpts and table exports) for any text that comes from
    the project (transcripts, labels, definitions, attribute values, file names).
    ``line_start=False``: for text that follows something on its line (a table cell, a
    heading, after ``key: ``), where ``1.`` or ``-`` at its start is no list."""
    text = _MD_ANYWHERE.sub(lambda m: "\\" + m.group(0), text)
    text = _MD_UNDERSCORE.sub(r"\\_", text)
    text = _MD_AUTOLINK.sub(lambda m: "\\:" if m.group(1) else f"{m.group(2)}\\.", text)
    if not line_start:
        return text
    return _MD_LINE_START.sub(
        lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"), text)


def md_cell(text: str) -> str:
    """``text`` as the content of a Markdown table cell: on one line, escaped."""
    one_line = " ".join(part.strip(" \t") for part in str(text).splitlines())  # no-break spaces kept
    return md_escape(one_line.strip(" \t"), line_start=False)


def md_code(text: str) -> str:
    """``text`` as inline code: a fence of backticks longer than any run inside it."""
    text = " ".join(text.split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u00a0": "~", "\u202f": "~",
    # outside Latin-1 but common in French text and in qualcode's own words
    "…": r"\dots{}", "€": r"\texteuro{}", "•": r"\textbullet{}", "‰": r"\textperthousand{}",
    "œ": r"\oe{}", "Œ": r"\OE{}", "–": "--", "—": "---", "‘": "`", "’": "'", "‚": ",", "“": "``",
    "”": "''", "„": ",,", "′": "'", "−": "$-$", "≈": r"$\approx$", "≠": r"$\neq$",
    "∩": r"$\cap$", "∪": r"$\cup$", "≤": r"$\leq$", "≥": r"$\geq$", "→": r"$\rightarrow$",
    "←": r"$\leftarrow$", "×": r"$\times$", "±": r"$\pm$", "·": r"\textperiodcentered{}",
    "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "δ": r"$\delta$", "κ": r"$\kappa$",
    "λ": r"$\lambda$", "μ": r"$\mu$", "π": r"$\pi$", "ρ": r"$\rho$", "σ": r"$\sigma$", "χ": r"$\chi$",
}


def _tex_char(ch: str) -> str:
    special = _TEX_SPECIALS.get(ch)
    if special is not None:
        return special
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return " "  # control characters: pdflatex cannot set them
    if code <= 0xFF:
        return ch  # Latin-1: set by pdflatex with \usepackage[T1]{fontenc}
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base != ch and all(ord(c) <= 0x7E for c in base):
        return "".join(_tex_char(c) for c in base)  # ŝ, ő, ĉ…: the letter without its accent
    return f"[U+{code:04X}]"  # emoji, other scripts: named, never a pdflatex error


def tex_escape(text: str) -> str:
    """``text`` for pdflatex (``\\usepackage[T1]{fontenc}``, UTF-8 input): LaTeX's special
    characters escaped, no-break spaces as ``~``, Greek letters and symbols in math mode
    (κ as ``$\\kappa$``), other characters outside Latin-1 that pdflatex cannot set
    written as their accent-less letter or ``[U+XXXX]``; control characters as spaces."""
    return "".join(_tex_char(ch) for ch in str(text))
