"""Pseudonymization on the bundled demo project (eleven interviews of the Bassin minier):
the communes and people of the sample suggested, a key built from them, every export
with zero leaks, and the audit refusing what the key or k-anonymity forbids."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from docx import Document
from helpers import Runner

pytestmark = pytest.mark.slow  # the whole demo: 11 transcripts imported, annotated, coded, exported

COMMUNES = {"Lens": "[commune A]", "Liévin": "[commune B]", "Oignies": "[commune C]",
            "Loos-en-Gohelle": "[commune D]", "Avion": "[commune E]", "Lille": "[une grande ville]"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("pseudo-demo")
    res = Runner(base, env={"XDG_DATA_HOME": str(base / "data")})("demo", "bassin")
    assert res.exit_code == 0, res.output
    run = Runner(base / "bassin", env={"XDG_DATA_HOME": str(base / "data"), "QUALCODE_USER": "camille"})
    return base, run


def whole(name: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text) is not None


def test_the_demo_suggests_its_communes_then_exports_without_them(demo):
    base, run = demo
    res = run("pseudo", "suggest", "--json", "--no-ner")
    assert res.exit_code == 0, res.output
    found = {c["name"]: c for c in json.loads(res.output)["candidates"]}
    for commune in COMMUNES:  # the participants' communes, from the texts and the cases' attribute
        assert commune in found and "attribute:commune" in found[commune]["sources"]
    assert found["Lens"]["count"] >= 20
    assert not {"Mme Dufour", "M. Caron", "Marcel", "Wojcik"} & set(found)  # pseudonyms are not proposed

    for name, replacement in COMMUNES.items():
        assert run("pseudo", "add", name, replacement, "--kind", "place").exit_code == 0
    # the report the demo wrote before the key names the communes: the audit says so
    res = run("pseudo", "audit", "report.docx", "--no-ner", "--json")
    assert res.exit_code == 1
    before = json.loads(res.output)["counts"]["leak"]
    assert before > 50
    # an export without pseudonymization is refused, nothing written
    out = base / "chapitre.docx"
    res = run("export", "excerpts", "-o", out, "--no-pseudo")
    assert res.exit_code == 1 and not out.exists() and "leak: Lens" in res.output
    # with the key: written, zero leaks, read back with python-docx
    res = run("export", "excerpts", "-o", out, "--by", "commune")
    assert res.exit_code == 0, res.output
    doc = Document(str(out))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert [c for c in COMMUNES if whole(c, text)] == []
    assert "[commune A]" in text
    res = run("pseudo", "audit", out, "--no-ner")
    assert res.exit_code == 0, res.output
    # the REFI-QDA package too
    qdpx = base / "projet.qdpx"
    assert run("export", "qdpx", qdpx).exit_code == 0
    with zipfile.ZipFile(qdpx) as z:
        everything = "\n".join(z.read(n).decode("utf-8") for n in z.namelist())
    assert [c for c in COMMUNES if whole(c, everything)] == []


def test_citing_commune_and_age_in_the_demo_is_refused(demo):
    base, run = demo
    out = base / "cites.md"
    res = run("export", "excerpts", "-o", out, "--no-pseudo", "--cite", "{pseudonym}, {group}, {age} ans",
              "--allow-leaks", "--json")
    assert res.exit_code == 0
    audits = json.loads(res.output)["privacy"]["audits"]
    combos = [f["what"] for f in audits[0]["findings"] if f["kind"] == "k-anonymity"]
    assert "age=78, group=resident" in combos  # Marcel: the only resident aged 78
    assert len(combos) == 11  # every participant's age is their own
