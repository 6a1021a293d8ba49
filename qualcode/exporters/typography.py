"""Typography of exported text: French spacing and quotation marks, English quotes.

French typography (Imprimerie nationale, *Lexique des règles typographiques en usage à
l'Imprimerie nationale*) puts a non-breaking space before the "high" punctuation marks
and inside guillemets:

* U+00A0 (no-break space, *espace insécable*) before ``:`` and inside ``« … »``;
* U+202F (narrow no-break space, *espace fine insécable*) before ``;``, ``?`` and ``!``.

:func:`fr_typography` applies these rules to running text: an ordinary space (or a
no-break space of the other width) before the mark is replaced, a missing one is added.
It leaves alone:

* URLs and e-mail addresses (``https://…``, ``www.…``, ``a@b.fr``);
* a ``:`` or ``;`` glued to what follows: times and ratios (``10:30``, ``[00:14:32]``),
  ``a;b``, drive letters;
* a mark at the start of the text or of a line, or right after an opening bracket or a
  slash (``(?)``, ``[!]``, ``?/!``), or after another mark (``?!`` gets one space, before
  ``?``; ``? !`` is kept as written).

Pairs of straight double quotes become guillemets (``"le Nord"`` → ``« le Nord »``)
when every straight double quote of the text belongs to a pair (an opening one after a
space or an opening bracket, a closing one before a space or punctuation); otherwise
(``un écran 15"``, an unclosed quote) they all stay as they are. ``nested=True`` gives
second-level quotes “ ” instead, for text that is itself quoted between « ». The function
is idempotent.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"  # espace insécable: before ':' and inside « »
NNBSP = "\u202f"  # espace fine insécable: before ';', '?', '!'

_H = " \t\u00a0\u202f\u2009\u2007"  # horizontal spaces (never a newline)
# (a URL does not end with the punctuation that follows it in a sentence)
_PROTECTED = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[^\s«»\"]*[^\s«»\".,;:!?)\]]"
                        r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MARK = re.compile(f"([{_H}]*)([?!;:])")
_OPEN = re.compile(f"«[{_H}]*(?=[^\\s])")
_CLOSE = re.compile(f"(?<=[^\\s])[{_H}]*»")
# An opening quote follows the start, a space or an opening mark; a closing quote is
# followed by the end, a space or punctuation. 15" (inches) is neither.
_STRAIGHT_PAIR = re.compile(r'(?:^|(?<=[\s(\[{«—–/-]))"([^"\n]*)"(?=$|[\s.,;:!?)\]}»…\'’/-])')
_NO_SPACE_AFTER = set("([{/\\\n«") | set("?!;:")
# what may follow a ':' or ';' that gets a space: a space, the end, closing marks, punctuation
_AFTER_COLON = set(_H) | set("\n»)]}\"'”’.,…")
_PLACEHOLDER = "\ue000{}\ue001"


def fr_typography(text: str, *, nested: bool = False) -> str:
    """French spacing before ``: ; ? !`` and inside « », « » for straight double quotes.

    >>> fr_typography('Il a dit : "viens" ! Et toi?') == (
    ...     'Il a dit\\u00a0: «\\u00a0viens\\u00a0»\\u202f! Et toi\\u202f?')
    True
    """
    if not text:
        return text
    protected: list[str] = []
    if "\ue000" not in text and "\ue001" not in text:
        def hide(m: re.Match) -> str:
            protected.append(m.group(0))
            return _PLACEHOLDER.format(len(protected) - 1)

        text = _PROTECTED.sub(hide, text)
    text = _quotes(text, nested)
    text = _MARK.sub(_mark, text)
    text = _OPEN.sub("«" + NBSP, text)
    text = _CLOSE.sub(NBSP + "»", text)
    for i, original in enumerate(protected):
        text = text.replace(_PLACEHOLDER.format(i), original, 1)
    return text


def _mark(m: re.Match) -> str:
    mark = m.group(2)
    s = m.string
    prev = s[m.start() - 1] if m.start() > 0 else ""
    nxt = s[m.end()] if m.end() < len(s) else ""
    if not prev or prev in _NO_SPACE_AFTER:
        return m.group(0)
    if mark in ":;" and nxt and nxt not in _AFTER_COLON:
        return m.group(0)
    return (NBSP if mark == ":" else NNBSP) + mark


def _quotes(text: str, nested: bool) -> str:
    """Straight double quote pairs -> « » (or “ ” when nested), only when every straight
    double quote of the text belongs to a pair (else which is which is a guess)."""
    if '"' not in text or text.count('"') % 2:
        return text
    if 2 * len(_STRAIGHT_PAIR.findall(text)) != text.count('"'):
        return text

    def repl(m: re.Match) -> str:
        inner = m.group(1).strip(_H)
        return f"“{inner}”" if nested else f"«{NBSP}{inner}{NBSP}»"

    return _STRAIGHT_PAIR.sub(repl, text)


def fr_quote(text: str) -> str:
    """A French quotation: « text » with no-break spaces inside the guillemets."""
    return f"«{NBSP}{text.strip(_H)}{NBSP}»"


def en_quote(text: str) -> str:
    """An English quotation: “text”."""
    return f"“{text.strip(_H)}”"


def collapse_whitespace(text: str) -> str:
    """Every run of whitespace (newlines included) becomes one space; ends stripped."""
    return " ".join(text.split())
