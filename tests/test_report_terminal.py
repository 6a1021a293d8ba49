"""Report tables wider than the terminal: `report matrix` and `report cooccurrence` print
every number, in blocks of columns that fit the terminal ("part k of K"), never leaving
columns out (rich alone shrinks number columns to nothing when they cannot fit)."""

from __future__ import annotations

import json
import re

import pytest
from helpers import Runner, build_project

from qualcode.project import Project

CODEBOOK = """\
title: Test
language: fr
unit: sentence
codes:
  - code: mine
    label: La mine et le travail au fond, dans les fosses du Bassin
    definition: La mine.
    rules:
      - terms: [fosse]
  - code: musee
    label: Le musée
    definition: Le musée.
    rules:
      - terms: [musée]
  - code: tourisme
    label: Tourisme
    definition: Les touristes.
    rules:
      - terms: [touriste]
"""


def _interview(k: int) -> str:
    said = ["La fosse a fermé."] * (k % 4 + 1) + ["Le musée attire les touristes."] * (k % 3) + ["Voilà."]
    return "Enquêtrice : Et la fosse ?\nMme X : " + " ".join(said) + "\n"


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wide")
    docs = {f"entretien_{k:02d}_residente": _interview(k) for k in range(1, 31)}
    with Project.init(tmp / "proj", language="fr") as project:
        build_project(project, tmp / "src", codebook=CODEBOOK, documents=docs, autocode=True, one_import=True)
    return tmp / "proj"


def _blocks(text: str) -> tuple[list[tuple[list[str], list[list[str]]]], str]:
    """(headers, rows) of each printed block, and the legend line."""
    lines = text.splitlines()
    legend = next((line for line in lines if line.startswith("columns: ")), "")
    blocks = []
    for i, line in enumerate(lines):
        if line.startswith("code "):
            headers = line.split()
            rows = []
            for row in lines[i + 1:]:
                if not row.strip() or not re.search(r"\d\s*$", row):
                    break
                rows.append(row.split()[-(len(headers) - 1):])
            blocks.append((headers, rows))
    return blocks, legend


@pytest.mark.parametrize("columns", ["50", "60", "80"])
def test_a_matrix_wider_than_the_terminal_is_printed_in_blocks_with_every_number(wide, columns):
    run = Runner(wide, env={"COLUMNS": columns})
    data = json.loads(run("report", "matrix", "--json").stdout)
    (table,) = data["tables"]
    res = run("report", "matrix")
    assert res.exit_code == 0, res.output
    blocks, legend = _blocks(res.stdout)
    assert len(blocks) > 1 and f"(part {len(blocks)} of {len(blocks)})" in res.stdout
    # every line of the tables fits the terminal (titles and notes are not cut)
    for line in res.stdout.splitlines():
        if line.startswith(("code ", "  ")) or re.search(r"\d\s*$", line):
            assert len(line) <= int(columns), line
    names = dict(re.findall(r"(\d+) = ([^;]+)", legend))  # number -> document
    printed: dict[str, list[str]] = {}
    for headers, rows in blocks:
        assert len(rows) == len(table["rows"])
        for j, h in enumerate(headers[1:]):
            printed.setdefault(names.get(h, h), [r[j] for r in rows])
    docs = table["columns"][2:]
    assert sorted(printed) == sorted(docs)  # every column, once
    for name in docs:
        assert printed[name] == [str(r[name]) for r in table["rows"]], name
    labels = {line.split("  ")[0] for line in res.stdout.splitlines() if line.startswith("La mine")}
    assert len(labels) == 1  # the same label, cut alike, in every block


def test_a_table_that_fits_once_its_labels_are_cut_is_one_table(wide):
    for columns in ("50", "70"):
        res = Runner(wide, env={"COLUMNS": columns})("report", "cooccurrence")
        assert res.exit_code == 0, res.output
        assert "(part" not in res.stdout
        table = res.stdout.splitlines()[1:5]
        assert max(len(line) for line in table) == int(columns)  # the label cut just enough
        assert " 1 La mine et le travail" in table[1] and "…" in table[1]
        assert table[1].split()[-3:] == ["75", "0", "0"]


def test_column_blocks_keep_every_column_once_and_fit_the_width():
    """Random tables of the shapes the terminal prints (a label, numbers, text columns such
    as κ bands after them) at many widths: every column after the leading text columns
    (the label) is in exactly one block, in order, with its cells unchanged; the leading
    columns start every block, cut with "…" at most; every block of two columns or more
    fits the width."""
    import random

    from qualcode.cli._reporttable import TEXT_MIN, ReportTable, column_blocks, min_widths

    rng = random.Random(11)
    n_split = 0
    for _ in range(400):
        n = rng.randint(1, 14)
        headers = ["code"] + [rng.choice(["units", "κ", "κ band", "entretien_synth_01", "1", "%", "note"]) + str(j)
                              for j in range(n)]
        right = [False] + [rng.random() < 0.75 for _ in range(n)]
        rows = [["  " * rng.randint(0, 1) + " ".join(rng.choice(["Identity", "Mining", "memory", "Heritage"])
                                                      for _ in range(rng.randint(1, 6)))]
                + [str(rng.randint(0, 10 ** rng.randint(0, 6))) if r else rng.choice(["reliable", "almost perfect", ""])
                   for r in right[1:]] for _ in range(rng.randint(1, 8))]
        rt = ReportTable("T", headers, right, min_widths(headers, right, rows), rows, [""] * len(rows),
                         [False] * len(rows), "notes")
        width = rng.choice([30, 40, 60, 80, 120, 200])
        blocks = column_blocks(rt, width)
        n_split += len(blocks) > 1
        lead = next((j for j, r in enumerate(right) if r), len(right)) or 1  # the text columns before numbers
        seen = [h for b in blocks for h in b.headers[lead:]]
        assert seen == headers[lead:]
        for b in blocks:
            assert b.headers[:lead] == headers[:lead]
            for orig, got in zip(rows, b.rows):
                for j in range(lead):  # cut with "…" at most
                    assert got[j] == orig[j] or (got[j].endswith("…") and orig[j].startswith(got[j][:-1])
                                                 and len(got[j]) >= min(len(orig[j]), TEXT_MIN))
                for h, cell in zip(b.headers[lead:], got[lead:]):
                    assert cell == orig[headers.index(h)]
            natural = [max(len(b.headers[j]), b.min_widths[j], *(len(r[j]) for r in b.rows))
                       for j in range(len(b.headers))]
            if len(b.headers) > lead + 1:  # a block of one column may be wider than the terminal
                assert sum(natural) + 2 * (len(natural) - 1) <= width or any(
                    natural[j] > TEXT_MIN for j in range(lead)), (width, natural)
    assert n_split > 100
