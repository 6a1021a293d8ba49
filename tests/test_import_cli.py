"""`qualcode import`, `docs`, `show`, `speakers` through the CLI runner, on real files."""

from __future__ import annotations

import json

import pytest
from docx import Document
from helpers import INTERVIEW, Runner, snapshot, write

from qualcode.project import Project


def docs_json(cli):
    res = cli("docs", "--json")
    assert res.exit_code == 0, res.output
    return {d["name"]: d for d in json.loads(res.stdout)}


def test_import_txt_and_show_json(cli, project, tmp_path):
    f = write(tmp_path / "in" / "entretien_01.txt", INTERVIEW)
    res = cli("import", f)
    assert res.exit_code == 0, res.output
    assert "1 imported, 0 unchanged, 0 skipped" in res.stdout
    docs = docs_json(cli)
    assert docs["entretien_01"]["turns"] == 4
    assert docs["entretien_01"]["speakers"] == [
        {"label": "Enquêtrice", "role": "interviewer"}, {"label": "Mme Dufour", "role": "participant"}]

    shown = json.loads(cli("show", "entretien_01", "--json").stdout)
    assert shown["document"] == "entretien_01"
    turns = shown["turns"]
    assert [t["index"] for t in turns] == [1, 2, 3, 4]
    assert turns[1]["speaker"] == "Mme Dufour" and turns[1]["role"] == "participant"
    # the continuation line and the back-channel stay in turn 2
    assert turns[1]["text"].startswith("Alors euh, le musée")
    assert "[Enquêtrice : mhm] ils se sentent oubliés." in turns[1]["text"]
    assert set(turns[0]) == {"index", "speaker", "role", "start", "end", "time_start", "time_end", "text",
                             "codes"}
    # offsets index the stored text
    text = project.store.documents.by_name("entretien_01").text
    for t in turns:
        assert text[t["start"]:t["end"]] == t["text"]


def test_reimport_identical_file_is_a_no_op(cli, project, tmp_path):
    f = write(tmp_path / "e.txt", INTERVIEW)
    assert cli("import", f).exit_code == 0
    before = snapshot(project)
    res = cli("import", f)
    assert res.exit_code == 0
    assert "unchanged" in res.stdout and "0 imported, 1 unchanged" in res.stdout
    assert snapshot(project) == before


def test_changed_file_needs_replace(cli, project, tmp_path):
    f = write(tmp_path / "e.txt", INTERVIEW)
    assert cli("import", f).exit_code == 0
    write(f, INTERVIEW + "Enquêtrice : Merci beaucoup.\n")
    before = snapshot(project)
    res = cli("import", f)
    assert res.exit_code == 1
    assert "--replace" in res.stderr and "e.txt" in res.stderr
    assert snapshot(project) == before
    res = cli("import", f, "--replace")
    assert res.exit_code == 0, res.output
    doc = project.store.documents.by_name("e")
    assert doc.version == 2
    assert docs_json(cli)["e"]["turns"] == 5


def test_bad_files_are_skipped_and_leave_no_trace(cli, project, tmp_path):
    good = write(tmp_path / "batch" / "good.txt", INTERVIEW)
    write(tmp_path / "batch" / "empty.txt", "   \n\n")
    write(tmp_path / "batch" / "binary.txt", bytes(range(256)) * 4)
    write(tmp_path / "batch" / "broken.docx", b"PK\x03\x04 this is not a real docx")
    write(tmp_path / "batch" / "broken.trs", "<?xml version='1.0'?><Trans><Episode><Turn></Episode></Trans>")
    unsupported = write(tmp_path / "data.pdf", b"%PDF-1.4 ...")
    res = cli("import", tmp_path / "batch", unsupported, tmp_path / "missing.txt")
    assert res.exit_code == 1
    err = res.stderr
    for name, reason in [("empty.txt", "empty"), ("binary.txt", "binary"), ("broken.docx", "docx"),
                         ("broken.trs", "XML"), ("data.pdf", "unsupported"), ("missing.txt", "no such")]:
        lines = [line for line in err.splitlines() if name in line]
        assert len(lines) == 1, (name, err)
        assert reason.lower() in lines[0].lower(), (name, lines[0])
    assert "1 imported, 0 unchanged, 6 skipped" in res.stdout
    assert "Traceback" not in res.output
    assert list(docs_json(cli)) == ["good"]
    assert good.exists()
    # nothing of a failed file stays: no orphan turns or speakers
    n_turns = project.store.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
    assert n_turns == docs_json(cli)["good"]["turns"]


