"""User data cannot act on the terminal (issue 16, D10).

A transcript whose file name holds an emoji shortcode and an OSC sequence, whose text and
speaker label hold escape sequences, a C1 CSI and bidi overrides, coded by a coder whose
name holds them too: every command that shows them, run with a console that believes it
is a terminal (FORCE_COLOR), prints them as visible escapes (``\\x1b``), never raw, and
leaves ``:smile:`` as it is. --json keeps the data (as JSON escapes)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from helpers import Runner, write
from rich.text import Text

from qualcode.project import Project

OSC = "\x1b]0;pwned\x07"   # sets the window title
CLEAR = "\x1b[2J"          # clears the screen
C1_CSI = "\x9b31m"         # CSI as one C1 character
RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"

NAME = f"entretien:smile:{OSC}"  # the document's name: its file's stem
SPEAKER = f"Marie{OSC}{RLO}"
CODER = f"léa{CLEAR}{RLO}"
USER = f"cam{CLEAR}ille"
VTT = (
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:04.000\n"
    f"<v {SPEAKER}>Le musée de la fosse {CLEAR} on y descendait {OSC}.</v>\n\n"
    "00:00:05.000 --> 00:00:08.000\n"
    f"<v Paul>Et la mine {C1_CSI} {LRI}aussi{PDI}, la fosse.</v>\n\n"
    "00:00:09.000 --> 00:00:30.000\n"
    "<v Paul>Une longue réponse, pour que le fichier soit du texte et non un binaire : "
    "les quelques caractères de contrôle y restent rares, comme dans un vrai entretien "
    "où un copier-coller en aurait laissé passer un ou deux sans que personne ne le voie.</v>\n"
)
CODEBOOK = """\
title: Test
language: fr
codes:
  - code: identity
    label: Identity
    color: "#d62728"
