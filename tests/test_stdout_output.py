"""``--output -`` means standard output wherever a command writes a text file (md, csv,
tex, json); binary formats (docx, xlsx, png, svg figures) refuse it with a usage error."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import build_project

CODEBOOK = """\
title: Test
language: fr
unit: sentence
codes:
  - code: mine
    label: Mine
    definition: La mine.
    rules:
      - terms: [fosse, mine]
"""

INTERVIEW = """\
Enquêtrice : Parlez-moi de la fosse.
M. Caron : Mon père descendait à la fosse tous les jours. La mine, c'était notre vie.
Enquêtrice : Et aujourd'hui ?
M. Caron : Aujourd'hui la mine est un musée.
"""


@pytest.fixture
def coded(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": INTERVIEW}, autocode=True,
                         participants="case,groupe,commune\nP01,habitants,Loos-en-Gohelle\n")


def no_files_written(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.name == "-"] == []


def test_report_table_to_stdout_as_csv(coded):
    res = coded("report", "matrix", "--output", "-", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = [r for r in csv.reader(io.StringIO(res.stdout)) if r and not r[0].startswith("#")]
    assert rows[0] == ["code", "label", "caron", "total"]
    assert rows[1] == ["mine", "Mine", "3", "3"]
    assert "wrote" not in res.stdout
    assert no_files_written(coded.cwd)


def test_report_table_to_stdout_as_json_and_md(coded):
    res = coded("report", "matrix", "-o", "-", "-f", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["provenance"]["command"].startswith("qualcode report matrix")
    res = coded("report", "matrix", "-o", "-", "-f", "md")
    assert res.exit_code == 0, res.output
    assert "| mine | Mine | 3 | 3 |" in res.stdout


def test_excerpts_to_stdout(coded):
    res = coded("export", "excerpts", "-o", "-", "--format", "md")
    assert res.exit_code == 0, res.output
    # no document file name in a citation by default
    assert "«\u00a0Mon père descendait à la fosse tous les jours.\u00a0» (tour\u00a02)" in res.stdout
    assert "wrote" not in res.stdout
    res = coded("export", "excerpts", "-o", "-", "--format", "csv")
    assert res.exit_code == 0, res.output
    assert not res.stdout.startswith("\ufeff")
    assert "Mon père descendait à la fosse tous les jours." in res.stdout


def test_codebook_export_to_stdout(coded):
    res = coded("codebook", "export", "-o", "-")
    assert res.exit_code == 0, res.output
    assert "Mine" in res.stdout


def test_cases_export_to_stdout(coded):
    res = coded("cases", "export", "-", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = [r for r in csv.reader(io.StringIO(res.stdout)) if r and not r[0].startswith("#")]
    assert rows[1][:3] == ["P01", "habitants", "Loos-en-Gohelle"]
    assert "wrote" not in res.stdout
    res = coded("cases", "export", "-", "-f", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["tables"][0]["rows"][0]["case"] == "P01"
    assert no_files_written(coded.cwd)


def test_qdc_to_stdout_is_the_same_xml_as_the_file(coded):
    res = coded("export", "qdc", "-")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("<?xml") and 'name="Mine"' in res.stdout
    assert coded("export", "qdc", "mine.qdc").exit_code == 0
    assert (coded.cwd / "mine.qdc").read_text(encoding="utf-8") == res.stdout
    assert no_files_written(coded.cwd)
    # and back: a .qdc read into a YAML codebook printed with -o -
    res = coded("codebook", "import", "mine.qdc", "-o", "-")
    assert res.exit_code == 0, res.output
    assert "label: Mine" in res.stdout and "code: mine" in res.stdout
    assert no_files_written(coded.cwd)


@pytest.mark.parametrize("args, said", [
    (("export", "qdpx", "-"), "zip file and cannot be written to standard output"),
    (("export", "qdc", "-", "--json"), "give a file name"),
    (("cases", "export", "-"), "needs --format"),
    (("cases", "export", "-", "-f", "xlsx"), "binary format"),
    (("export", "excerpts", "-o", "-", "--format", "docx"), "binary format"),
    (("export", "excerpts", "-o", "-"), "needs --format"),
    (("export", "report", "-o", "-"), "cannot be written to standard output"),
    (("chart", "freq", "-o", "-"), "cannot be written to standard output"),
    (("report", "matrix", "-o", "-", "-f", "xlsx"), "binary format"),
    (("report", "matrix", "-o", "-"), "needs --format"),
    (("codebook", "export", "-o", "-", "-f", "docx"), "binary format"),
    (("export", "excerpts", "-o", "-", "-f", "md", "--json"), "cannot go with --output -"),
])
def test_binary_formats_refuse_stdout(coded, args, said):
    res = coded(*args)
    assert res.exit_code == 2, res.output
    assert said in res.output
    assert no_files_written(coded.cwd)
