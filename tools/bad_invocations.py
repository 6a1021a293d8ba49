"""Bad command lines, tried on every command: counts tracebacks, internal errors, hangs and
errors that do not name the file they are about (issue 16).

Usage: python tools/bad_invocations.py WORK_DIR [--json]

Builds a small coded project in ``WORK_DIR`` (one interview, a codebook, auto-coding,
two coders), then walks the command tree of ``qualcode`` (every command and sub-command)
and runs, in-process (typer's CliRunner, empty standard input, 20 s alarm each):

- the command with no argument, and with an unknown option;
- each positional argument given a missing file, a folder, an empty string, a FIFO,
  ``10^20`` and ``-1``;
- each option that takes a value given a missing file, a folder, an empty string, a
  bogus word, ``10^20``, ``-1`` and a FIFO;
- each command with ``--project`` pointing to a missing folder.

An outcome is: ``ok`` (exit 0), ``error`` (exit 1 or 2 with one ``error:`` line or a
usage box), ``traceback``, ``internal`` (``internal error:``), ``hang`` (the alarm),
``unnamed`` (a file or folder was given, the command failed with an ``error:`` line,
and that line names neither the path nor the option). Prints the counts and each bad
outcome. The project is copied afresh for each command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import typing
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CODEBOOK = """\
title: Campaign
language: fr
codes:
  - code: mine
    label: Mine
    rules:
      - terms: [fosse, mineur]
  - code: honte
    rules:
      - terms: [honte]
"""
INTERVIEW = ("Enquêtrice : Parlez-moi de la fosse.\nM. Caron : Mon père était mineur, à la fosse.\n"
             "Enquêtrice : Et l'image ?\nM. Caron : Avant c'était la misère, on avait honte.\n")


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def build(work: Path) -> Path:
    from typer.testing import CliRunner

    from qualcode.cli import app

    root = work / "template"
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    (root / "codebooks").mkdir()
    (root / "codebooks" / "c.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "caron.txt").write_text(INTERVIEW, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for args in (["import", "caron.txt"], ["autocode"]):
            res = runner.invoke(app, args)
            assert res.exit_code == 0, (args, res.output)
    finally:
        os.chdir(cwd)
    return root


def commands():
    import typer

    from qualcode.cli import COMMANDS, app

    group = typer.main.get_command(app)
    ctx = type(group).context_class(group)
    out = []

    def walk(cmd, words):
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*words, name])
        else:
            out.append((words, cmd))

    for name in COMMANDS:
        walk(group.get_command(ctx, name), [name])
    return out


def _takes_value(param) -> bool:
    ann = param.type_descriptor.annotation
    return not (ann is bool or bool in typing.get_args(ann)) and not getattr(param, "is_flag", False)


def invocations(words: list[str], cmd, work: Path) -> list[tuple[list[str], str | None]]:
    """(argv, the path given or None)."""
    missing, folder, fifo = str(work / "absent" / "x.txt"), str(work / "a-folder"), str(work / "a-fifo")
    values = [(missing, missing), (folder, folder), ("", None), ("zzz", None), ("1" + "0" * 20, None),
              ("-1", None), (fifo, fifo)]
    out: list[tuple[list[str], str | None]] = [(words, None), ([*words, "--no-such-option"], None),
                                               ([*words, "--project", missing], missing)]
    arguments = [p for p in cmd.params if not (p.opts and p.opts[0].startswith("-"))]
    for i, _arg in enumerate(arguments):
        for value, path in values:
            filler = ["x"] * i
            out.append(([*words, *filler, value], path))
    for param in cmd.params:
        if param.opts and param.opts[0].startswith("-") and _takes_value(param) and param.opts[0] != "--project":
            for value, path in values:
                out.append(([*words, *(["x"] * len(arguments)), param.opts[0], value], path))
    return out


def classify(res, argv: list[str], path: str | None, option: str | None) -> str:
    if isinstance(res, str):
        return res
    text = res.output
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        return "traceback"
    if "Traceback" in text:
        return "traceback"
    if "internal error" in text:
        return "internal"
    if res.exit_code == 0:
        return "ok"
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error: ")]
    if path is not None and errors:
        # an error about a file (not an earlier argument refused first) must name it
        about_a_file = any(word in ln.lower() for ln in errors for word in FILE_WORDS)
        others = [a for a in argv if a and a != path and not a.startswith("-")]
        named = any(path in ln or Path(path).name in ln or (option and option in ln)
                    or any(re.search(rf"(^|[\s/']){re.escape(a)}($|[\s:'])", ln[7:]) for a in others)
                    for ln in errors)
        if about_a_file and not named:
            return "unnamed"
    return "error"


FILE_WORDS = ("no such file", "not a regular file", "folder", "directory", "cannot read", "cannot write",
              "permission", "fifo", "device", "does not exist", "no such project", "already exists")


def main() -> None:
    work = Path(sys.argv[1]).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "a-folder").mkdir()
    os.mkfifo(work / "a-fifo")
    from typer.testing import CliRunner

    from qualcode.cli import app

    template = build(work)
    runner = CliRunner()
    counts: Counter[str] = Counter()
    bad: list[dict] = []
    signal.signal(signal.SIGALRM, _alarm)
    os.environ.update({"QUALCODE_USER": "campaign", "COLUMNS": "200", "NO_COLOR": "1"})
    os.environ.pop("QUALCODE_DEBUG", None)
    for words, cmd in commands():
        root = work / "p"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(template, root)
        os.chdir(root)
        for argv, path in invocations(words, cmd, work):
            if words[0] == "demo" and path is None:  # would build a whole demo project: bad paths only
                continue
            signal.alarm(20)
            try:
                res = runner.invoke(app, argv, input="")
            except Hang:
                res = "hang"
            finally:
                signal.alarm(0)
            option = next((a for a in argv if a.startswith("--")), None)
            kind = classify(res, argv, path, option)
            counts[kind] += 1
            if kind not in ("ok", "error"):
                out = res if isinstance(res, str) else (res.stderr.strip() or res.output.strip())
                bad.append({"argv": argv, "outcome": kind, "output": out[-300:]})
        os.chdir(work)
    report = {"invocations": sum(counts.values()), "commands": len(commands()), "counts": dict(counts),
              "bad": bad}
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