def test_glob_and_recursive_folder(cli, tmp_path):
    write(tmp_path / "t" / "a.txt", INTERVIEW)
    write(tmp_path / "t" / "sub" / "b.txt", INTERVIEW.replace("Mme Dufour", "M. Caron"))
    write(tmp_path / "t" / "README.md", "# about these files\n")
    res = cli("import", str(tmp_path / "t" / "*.txt"))
    assert res.exit_code == 0 and list(docs_json(cli)) == ["a"]
    res = cli("import", tmp_path / "t")
    assert res.exit_code == 0, res.output
    assert sorted(docs_json(cli)) == ["a", "b"]  # README.md is documentation, not a transcript


def test_interviewer_override_and_speakers_set(cli, tmp_path):
    text = "SPEAKER_00: Bonjour, parlez-moi de la fosse.\nSPEAKER_01: Mon père était mineur.\n" * 2
    f = write(tmp_path / "diar.txt", text)
    assert cli("import", f).exit_code == 0
    roles = {s["label"]: s["role"] for s in docs_json(cli)["diar"]["speakers"]}
    assert roles == {"SPEAKER_00": "participant", "SPEAKER_01": "participant"}
    res = cli("speakers", "diar", "--set", "SPEAKER_00=interviewer", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["changes"] == [{"speaker": "SPEAKER_00", "from": "participant", "to": "interviewer"}]
    roles = {s["label"]: s["role"] for s in docs_json(cli)["diar"]["speakers"]}
    assert roles["SPEAKER_00"] == "interviewer"
    assert cli("history", "--json").exit_code == 0

    g = write(tmp_path / "diar2.txt", text)
    assert cli("import", g, "--interviewer", "SPEAKER_00").exit_code == 0
    roles = {s["label"]: s["role"] for s in docs_json(cli)["diar2"]["speakers"]}
    assert roles == {"SPEAKER_00": "interviewer", "SPEAKER_01": "participant"}



def test_interviewer_on_an_unchanged_file_says_how_to_set_the_roles(cli, tmp_path):
    f = write(tmp_path / "zoom.txt", "Jane Doe (SL): Bonjour.\nBob Lee: Bonjour.\n" * 2)
    assert cli("import", f).exit_code == 0
    res = cli("import", f, "--interviewer", "Jane Doe (SL)")
    assert res.exit_code == 0, res.output
    assert "unchanged" in res.stdout
    said = " ".join(res.stderr.split())
    assert ("document 'zoom' is unchanged, so --interviewer did not change its roles; run: "
            "qualcode speakers zoom --set 'Jane Doe (SL)=interviewer'") in said
    assert cli("speakers", "zoom", "--set", "Jane Doe (SL)=interviewer").exit_code == 0
    res = cli("import", f, "--interviewer", "Jane Doe (SL)")
    assert res.exit_code == 0 and "did not change" not in res.stderr  # nothing left to say

@pytest.mark.parametrize("args, message", [
    (["speakers", "nope"], "no document named 'nope'"),
    (["speakers", "e", "--set", "Nobody=interviewer"], "has no speaker 'Nobody'"),
    (["speakers", "e", "--set", "Mme Dufour=boss"], "unknown role 'boss'"),
    (["speakers", "e", "--set", "novalue"], "LABEL=ROLE"),
    (["show", "entretien"], "no document named 'entretien'"),
])
def test_bad_arguments_give_one_line_errors(cli, tmp_path, args, message):
    assert cli("import", write(tmp_path / "e.txt", INTERVIEW)).exit_code == 0
    res = cli(*args)
    assert res.exit_code in (1, 2)
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.output


def test_case_option_links_document(cli, project, tmp_path):
    f = write(tmp_path / "e.txt", INTERVIEW)
    assert cli("import", f, "--case", "P01").exit_code == 0
    assert docs_json(cli)["e"]["cases"] == ["P01"]


def test_docx_import_through_cli(cli, tmp_path):
    d = Document()
    d.add_heading("Entretien fictif", level=1)
    for line in INTERVIEW.splitlines()[2:]:
        d.add_paragraph(line)
    path = tmp_path / "e.docx"
    d.save(path)
    res = cli("import", path)
    assert res.exit_code == 0, res.output
    shown = json.loads(cli("show", "e", "--json").stdout)
    assert [t["speaker"] for t in shown["turns"]] == ["Enquêtrice", "Mme Dufour", "Enquêtrice", "Mme Dufour"]


def test_project_option_and_missing_project(tmp_path, project):
    outside = Runner(tmp_path)
    res = outside("docs")
    assert res.exit_code == 1 and "no qualcode project" in res.stderr
    res = outside("docs", "--project", project.root, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout) == []


def test_init_through_cli(tmp_path):
    res = Runner(tmp_path)("init", "newproj", "--language", "fr")
    assert res.exit_code == 0, res.output
    assert Project.find(tmp_path / "newproj") == (tmp_path / "newproj").resolve()
    res = Runner(tmp_path)("init", "newproj")
    assert res.exit_code == 1 and "already exists" in res.stderr
