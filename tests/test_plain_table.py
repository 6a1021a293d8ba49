"""qualcode.cli._plaintable: long tables printed as plain text are exactly rich's table.

Each case is printed twice on a console without colour of a given width: by rich
(``Table(*headers, box=None)``, as the commands did) and by :func:`plain_table`; the two
texts must be equal, character for character."""

from __future__ import annotations

import io
import random

from rich.table import Table

from qualcode.cli._plaintable import plain_table, print_table
from qualcode.cli._terminal import SafeConsole

WORDS = ["a", "de", "la", "fosse", "mineur", "entretien_synth_001", "identity/mining_memory", "accepted",
         "proposed", "c'est", "aujourd'hui", "Mémoire", "à", "—", "…", "«", "»", "x" * 35, "y" * 120,
         "Enquêtrice", "1962", "9-9bis", "l'Unesco,", "(rires)"]


def _rich(headers, rows, width: int) -> str:
    buf = io.StringIO()
    console = SafeConsole(file=buf, width=width, color_system=None, force_terminal=False)
    table = Table(*headers, box=None)
    for r in rows:
        table.add_row(*r)
    console.print(table)
    return buf.getvalue()


def _cell(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.08:
        return ""
    n = rng.choice([1, 1, 2, 3, 5, 12, 25])
    text = " ".join(rng.choice(WORDS) for _ in range(n))
    if kind > 0.95:
        text = "  " + text + "   "  # spaces at the edges
    if kind > 0.98:
        text = text.replace(" ", "  ")
    return text


def test_plain_tables_are_rich_tables_to_the_character():
    rng = random.Random(5)
    n_cases = n_wrapped = 0
    for _ in range(300):
        n_cols = rng.randint(1, 7)
        headers = [rng.choice(["document", "turn", "code", "coder", "status", "text", "", "n"])
                   for _ in range(n_cols)]
        rows = [[_cell(rng) for _ in range(n_cols)] for _ in range(rng.randint(0, 12))]
        width = rng.choice([3, 5, 10, 20, 40, 60, 80, 100, 120, 200, 400])
        got = plain_table(headers, rows, width)
        if got is None:
            continue
        n_cases += 1
        expected = _rich(headers, rows, width)
        assert got == expected, (headers, rows, width)
        n_wrapped += any(len(line) > 0 for line in expected.splitlines()[len(rows) + 1:])
    assert n_cases > 200 and n_wrapped > 50


def test_the_codings_table_shape():
    """The codings table of the command: six columns, long texts cut at 100 characters."""
    rng = random.Random(8)
    headers = ["document", "turn", "code", "coder", "status", "text"]
    rows = []
    for k in range(400):
        text = " ".join(rng.choice(WORDS[:16]) for _ in range(rng.randint(1, 30)))
        text = text if len(text) <= 100 else text[:99] + "…"
        rows.append([f"entretien_{k % 7:02d}", str(k % 40 or ""), rng.choice(WORDS[5:8]),
                     rng.choice(["rules", "camille"]), rng.choice(["proposed", "accepted"]), text])
    for width in (80, 120, 160, 250):
        assert plain_table(headers, rows, width) == _rich(headers, rows, width)


def test_cells_rich_lays_out_otherwise_go_to_rich():
    """Tabs, line breaks, wide or zero-width characters: no plain rendering (rich prints)."""
    for cell in ["a\tb", "a\nb", "日本語", "e\u0301", "a\u2028b"]:
        assert plain_table(["h"], [[cell]], 80) is None
    assert plain_table(["h"], [["a"]], 2) is None
    # control characters are shown as escapes, as rich shows them through SafeConsole
    headers, rows = ["h"], [["a\x1b[2Jb", "x"], ["\u202e", "y"]]
    rows = [r[:1] for r in rows]
    assert plain_table(headers, rows, 40) == _rich(headers, rows, 40)


def test_print_table_falls_back_to_rich_on_a_colour_console():
    headers, rows = ["document", "text"], [["d1", "du charbon"], ["d2", "日本語"]]
    plain, colour = io.StringIO(), io.StringIO()
    print_table(SafeConsole(file=plain, width=60, color_system=None), headers, rows[:1])
    assert plain.getvalue() == _rich(headers, rows[:1], 60)
    print_table(SafeConsole(file=colour, width=60, force_terminal=True, color_system="standard"), headers, rows)
    assert "\x1b[1m" in colour.getvalue() and "日本語" in colour.getvalue()
    fallback = io.StringIO()
    print_table(SafeConsole(file=fallback, width=60, color_system=None), headers, rows)
    assert fallback.getvalue() == _rich(headers, rows, 60)
