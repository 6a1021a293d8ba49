"""The tables of ``qualcode report`` printed as plain text are exactly rich's tables.

``qualcode.cli.report`` lays a TableResult out once (:func:`report_table`);
``qualcode.cli._reporttable`` prints it either with rich (:func:`render_table`) or, on a
console without colour, as plain text (:func:`plain_report_table`,
:func:`qualcode.cli._plaintable.plain_report`). Here both
renderings are compared character for character: on random tables of the shapes the
reports make, at many console widths, and on the real reports of two projects printed by
the command line (with the plain path, and with it turned off so that rich prints)."""

from __future__ import annotations

import io
import random

import pytest
from helpers import Runner
from helpers.reports import build

import qualcode.cli._reporttable as table_cli
from qualcode.cli._plaintable import plain_report
from qualcode.cli._reporttable import ReportTable, plain_report_table, render_table
from qualcode.cli._reporttable import min_widths as _min_widths
from qualcode.cli._terminal import SafeConsole

WIDTHS = [3, 5, 10, 20, 30, 40, 60, 80, 100, 120, 160, 200, 300]
WORDS = ["Identity", "Mining", "memory", "Stigma", "and", "image", "of", "the", "area", "Mémoire", "à", "—",
         "«", "»", "c'est", "x" * 30, "heritage/museum", "(no", "case)", "l'Unesco,", "9-9bis"]


