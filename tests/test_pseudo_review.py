"""``qualcode pseudo review``: the candidates for the pseudonym key one by one in the
terminal — accept with the proposed or an edited replacement, reject, skip, quit — and
the key written once, at the end, with one history entry."""

from __future__ import annotations

import json

import pytest
from helpers.pseudo import build_pseudo_project
from rich.console import Console

from qualcode.cli.pseudo import review_candidates
from qualcode.pseudo.key import load_key
from qualcode.pseudo.suggest import suggest


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


class Script:
    """A reviewer who types what the test says: keys and lines, in order; then the end of
    input (or Ctrl-C with ``interrupt``)."""

    def __init__(self, *answers: str, interrupt: bool = False):
        self.answers = list(answers)
        self.interrupt = interrupt
        self.prompts: list[str] = []

    def _next(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            raise KeyboardInterrupt if self.interrupt else EOFError
        return self.answers.pop(0)

    key = line = _next


def session(project, *answers: str, interrupt: bool = False):
    candidates = suggest(project, ner=False)
    out = Console(record=True, width=160, color_system=None)
    script = Script(*answers, interrupt=interrupt)
    review = review_candidates(project, candidates, reader=script, out=out)
    return candidates, review, out.export_text(), script


def test_accept_edit_reject_skip_then_quit(project, tmp_path):
    build_pseudo_project(project, tmp_path, key=False)
    candidates, review, shown, _ = session(project, "?", "a", "e", "Mme V.", "", "r", "s", "q")
    first, second = candidates[0], candidates[1]
    # each candidate is shown with its count, sources and an example in context
    assert f"1/{len(candidates)}" in shown and first.name in shown and first.example.split()[0] in shown
    assert f"{first.count} occurrence" in shown and "proposed replacement: " + first.replacement in shown
    assert "reject: not a name to hide" in shown  # the help
    assert review.rejected == 1 and review.skipped == 1 and review.left == len(candidates) - 4
    assert [(e.name, e.replacement) for e in review.accepted] == [(first.name, first.replacement),
                                                                  (second.name, "Mme V.")]
    assert review.saved == {"added": 2, "changed": 0, "removed": 0, "unchanged": 0, "remembered": 1, "unrejected": 0}
    key = load_key(next((tmp_path / "data" / "qualcode" / "keys").glob("*.toml")))
    assert [(e.name, e.replacement, e.added_by) for e in key.entries] == [
        (first.name, first.replacement, "tester"), (second.name, "Mme V.", "tester")]
    # the rejection is remembered in the key file, with who and when
    assert [(r.name, r.rejected_by) for r in key.rejected] == [(candidates[2].name, "tester")]
    assert key.rejected[0].rejected_at[:4].isdigit()
    # next time the accepted and the rejected names are not proposed again; the skipped one is
    again = suggest(project, ner=False)
    names = {c.name for c in again}
    assert first.name not in names and second.name not in names and candidates[2].name not in names
    assert candidates[3].name in names and again.skipped_rejected == 1


def test_the_name_can_be_edited_too(project, tmp_path):
    build_pseudo_project(project, tmp_path, key=False)
    candidates = suggest(project, ner=False)
    titled = next(i for i, c in enumerate(candidates) if c.name == "Mme Vasseur")
    answers = ["s"] * titled + ["e", "[la voisine]", "Vasseur", "q"]
    _, review, _, _ = session(project, *answers)
    assert [(e.name, e.replacement) for e in review.accepted] == [("Vasseur", "[la voisine]")]


@pytest.mark.parametrize("interrupt", [False, True])
def test_end_of_input_or_ctrl_c_saves_what_was_decided(project, tmp_path, interrupt):
    build_pseudo_project(project, tmp_path, key=False)
    candidates, review, shown, script = session(project, "a", "x", "a", interrupt=interrupt)
    assert "unknown key 'x'" in shown
    assert len(review.accepted) == 2 and review.left == len(candidates) - 2
    assert len(script.prompts) == 4  # the fourth asked, then the input ended
    key = load_key(next((tmp_path / "data" / "qualcode" / "keys").glob("*.toml")))
    assert [e.name for e in key.entries] == [candidates[0].name, candidates[1].name]


def test_nothing_decided_leaves_no_key(project, tmp_path):
    build_pseudo_project(project, tmp_path, key=False)
    _, review, _, _ = session(project, "s", "s", "q")
    assert review.accepted == [] and review.saved == {}
    assert not (tmp_path / "data" / "qualcode" / "keys").exists()
    assert "[pseudo]" not in (project.root / "qualcode.toml").read_text(encoding="utf-8")


def test_rejections_alone_are_kept_in_a_key_file_outside_the_project(project, tmp_path):
    build_pseudo_project(project, tmp_path, key=False)
    candidates, review, _, _ = session(project, "r", "r", "q")
    assert review.accepted == [] and review.saved["remembered"] == 2
    key = load_key(next((tmp_path / "data" / "qualcode" / "keys").glob("*.toml")))
    assert key.entries == [] and [r.name for r in key.rejected] == [candidates[0].name, candidates[1].name]
    assert "[pseudo]" in (project.root / "qualcode.toml").read_text(encoding="utf-8")


def test_the_command_with_typed_input(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    res = run("pseudo", "review", "--no-ner", input="a\ne\n[commune du bassin]\n\nr\nq\n")
    assert res.exit_code == 0, res.output
    assert "This session: 2 accepted, 1 rejected, 0 skipped" in res.output
    assert "2 added, 0 changed" in res.output
    listed = json.loads(run("pseudo", "list", "--json").output)["entries"]
    assert len(listed) == 2 and listed[1]["replacement"] == "[commune du bassin]"
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    assert [h["command"] for h in history] == ["pseudo review"]
    assert listed[0]["name"] not in json.dumps(history, ensure_ascii=False)  # the key stays out of the project
    # the whole list, then the end of the input: the key already holds both, nothing new
    res = run("pseudo", "review", "--no-ner", input="")
    assert res.exit_code == 0 and "Nothing accepted or rejected: the key is unchanged." in res.output
    assert "1 skipped as rejected before (--all shows them)" in res.output
