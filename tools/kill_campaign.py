"""Kill campaign: random ``kill -9`` during ``import``, ``autocode``, codebook revisions
and ``backups restore``.

Usage: python tools/kill_campaign.py CODE_DIR WORK_DIR [TRIALS] [SEED] [--watch] [--ops import,autocode,…]

``CODE_DIR`` is the checkout whose qualcode runs (put first on PYTHONPATH), so that two
versions can be compared. Each trial copies a coded project, starts a command, kills it
(SIGKILL) after a random delay biased towards the end of the command (where the codebook
file and the database are written), runs the next command (``qualcode docs``), and
classifies the project: in the state before the command, after it, or neither (codebook
and database disagree, part of an import or of an auto-coding saved); then runs the
command again. The state compared is the codebook file and, from the database, the
documents (name, length, turns), the codes with their codings (per status) and the
number of history rows. Prints the counts as JSON (per operation too).

Random delays rarely land in the few milliseconds between the codebook file and the
database. With ``--watch`` the kill is aimed there instead, without any hook in the
program: the campaign polls the file that the command replaces first (the codebook for a
revision, the database for a restore) and kills the command as soon as it changed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CODEBOOK = """\
title: Campaign
language: fr
unit: sentence
codes:
  - code: identity
    label: Identity
    definition: Identité.
    children:
      - code: mining_memory
        label: Mining memory
        definition: Mémoire de la mine.
        rules:
          - terms: [fosse, mineur, charbon]
      - code: stigma
        label: Stigma
        definition: Image négative.
        rules:
          - terms: [misère, honte]
      - code: pride
        label: Pride
        definition: Fierté.
        rules:
          - terms: [fierté, fier]
