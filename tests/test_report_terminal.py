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
