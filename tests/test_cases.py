"""`qualcode cases import` from CSV as French Excel writes it, and from XLSX."""

from __future__ import annotations

import json

import pytest
from helpers import INTERVIEW, build_project, write
from openpyxl import Workbook

from qualcode.cases import typed


@pytest.fixture
def two_docs(project, tmp_path):
    return build_project(project, tmp_path, documents={"entretien_01": INTERVIEW, "entretien_02": INTERVIEW})


def cases_json(cli):
    res = cli("cases", "--json")
    assert res.exit_code == 0, res.output
    return {c["case"]: c for c in json.loads(res.stdout)}


def test_semicolon_csv_with_bom(two_docs, tmp_path):
    cli = two_docs
    content = ("case;pseudonym;document;group;age;score\n"
               "P01;Mme Dufour;entretien_01.txt;local_actor;54;3,5\n"
               "P02;Marcel;entretien_02|entretien_99;resident;78;\n")
    f = write(tmp_path / "participants.csv", b"\xef\xbb\xbf" + content.encode("utf-8"))
    res = cli("cases", "import", f)
    assert res.exit_code == 0, res.output
    assert "entretien_99" in res.stderr and ":3:" in res.stderr  # unknown document reported, not fatal
    cases = cases_json(cli)
    assert cases["P01"]["attributes"] == {"pseudonym": "Mme Dufour", "group": "local_actor", "age": 54,
                                          "score": 3.5}
    assert cases["P01"]["documents"] == ["entretien_01"]
    assert cases["P02"]["attributes"]["age"] == 78 and "score" not in cases["P02"]["attributes"]
    assert cases["P02"]["documents"] == ["entretien_02"]


def test_cp1252_comma_csv(two_docs, tmp_path):
    cli = two_docs
    content = "case,document,commune,genre\nP01,entretien_01,Liévin,féminin\n"
    f = write(tmp_path / "p.csv", content, encoding="cp1252")
    assert cli("cases", "import", f).exit_code == 0
    assert cases_json(cli)["P01"]["attributes"] == {"commune": "Liévin", "genre": "féminin"}


def test_xlsx(two_docs, tmp_path):
    cli = two_docs
    wb = Workbook()
    ws = wb.active
    ws.append(["case", "document", "group", "age"])
    ws.append(["P01", "entretien_01", "resident", 61])
    ws.append(["P02", "entretien_02", "local_actor", 47.0])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    assert cli("cases", "import", path).exit_code == 0
    cases = cases_json(cli)
    assert cases["P02"]["attributes"] == {"group": "local_actor", "age": 47}
    assert isinstance(cases["P02"]["attributes"]["age"], int)


@pytest.mark.parametrize("content, message", [
    ("id_participant;group\nP01;resident\n", "no 'case' column"),
    ("case;group\nP01;resident\nP01;local_actor\n", ":3: case 'P01' appears twice"),
    ("case;group\n;resident\n", ":2: empty 'case' cell"),
])
def test_bad_case_files_change_nothing(two_docs, tmp_path, content, message):
    cli = two_docs
    f = write(tmp_path / "bad.csv", content)
    res = cli("cases", "import", f)
    assert res.exit_code == 1
    assert message in res.stderr and "bad.csv" in res.stderr
    assert cases_json(cli) == {}


def test_typed_values():
    assert typed("42") == 42 and typed("-3") == -3
    assert typed("3,5") == 3.5 and typed("0.25") == 0.25
    assert typed("007") == "007"  # identifiers keep their zeros
    assert typed("  ") is None and typed(None) is None
    assert typed(12.0) == 12 and typed("Lens") == "Lens"