"""

INTERVIEW = """\
Enquêtrice : Parlez-moi de la fosse.
M. Caron : Mon père était mineur. Il descendait à la fosse tous les jours.
Enquêtrice : Et l'image du bassin ?
M. Caron : Avant c'était la misère, on avait honte. Je suis fier d'être d'ici.
"""

OPS = {
    "import": ("import", "batch_b"),
    "autocode": ("autocode",),
    "rename": ("codebook", "rename", "identity/stigma", "identity/shame"),
    "merge": ("codebook", "merge", "identity/pride", "--into", "identity/stigma"),
    "restore": ("backups", "restore", "@first"),
}


def qc(code: Path, root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=root, env=_env(code),
                          capture_output=True, text=True, timeout=300)


def _env(code: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUALCODE_TEST")}
    return env | {"PYTHONPATH": str(code), "QUALCODE_USER": "campaign"}


def _args(root: Path, op: str) -> list[str]:
    args = list(OPS[op])
    if "@first" in args:
        first = sorted((root / ".qualcode" / "backups").glob("*.json"))[0].stem
        args[args.index("@first")] = first
    return args


def state(code: Path, root: Path) -> tuple[str, tuple, tuple, int]:
    """(codebook text, the codes with codings per status, the documents, the number of
    history rows) — read with sqlite3 directly."""
    import sqlite3

    book = (root / "codebooks" / "c.yaml").read_text(encoding="utf-8")
    # not read-only: after a kill, SQLite may have to recover the write-ahead log first
    conn = sqlite3.connect(root / ".qualcode" / "project.db")
    try:
        rows = conn.execute("SELECT c.path, c.status, k.status, count(k.id) FROM codes c"
                            " LEFT JOIN codings k ON k.code_id = c.id"
                            " GROUP BY c.id, k.status HAVING count(k.id) > 0 ORDER BY 1, 3").fetchall()
        docs = conn.execute("SELECT d.name, length(d.text), (SELECT count(*) FROM turns t WHERE t.document_id = d.id)"
                            " FROM documents d ORDER BY 1").fetchall()
        history = conn.execute("SELECT count(*) FROM history").fetchone()[0]
    finally:
        conn.close()
    return book, tuple(rows), tuple(docs), history


def build(code: Path, base: Path) -> Path:
    root = base / "template"
    assert qc(code, base, "init", str(root)).returncode == 0
    (root / "codebooks").mkdir()
    (root / "codebooks" / "c.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "caron.txt").write_text(INTERVIEW, encoding="utf-8")
    # two batches of interviews: batch_a imported (not auto-coded: what 'autocode' does),
    # batch_b not (what 'import' does)
    for batch in ("batch_a", "batch_b"):
        (root / batch).mkdir()
        for i in range(BATCH):
            text = INTERVIEW.replace("M. Caron", f"M. Caron{batch[-1]}{i}") * 40
            (root / batch / f"{batch}_{i:02d}.txt").write_text(text, encoding="utf-8")
    for args in (["import", "caron.txt"], ["autocode"], ["codebook", "rename", "identity/pride", "identity/fierte"],
                 ["codebook", "rename", "identity/fierte", "identity/pride"], ["import", "batch_a"]):
        res = qc(code, root, *args)
        assert res.returncode == 0, (args, res.stderr)
    return root


BATCH = 12  # interviews per batch (~12 kB each)


def main() -> None:
    argv = list(sys.argv)
    ops = list(OPS)
    if "--ops" in argv:
        at = argv.index("--ops")
        ops = argv[at + 1].split(",")
        del argv[at:at + 2]
    code, work = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    trials = int(argv[3]) if len(argv) > 3 else 100
    watch = "--watch" in argv
    rnd = random.Random(int(argv[4]) if len(argv) > 4 and argv[4] != "--watch" else 16)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    template = build(code, work)
    expected: dict[str, tuple] = {}
    duration: dict[str, float] = {}
    for op in ops:
        root = work / f"ref-{op}"
        shutil.copytree(template, root)
        started = time.monotonic()
        res = qc(code, root, *_args(root, op))
        duration[op] = time.monotonic() - started
        assert res.returncode == 0, (op, res.stderr)
        expected[op] = state(code, root)
    before = state(code, template)
    counts = {"trials": 0, "killed": 0, "finished_before_kill": 0, "torn_by_the_kill": 0, "before_state": 0, "after_state": 0,
              "neither": 0, "next_command_failed": 0, "rerun_failed": 0, "internal_errors": 0,
              "leftover_files": 0}
    failures: list[dict] = []
    per_op: dict[str, dict[str, int]] = {op: {"trials": 0, "killed": 0, "before": 0, "after": 0, "neither": 0}
                                         for op in ops}
    for i in range(trials):
        op = rnd.choice(ops)
        root = work / f"t{i}"
        shutil.copytree(template, root)
        watched = root / ("codebooks/c.yaml" if op not in ("restore", "import", "autocode")
                          else ".qualcode/project.db")
        inode = watched.stat().st_ino
        proc = subprocess.Popen([sys.executable, "-m", "qualcode", *_args(root, op)], cwd=root, env=_env(code),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if watch and op not in ("import", "autocode"):  # (nothing to watch: the database grows in place)
            while proc.poll() is None:
                try:
                    if watched.stat().st_ino != inode:
                        break
                except FileNotFoundError:
                    break
        else:
            # import and autocode write all along their one transaction: anywhere in it;
            # revisions and restores write at their end
            low = 0.1 if op in ("import", "autocode") else 0.6
            time.sleep(rnd.uniform(low, 1.02) * duration[op])
        counts["trials"] += 1
        per_op[op]["trials"] += 1
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            counts["killed"] += 1
            per_op[op]["killed"] += 1
        else:
            counts["finished_before_kill"] += 1
        proc.wait()
        torn = state(code, root)
        counts["torn_by_the_kill"] += torn != before and torn != expected[op]
        nxt = qc(code, root, "docs")
        if nxt.returncode != 0:
            counts["next_command_failed"] += 1
        if "internal error" in nxt.stderr or "Traceback" in nxt.stderr:
            counts["internal_errors"] += 1
        now = state(code, root)
        kind = "before_state" if now == before else "after_state" if now == expected[op] else "neither"
        counts[kind] += 1
        per_op[op][kind.split("_")[0]] += 1
        hidden = [p.name for d in (root / ".qualcode", root / ".qualcode" / "backups", root / "codebooks")
                  for p in d.iterdir() if p.name.startswith(".") or p.name == "journal.json"]
        counts["leftover_files"] += bool(hidden)
        again = qc(code, root, *_args(root, op))
        ok = again.returncode == 0 or state(code, root) == expected[op]
        if not ok:
            counts["rerun_failed"] += 1
        if kind == "neither" or not ok or nxt.returncode != 0:
            failures.append({"trial": i, "op": op, "state": kind, "next": nxt.stderr.strip()[:200],
                             "rerun": again.stderr.strip()[:200], "leftovers": hidden})
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps({"code": str(code), "watch": watch, "counts": counts, "per_operation": per_op,
                      "durations": duration, "failures": failures[:10]}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
