"""How the terminal shows the library's objects: rich trees, colours and margin marks.

The library returns data (a :class:`~qualcode.codebook.model.Codebook`, codes with the
colours written in the codebook, codings per turn); turning them into rich renderables
and terminal colours is the CLI's business, here, so that no library module depends on
rich. rich (and matplotlib's colour names) are imported where they are used, to keep
start-up fast.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING

from qualcode.codebook.model import Code, Codebook

if TYPE_CHECKING:
    from rich.tree import Tree

    from qualcode.project import Project


# --------------------------------------------------------------------------- codebook tree


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def codebook_tree(codebook: Codebook, *, definitions: bool = True) -> Tree:
    """A :class:`rich.tree.Tree` of the codes: slug, label, unit override, rule counts
    and (if ``definitions``) the short definition. User text is never parsed as markup."""
    from rich.text import Text
    from rich.tree import Tree

    head = Text(codebook.title or "(untitled codebook)", style="bold")
    meta = [f"unit: {codebook.unit}", f"language: {codebook.language}"]
    if codebook.declared_version:
        meta.append(f"version {codebook.declared_version}")
    if codebook.version:
        meta.append(f"hash {codebook.version}")
    head.append("  (" + ", ".join(meta) + ")", style="dim")
    tree = Tree(head)

    def add(parent, code: Code) -> None:
        label = Text()
        if code.color:
            # a colour rich does not know: rich renders the swatch without style
            label.append("■ ", style=code.color)
        label.append(code.code, style="bold cyan")
        if code.label and code.label != code.code:
            label.append("  ")
            label.append(code.label)
        extras = []
        if code.unit:
            extras.append(f"unit: {code.unit}")
        if code.rules:
            extras.append(_plural(len(code.rules), "rule"))
        if code.exclude:
            extras.append(_plural(len(code.exclude), "exclusion"))
        if extras:
            label.append("  [" + ", ".join(extras) + "]", style="dim")
        if definitions and code.definition:
            label.append("\n")
            label.append(code.definition, style="italic dim")
        node = parent.add(label)
        for child in code.children:
            add(node, child)

    for code in codebook.codes:
        add(tree, code)
    return tree


# --------------------------------------------------------------------------- show: margins

# Colours for codes that have none (nor an ancestor with one): matplotlib's tab10.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def rich_color(color: str | None) -> str | None:
    """A colour rich can draw for a codebook colour (#rgb, #rrggbb or a CSS name): ``#rrggbb``,
    or a colour name rich knows (drawn in the terminal's own shade); None if unusable."""
    if not color:
        return None
    c = color.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", c):
        return c.lower()
    if re.fullmatch(r"#[0-9a-fA-F]{3}", c):
        return "#" + "".join(ch * 2 for ch in c[1:]).lower()
    from rich.color import Color, ColorParseError

    try:  # red, blue, teal, …
        Color.parse(c.lower())
        return c.lower()
    except ColorParseError:
        pass
    try:  # other CSS names (darkorange, …), if matplotlib is installed
        from matplotlib.colors import CSS4_COLORS
    except ImportError:
        return None
    value = CSS4_COLORS.get(c.lower())  # typed as any colour; the CSS names map to '#rrggbb' strings
    return value.lower() if isinstance(value, str) and value else None


def code_colors(project: Project) -> dict[str, str]:
    """A rich colour per code path: its own colour, else its nearest ancestor's, else a colour
    of :data:`PALETTE` chosen from the path (stable across runs)."""
    own = {path: rich_color(color) for path, color in project.store.codes.colors().items()}
    out = {}
    for path in own:
        p = path
        color = own.get(p)
        while color is None and "/" in p:
            p = p.rsplit("/", 1)[0]
            color = own.get(p)
        out[path] = color or PALETTE[zlib.crc32(path.encode("utf-8")) % len(PALETTE)]
    return out


def initials(coders: list[str]) -> dict[str, str]:
    """Short marks for coders: initials (``Camille Dupont`` -> ``CD``), the full name when two
    coders would share initials."""
    def mark(name: str) -> str:
        words = [w for w in re.split(r"[\s._\-]+", name) if w]
        return "".join(w[0] for w in words).upper() or name

    marks = {c: mark(c) for c in coders}
    counts: dict[str, int] = {}
    for m in marks.values():
        counts[m] = counts.get(m, 0) + 1
    return {c: (m if counts[m] == 1 else c) for c, m in marks.items()}