"""

# What a terminal would act on: C0 controls but tab and newline, DEL, C1, bidi overrides.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours and styles
TERMINAL = {"FORCE_COLOR": "1", "NO_COLOR": None, "TTY_COMPATIBLE": "1"}


def assert_safe(text: str) -> None:
    rest = SGR.sub("", text)  # the user's CLEAR is not a colour: it stays in `rest` if raw
    assert not UNSAFE.findall(rest), f"raw control characters reach the terminal: {rest!r}"
    assert "😄" not in text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("terminal")
    Project.init(root / "proj", language="fr").close()
    write(root / "proj" / "codebooks" / "test.yaml", CODEBOOK)
    src = write(root / "src" / f"{NAME}.vtt", VTT)
    run = Runner(root / "proj", env={**TERMINAL, "QUALCODE_USER": USER})
    imported = run("import", src)
    # The import replaces C0 and C1 controls by U+FFFD, one for one (D2); a project
    # imported before that, or text written through the Python API, may still hold them:
    # put them back, so that what is tested here is the terminal layer.
    with sqlite3.connect(root / "proj" / ".qualcode" / "project.db") as db:
        for raw in (OSC, CLEAR, C1_CSI):
            replaced = "".join("\ufffd" if UNSAFE.match(ch) and ch not in RLO + LRI + PDI else ch for ch in raw)
            db.execute("UPDATE documents SET text = replace(text, ?, ?)", (replaced, raw))
            db.execute("UPDATE speakers SET label = replace(label, ?, ?)", (replaced, raw))
    coded = Runner(root / "proj", env={**TERMINAL, "QUALCODE_USER": CODER})("code", NAME, "identity", "--turn", "1")
    memo = run("memo", "add", "--doc", NAME, f"à relire {CLEAR}{RLO}")
    for res in (imported, coded, memo):
        assert res.exit_code == 0, res.output
    runner = Runner(root / "proj", env=TERMINAL)
    runner.setup = [imported, coded, memo]  # type: ignore[attr-defined]
    return runner


def test_messages_of_the_commands_that_store_it(hostile):
    imported, coded, memo = hostile.setup
    # the import's own message shows the label as stored by the import (controls replaced)
    assert ":smile:" in imported.output and "Marie\ufffd]0;pwned\ufffd\\u202e" in imported.output
    for res in (imported, coded, memo):
        assert_safe(res.output)


@pytest.mark.parametrize("args, shown", [
    (["docs"], ["entretien:smile:\\x1b]0;pwned\\x07", "Marie\\x1b]0;pwned\\x07\\u202e"]),
    (["show", NAME], ["entretien:smile:", "\\x1b[2J", "\\x9b31m", "\\u2066aussi\\u2069"]),
    (["codings"], ["léa\\x1b[2J\\u202e", "entretien:smile:"]),
    (["kwic", "fosse"], ["entretien:smile:", "\\x1b[2J"]),
    (["speakers", NAME], ["Marie\\x1b]0;pwned\\x07\\u202e"]),
    (["history"], ["cam\\x1b[2Jille"]),
    (["memo", "list"], ["\\x1b[2J\\u202e", "entretien:smile:"]),
])
def test_user_data_is_shown_escaped_on_a_terminal(hostile, args, shown):
    res = hostile(*args)
    assert res.exit_code == 0, res.output
    assert SGR.search(res.output), "the console should believe it is a terminal"
    assert_safe(res.output)
    for piece in shown:
        assert piece in SGR.sub("", res.output), (piece, res.output)


def test_error_messages_are_escaped(hostile):
    # did-you-mean names the stored document: user data inside a QualcodeError's message
    res = hostile("show", "entretien:smile:x")
    assert res.exit_code == 1
    assert "entretien:smile:" in res.stderr and "\\x1b]0;pwned\\x07" in res.stderr
    assert_safe(res.output)
    res = hostile("import", f"absent{CLEAR}{RLO}:smile:.txt")
    assert res.exit_code != 0
    assert "absent\\x1b[2J\\u202e:smile:" in res.stderr, res.stderr
    assert_safe(res.output)


def test_json_keeps_the_data(hostile):
    res = hostile("speakers", NAME, "--json")
    assert res.exit_code == 0, res.output
    assert not UNSAFE.search(res.stdout)  # written as \\u escapes, as json.dumps writes ESC
    labels = [s["label"] for s in json.loads(res.stdout)["speakers"]]
    assert SPEAKER in labels
    text = json.loads(hostile("codings", "--json").stdout)
    assert any(c["coder"] == CODER for c in text)


def test_markup_in_names_is_printed_as_it_is(tmp_path):
    Project.init(tmp_path / "proj", language="fr").close()
    run = Runner(tmp_path / "proj", env=TERMINAL)
    src = write(tmp_path / "[bold]notes[-].txt", "Enquêtrice : Bonjour.\nM. Caron : Bonjour [/] !\n")
    res = run("import", src)
    assert res.exit_code == 0, res.output
    assert "[bold]notes[-]" in res.output
    res = run("docs")
    assert res.exit_code == 0, res.output
    assert "[bold]notes[-]" in res.output
    res = run("show", "[bold]notes[-]")
    assert res.exit_code == 0, res.output
    assert "Bonjour [/] !" in SGR.sub("", res.output)


def test_the_one_function():
    from qualcode.cli._terminal import json_safe, safe_text, terminal_safe  # here: the tests above also run on old code
    assert terminal_safe(f"a{OSC}b\tc\n") == "a\\x1b]0;pwned\\x07b\tc\n"
    assert terminal_safe(f"{C1_CSI}{RLO}\x7f") == "\\x9b31m\\u202e\\x7f"
    assert terminal_safe("entretien:smile:.txt") == "entretien:smile:.txt"
    text = Text("ab") + Text(f"c{CLEAR}d", style="red") + Text("e")
    safe = safe_text(text)
    assert safe.plain == "abc\\x1b[2Jde"
    assert [(s.start, s.end, str(s.style)) for s in safe.spans] == [(2, 11, "red")]
    assert json.loads(json_safe(json.dumps(f"x{C1_CSI}{RLO}\x7f", ensure_ascii=False))) == f"x{C1_CSI}{RLO}\x7f"
