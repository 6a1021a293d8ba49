#!/usr/bin/env python
"""Re-anchoring benchmark: codings mapped onto a corrected transcript (``import --replace``).

Usage (from the repository root)::

    python bench/reanchor.py [--chars N ...] [--codings K] [--seed S] [--json]

For each length N (default 20,000, 100,000 and 400,000 characters; one interview is
15,000-25,000), builds a transcript from the sample interviews (``transcripts_sample/*.txt``
repeated), K codings (default: one per 100 characters) of 20 to 400 characters, and a
realistic correction: a typo fixed every ~400 characters, a filler removed every ~1,500,
a sentence added every ~5,000, a paragraph deleted every ~10,000. Times
:func:`qualcode.reanchor.reanchor` (best of 3) and the near-duplicate test of the import
(:func:`qualcode.reanchor.similarity` of the two texts), and prints the outcome counts.

Target (2-core machine): re-anchoring a 100,000-character transcript with 1,000 codings
in under 1 s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode.reanchor import counts, reanchor, similarity  # noqa: E402


def corpus(chars: int) -> str:
    files = sorted((ROOT / "transcripts_sample").glob("*.txt"))
    parts = [p.read_bytes().decode("utf-8", errors="replace") for p in files]
    text = ""
    while len(text) < chars:
        text += "\n\n".join(parts)
    return text[:chars].rsplit("\n", 1)[0] + "\n"


def correct(text: str, rnd: random.Random) -> str:
    """A correction pass, from the end to the start so that positions stay valid."""
    edits = []
    n = len(text)
    for _ in range(n // 400):
        edits.append((rnd.randrange(n), "typo"))
    for _ in range(n // 1500):
        edits.append((rnd.randrange(n), "filler"))
    for _ in range(max(1, n // 5000)):
        edits.append((rnd.randrange(n), "add"))
    for _ in range(max(1, n // 10000)):
        edits.append((rnd.randrange(n), "delete"))
    for pos, kind in sorted(edits, reverse=True):
        if kind == "typo" and text[pos].isalpha():
            text = text[:pos] + rnd.choice("éèàeaiou") + text[pos + 1:]
        elif kind == "filler":
            at = text.find(" euh", pos)
            if at != -1:
                text = text[:at] + text[at + 4:]
        elif kind == "add":
            text = text[:pos] + " (inaudible) enfin je veux dire, c'était comme ça." + text[pos:]
        elif kind == "delete":
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            text = text[:start] + text[end + 1:] if end != -1 else text
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chars", type=int, nargs="+", default=[20_000, 100_000, 400_000])
    ap.add_argument("--codings", type=int, default=None, help="codings per text (default: one per 100 chars)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for n in args.chars:
        rnd = random.Random(args.seed)
        old = corpus(n)
        new = correct(old, rnd)
        k = args.codings or len(old) // 100
        spans = []
        for i in range(k):
            a = rnd.randrange(len(old) - 20)
            spans.append((i, a, min(len(old), a + rnd.randint(20, 400))))
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            placed = reanchor(old, new, spans)
            best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        alike = similarity(old, new)
        dup = time.perf_counter() - t0
        rows.append({"chars": len(old), "codings": k, "seconds": round(best, 3), "duplicate_check_s": round(dup, 3),
                     "similarity": round(alike, 1), **counts(placed)})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'chars':>8} {'codings':>8} {'reanchor s':>10} {'dup s':>6} {'kept':>6} {'moved':>6} {'changed':>8}"
          f" {'orphaned':>8}  similarity")
    for r in rows:
        print(f"{r['chars']:>8} {r['codings']:>8} {r['seconds']:>10} {r['duplicate_check_s']:>6} {r['kept']:>6}"
              f" {r['moved']:>6} {r['changed']:>8} {r['orphaned']:>8}  {r['similarity']} %")
    ok = all(r["seconds"] <= 1.0 for r in rows if r["chars"] <= 100_000)
    print(f"target (100,000 characters, 1,000 codings, <= 1 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