def _rich(renderable, width: int) -> str:
    buf = io.StringIO()
    SafeConsole(file=buf, width=width, color_system=None, force_terminal=False).print(renderable)
    return buf.getvalue()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _number(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.1:
        return ""
    if kind < 0.3:
        return f"{rng.random():.{rng.choice([2, 3])}f}"
    if kind < 0.4:
        units, part = rng.randint(0, 300), rng.randint(0, 12)
        return f"{units} / {part} ({rng.randint(0, 100)}%)"
    if kind < 0.42:
        return f"{rng.randint(0, 99)} "  # a trailing space: rich strips it in a right-justified column
    return str(rng.randint(0, 10 ** rng.randint(1, 6)))


def _label(rng: random.Random) -> str:
    kind = rng.random()
    text = _words(rng, rng.choice([1, 1, 2, 3, 5, 8]))
    if kind < 0.3:
        text = "  " * rng.randint(1, 2) + text  # tree indentation
    if kind > 0.97:
        text = text + "  "
    if kind > 0.985:
        text = "\x1b[2J" + text  # shown as an escape, on both paths
    if kind < 0.01:
        text = text + "\x07\r"  # dropped by Text()
    return text


def _header(rng: random.Random, numeric: bool) -> str:
    if numeric:
        return rng.choice([str(rng.randint(1, 30)), "n", "local_actor (n=5)", "resident (n=6)",
                           "total (n=11)", "(no case)", "Mining memory", "x" * 14, "entretien_synth_001"])
    return rng.choice(["code", "label", "document", "code path", ""])


def _notes(rng: random.Random) -> str:
    notes = [_words(rng, rng.choice([1, 4, 10, 30])) for _ in range(rng.randint(0, 3))]
    text = "\n".join(notes)
    if rng.random() < 0.2:
        text = "units / participants (% of the group's cases)\n" + text  # freq: may end with a line break
    return text


def _random_layout(rng: random.Random) -> ReportTable:
    n_cols = rng.randint(1, 12)
    right = [False] + [rng.random() < 0.85 for _ in range(n_cols - 1)]
    if rng.random() < 0.1:
        right[0] = True
    headers = [_header(rng, r) for r in right]
    n_rows = rng.randint(0, 15)
    rows = [[_number(rng) if r else _label(rng) for r in right] for _ in range(n_rows)]
    min_widths = _min_widths(headers, right, rows)
    if rng.random() < 0.1:  # min widths of any size, not only the reports' own
        min_widths = [rng.randint(0, 20) for _ in headers]
    legend = None
    if rng.random() < 0.25:
        legend = "columns: " + "; ".join(f"{k} = {_words(rng, 2)}" for k in range(1, rng.randint(2, 12)))
    return ReportTable(
        title=rng.choice(["", "Code co-occurrence (sentence units)", "Codes × documents (coded units)",
                          "Jaccard " + _words(rng, 20)]),
        headers=headers, right=right, min_widths=min_widths, rows=rows,
        styles=[rng.choice(["", "bold"]) for _ in rows], sections=[rng.random() < 0.1 for _ in rows],
        caption=_notes(rng), legend=legend)


def _natural(rt: ReportTable) -> int:
    n = len(rt.headers)
    return sum(max([len(rt.headers[j]), rt.min_widths[j]] + [len(r[j]) for r in rt.rows]) + (j > 0) + (j < n - 1)
               for j in range(n))


def test_random_report_tables_are_rich_tables_to_the_character():
    rng = random.Random(17)
    taken = collapsed = legends = long_notes = wide = wide_taken = 0
    n_cases = 1500
    for _ in range(n_cases):
        rt = _random_layout(rng)
        width = rng.choice(WIDTHS)
        got = plain_report_table(rt, width)
        wide += width >= 160
        if got is None:
            continue
        expected = _rich(render_table(rt), width)
        assert got == expected, (rt, width)
        taken += 1
        wide_taken += width >= 160
        table_width = len(expected.splitlines()[bool(rt.title)])
        collapsed += _natural(rt) > width  # rich reduced the columns (cut or folded cells)
        legends += rt.legend is not None
        long_notes += any(len(line) > table_width for line in rt.caption.split("\n"))
    # The plain path is taken in a good share of the cases, narrow ones included; it is
    # not where rich reduces a column to nothing (many columns on a narrow console: rich
    # then leaves columns out), nearly always on a wide console.
    assert taken > 0.45 * n_cases and wide_taken > 0.85 * wide, (taken, wide_taken, wide)
    assert collapsed > 100 and legends > 100 and long_notes > 100, (collapsed, legends, long_notes)


def test_headers_wrapped_in_narrow_columns():
    """Columns reduced below their header's width (the table wider than the console): the
    headers fold over several lines, bottom-aligned, as rich folds them."""
    headers = ["code", "local_actor (n=5)", "resident (n=6)", "(no case)", "total (n=11)"]
    right = [False, True, True, True, True]
    rows = [["Identity", "1 / 1 (50%)", "2 / 2 (100%)", "0", "3 / 3 (75%)"],
            ["  Mining memory and a label long enough to be cut", "1 / 1 (50%)", "12 / 2 (100%)", "", "3 / 3 (75%)"]]
    rt = ReportTable("Codes by group", headers, right, _min_widths(headers, right, rows), rows, ["bold", ""],
                     [True, False], "units / participants (% of the group's cases)\n")
    n_multi = 0
    for width in range(3, 120):
        got = plain_report_table(rt, width)
        if got is None:
            continue
        expected = _rich(render_table(rt), width)
        assert got == expected, width
        n_multi += len(expected.splitlines()) > 2 + 2 + len(rows)  # title, caption + empty line
    assert n_multi > 10


def test_cells_rich_lays_out_otherwise_go_to_rich():
    headers, right, rows = ["code", "n"], [False, True], [["Identity", "3"]]
    mins = _min_widths(headers, right, rows)
    assert plain_report("t", headers, right, mins, rows, "", None, 80) is not None
    for cell in ["a\tb", "a\nb", "日本語", "e\u0301", "a\u2028b"]:
        assert plain_report("t", headers, right, mins, [[cell, "3"]], "", None, 80) is None
        assert plain_report("t", [cell, "n"], right, mins, rows, "", None, 80) is None
    for note in ["a\tb", "日本語"]:
        assert plain_report(note, headers, right, mins, rows, "", None, 80) is None
        assert plain_report("t", headers, right, mins, rows, "x\n" + note, None, 80) is None
        assert plain_report("t", headers, right, mins, rows, "", note, 80) is None
    assert plain_report("t", [], [], [], [], "", None, 80) is None
    assert plain_report("t", headers, right, mins, rows, "", None, 2) is None


def test_unsafe_characters_are_shown_as_escapes_on_both_paths():
    """Controls are shown as escapes (SafeConsole), and those that ``Text()`` drops (BEL,
    BS, VT, FF, CR) are dropped, on both paths."""
    headers, right = ["code", "n\x9b"], [False, True]
    rows = [["a\x1b]0;title\x07b", "1"], ["\u202eevil\r", "22"]]
    for title, caption, legend in [("ti\x1btle", "note \x1b[2J", "legend \u202e"), ("\x07", "\r\n\x08", "\x0c")]:
        rt = ReportTable(title, headers, right, _min_widths(headers, right, rows), rows, ["", ""],
                         [False, False], caption, legend)
        taken = 0
        for width in range(3, 60):
            got = plain_report_table(rt, width)
            if got is None:
                continue
            taken += 1
            assert not any(c in got for c in "\x1b\u202e\x9b\x07\r\x08\x0c")
            assert got == _rich(render_table(rt), width), width
        assert taken > 40


# --------------------------------------------------------------------------- real reports

COMMANDS = [("freq", "--by", "group"), ("cooccurrence",), ("cooccurrence", "--by", "group"), ("matrix",),
            ("matrix", "--cols", "group"), ("cooccurrence", "--jaccard")]


def _compare_cli(root, monkeypatch) -> tuple[int, int]:
    """Each report command at 80, 120 and 200 columns through the CLI: the output with the
    plain path equals the output with rich's table; (tables printed as plain text, tables)."""
    taken = [0, 0]
    plain_fn = table_cli.plain_report_table

    def spy(t, width):
        text = plain_fn(t, width)
        taken[0] += text is not None
        taken[1] += 1
        return text

    for columns in ("80", "120", "200"):
        cli = Runner(root, env={"COLUMNS": columns})
        for args in COMMANDS:
            monkeypatch.setattr(table_cli, "plain_report_table", spy)
            plain = cli("report", *args)
            monkeypatch.setattr(table_cli, "plain_report_table", lambda t, width: None)
            rich = cli("report", *args)
            assert plain.exit_code == 0 and rich.exit_code == 0, (plain.output, rich.output)
            assert plain.stdout == rich.stdout, (args, columns)
            assert plain.stdout.strip()
    return taken[0], taken[1]


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plain_report")
    build(tmp / "proj", tmp)
    return tmp / "proj"


def test_fixture_reports_plain_equals_rich(fixture_root, monkeypatch):
    taken, tables = _compare_cli(fixture_root, monkeypatch)
    assert taken == tables  # the small tables fit: always the plain path


def test_a_colour_console_prints_rich_tables(fixture_root, monkeypatch):
    called = []
    monkeypatch.setattr(table_cli, "plain_report_table", lambda t, width: called.append(t))
    res = Runner(fixture_root, env={"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm"})("report", "cooccurrence")
    assert res.exit_code == 0, res.output
    assert "\x1b[1m" in res.stdout and not called  # bold title: rich's table


@pytest.mark.slow  # the demo project: 11 transcripts imported, annotated and coded
def test_demo_reports_plain_equals_rich(tmp_path, monkeypatch):
    res = Runner(tmp_path)("demo", "bassin")
    assert res.exit_code == 0, res.output
    taken, tables = _compare_cli(tmp_path / "bassin", monkeypatch)
    assert taken >= 0.6 * tables, (taken, tables)
