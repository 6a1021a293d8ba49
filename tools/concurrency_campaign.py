"""Concurrency campaign: commands started together on one project (issue 16, D7/D8).

Usage: python tools/concurrency_campaign.py WORK_DIR [ROUNDS] [SEED] [BUSY_TIMEOUT]

Each round starts 2 or 3 commands at once (real processes) among: ``import`` of a new
interview, ``import`` of a batch of 30 (one transaction of a few seconds), ``code`` by a coder of its own, ``autocode``, ``codebook rename`` (there and
back), ``memo add``, ``docs`` and ``codings`` (readers), with ``QUALCODE_BUSY_TIMEOUT``
short (default 2 s) so that some must give up. Counts the outcomes: success, the busy
message (one line naming the command that holds the project), other errors, internal
errors or tracebacks, raw ``database is locked``; and checks after each round that every
write reported done is in the project (no lost write), that every coding's text is the
document's text at its offsets, and that the codebook file and the database's codes
agree. Prints the counts as JSON.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = """\
title: Campaign
language: fr
codes:
  - code: mine
    rules:
      - terms: [fosse, mineur]
  - code: stigma
    rules:
      - terms: [honte, misère]
"""
INTERVIEW = ("Enquêtrice : Parlez-moi de la fosse.\nM. Caron : Mon père était mineur, à la fosse.\n"
             "Enquêtrice : Et l'image ?\nM. Caron : Avant c'était la misère, on avait honte.\n")
BUSY = re.compile(r"^error: the project is busy: ('qualcode [^']+' \(pid \d+, since [^)]+\)|another qualcode command)"
                  r" is writing to it \(waited [\d.]+ s\); try again when it has finished$")


REVISED = "changed while it was being revised (another command or an editor); nothing was changed: run the command again"


def env(timeout: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("QUALCODE_")}
    return out | {"PYTHONPATH": str(ROOT), "QUALCODE_USER": "campaign", "QUALCODE_BUSY_TIMEOUT": timeout}


def rows(root: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(root / ".qualcode" / "project.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def main() -> None:
    work = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 16)
    timeout = sys.argv[4] if len(sys.argv) > 4 else "2"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    root = work / "proj"
    e = env(timeout)

    def qc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=root, env=e, capture_output=True,
                              text=True, timeout=600)

    assert subprocess.run([sys.executable, "-m", "qualcode", "init", str(root)], env=e).returncode == 0
    (root / "codebooks").mkdir()
    (root / "codebooks" / "c.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "src").mkdir()
    (root / "src" / "e0.txt").write_text(INTERVIEW, encoding="utf-8")
    for args in (["import", "src/e0.txt"], ["autocode"]):
        assert qc(*args).returncode == 0
    counts: Counter[str] = Counter()
    failures: list[dict] = []
    renamed = False
    serial = 0
    for r in range(rounds):
        ops = []
        for _ in range(rnd.choice((2, 2, 3))):
            serial += 1
            kind = rnd.choice(["import", "bigimport", "code", "autocode", "rename", "memo", "docs", "codings"])
            if kind == "bigimport":  # one transaction of several seconds: the others must wait for it
                folder = root / "src" / f"batch{serial}"
                folder.mkdir()
                for i in range(30):
                    (folder / f"b{serial}_{i}.txt").write_text(INTERVIEW.replace("Caron", f"Caron{serial}x{i}") * 40,
                                                               encoding="utf-8")
                ops.append((kind, ["import", str(folder)], f"b{serial}_29"))
            elif kind == "import":
                f = root / "src" / f"e{serial}.txt"
                f.write_text(INTERVIEW.replace("Caron", f"Caron{serial}"), encoding="utf-8")
                ops.append((kind, ["import", str(f)], f"e{serial}"))
            elif kind == "code":
                ops.append((kind, ["code", "e0", "mine", "--turn", "2", "--coder", f"c{serial}"], f"c{serial}"))
            elif kind == "rename":
                old, new = ("stigma", "shame") if not renamed else ("shame", "stigma")
                ops.append((kind, ["codebook", "rename", old, new], new))
            elif kind == "memo":
                ops.append((kind, ["memo", "add", f"memo {serial}", "--doc", "e0"], f"memo {serial}"))
            else:
                ops.append((kind, [kind] if kind != "docs" else ["docs"], None))
        procs = [(kind, args, key, subprocess.Popen([sys.executable, "-m", "qualcode", *args], cwd=root, env=e,
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
                 for kind, args, key in ops]
        for kind, args, key, proc in procs:
            _out, err = proc.communicate(timeout=600)
            counts["commands"] += 1
            lines = [ln for ln in err.strip().splitlines() if ln.startswith("error: ")]
            if proc.returncode == 0:
                counts["ok"] += 1
                lost = False
                if kind in ("import", "bigimport"):
                    lost = not rows(root, "SELECT 1 FROM documents WHERE name = ?", (key,))
                elif kind == "code":
                    lost = not rows(root, "SELECT 1 FROM codings WHERE coder = ?", (key,))
                elif kind == "memo":
                    lost = not rows(root, "SELECT 1 FROM memos WHERE text = ?", (key,))
                elif kind == "rename":
                    renamed = key == "shame"
                if lost:
                    counts["lost_writes"] += 1
                    failures.append({"round": r, "command": args, "problem": "reported done, not in the project"})
            elif "Traceback" in err or "internal error" in err:
                counts["internal_errors"] += 1
                failures.append({"round": r, "command": args, "stderr": err[-300:]})
            elif "database is locked" in err:
                counts["raw_locked"] += 1
                failures.append({"round": r, "command": args, "stderr": err[-300:]})
            elif len(lines) == 1 and BUSY.match(lines[0]):
                counts["busy_message"] += 1
                counts["busy_names_the_command"] += "'qualcode " in lines[0]
            elif len(lines) == 1 and lines[0].endswith(REVISED):  # two revisions at once: one gives way
                counts["codebook_changed_message"] += 1
            else:
                counts["other_errors"] += 1
                failures.append({"round": r, "command": args, "stderr": err[-300:]})
        bad = [t for t, d, s, k in rows(root, 'SELECT k.text, d.text, k.start, k."end" FROM codings k'
                                              " JOIN documents d ON d.id = k.document_id") if d[s:k] != t]
        counts["offset_violations"] += len(bad)
        book = (root / "codebooks" / "c.yaml").read_text(encoding="utf-8")
        in_book = {"stigma" if "code: stigma" in book else "shame"}
        active = {p for (p,) in rows(root, "SELECT path FROM codes WHERE status = 'active'")} - {"mine"}
        if active != in_book:
            counts["codebook_db_disagree"] += 1
            failures.append({"round": r, "problem": f"codebook {in_book} vs database {active}"})
        counts["rounds"] += 1
    print(json.dumps({"busy_timeout": timeout, "counts": dict(counts), "failures": failures[:10]}, indent=1,
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
