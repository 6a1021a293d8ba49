#!/usr/bin/env python
"""qualcode scaling benchmark: every command at several project sizes, exponents, peak memory.

Usage (from the repository root)::

    python bench/scaling.py [--sizes 100000,300000,1000000,3000000] [--words-per-doc W]
                            [--root DIR] [--repeat R] [--only NAME;...] [--skip WORD;...] [--timeout S]
                            [--rebuild-measure] [--import-only] [--json]

What it does
------------
1. For each size N (words), builds (once: kept in ``--root``, default
   ``/tmp/qualcode-scaling``, and reused by later runs) the project of
   ``bench/latency.py`` at that size: the synthetic corpus of ``bench/bench.py``
   (real sentences of ``transcripts_sample/``, fixed seed) in N / W interviews of W words
   (default 10,000: about an hour of interview, so that a larger project has more
   interviews of the same length, as in real life), two groups of cases, the sample
   codebook ``codebooks/bassin_minier.yaml``, and a second coder ``camille``. While
   building, ``qualcode import`` and the first ``qualcode autocode`` (annotation of every
   turn + rule coding) are measured: import + annotation end to end, in words/s.
2. Then each command runs R times (default 3, after a warm-up run; once from 1M words
   up) as a separate process on that project, output to a file: CPU seconds (user + system of the process
   tree, from ``wait4``), wall seconds, the largest process's peak RSS (``ru_maxrss`` from
   ``wait4``) and the peak of the *sum* of RSS over the whole process tree, sampled every
   20 ms from ``/proc`` (and of PSS, which counts the pages a forked worker shares with
   its parent once, sampled every 0.5 s). ``autocode`` after a terms edit runs on a copy
   of the project's database, put back after each run.
3. Fits, for each command, the exponent b of ``CPU ≈ a·N^b`` (least squares on log-log
   over all sizes) and the local exponent between the two largest sizes (the fixed
   start-up cost, ~0.2–3 s, flattens the first; the second says whether the command
   stays linear where it matters). A command is linear or better when the local exponent
   is ≤ 1.1 (noise on a shared machine).

``--only`` takes command names (see COMMANDS; ``import`` for the two build rows),
separated by ``;``, to measure some of them; ``--skip`` words of the names of those to
leave out (``--skip export``); ``--timeout S`` stops a command after S seconds of wall time
(recorded as a lower bound, ``>S``). The projects are built once, by the code checked
out then: ``--rebuild-measure`` measures import + first autocode again with this
checkout, in a fresh project ``DIR/wN/again`` on the kept corpus (kept, to compare its
codings and annotations with the first build's).

``--import-only`` measures ``qualcode import`` alone (into a fresh project, ``--repeat``
times at every size, the median run kept) and its exponents, on the kept corpora.

Usage for a before/after comparison: run it from a copy of the older code
(``git archive OLD | tar -x -C /tmp/old``, ``PYTHONPATH=/tmp/old``), then from this
checkout with ``--rebuild-measure``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import latency  # noqa: E402  (the project layout, the second coder, the codebook edits)

import bench  # noqa: E402  (the corpus generator)

DEFAULT_SIZES = (100_000, 300_000, 1_000_000, 3_000_000)
CODEBOOK = REPO / "codebooks" / "bassin_minier.yaml"

# (name, arguments after `qualcode`); {doc}: the first document, {out}: a work folder
COMMANDS: list[tuple[str, list[str]]] = [
    ("autocode (unchanged codebook)", ["autocode", "--json"]),
    ("autocode after a terms edit", ["autocode", "--codebook", "{edit}", "--json"]),
    ("codings --code identity", ["codings", "--code", "identity"]),
    ("codings --code identity --json", ["codings", "--code", "identity", "--json"]),
    ("report freq --by group", ["report", "freq", "--by", "group"]),
    ("report cooccurrence", ["report", "cooccurrence"]),
    ("kwic mineur", ["kwic", "mineur"]),
    ("agreement --coders rules,camille", ["agreement", "--coders", "rules,camille"]),
    ("docs", ["docs"]),
    ("show DOC", ["show", "{doc}"]),
    ("export excerpts -o x.docx", ["export", "excerpts", "-o", "{out}/x.docx", "--force"]),
]


def log(msg: str) -> None:
    print(f"[scaling {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def qualcode_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "qualcode", *args]


# --------------------------------------------------------------------------- measuring


class TreeSampler(threading.Thread):
    """Peak of the sum of RSS (every ``interval`` s) and of PSS (every ``pss_every``
    samples) over a process and all its descendants, read from /proc."""

    def __init__(self, pid: int, interval: float = 0.02, pss_every: int = 25):
        super().__init__(daemon=True)
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.stop_event = threading.Event()
        self.peak_rss = self.peak_pss = self.max_procs = 0
        self._n = 0

    def _tree(self) -> list[int]:
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            with suppress(OSError):
                for task in os.listdir(f"/proc/{p}/task"):
                    with suppress(OSError), open(f"/proc/{p}/task/{task}/children") as fh:
                        todo += [int(x) for x in fh.read().split()]
        return out

    @staticmethod
    def _field(path: str, name: str) -> int:
        with suppress(OSError, ValueError), open(path) as fh:
            for line in fh:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
        return 0

    def sample(self) -> None:
        self._n += 1
        pids = self._tree()
        self.max_procs = max(self.max_procs, len(pids))
        self.peak_rss = max(self.peak_rss, sum(self._field(f"/proc/{p}/status", "VmRSS:") for p in pids))
        if self._n % self.pss_every == 1:
            self.peak_pss = max(self.peak_pss, sum(self._field(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def run_measured(argv: list[str], cwd: Path, env: dict, out: Path, timeout: float | None = None) -> dict:
    """One process: CPU s (tree, from wait4), wall s, largest process's ru_maxrss, sampled
    peak sum of RSS / PSS over the tree, exit code (None: stopped at the timeout)."""
    with out.open("wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = None
        timed_out = threading.Event()
        if timeout:
            def kill() -> None:
                timed_out.set()
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
            timer = threading.Timer(timeout, kill)
            timer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if timer:
            timer.cancel()
        sampler.stop()
    rc = None if timed_out.is_set() else os.waitstatus_to_exitcode(status)
    return {"cpu_s": ru.ru_utime + ru.ru_stime, "wall_s": wall, "maxrss_bytes": ru.ru_maxrss * 1024,
            "tree_rss_bytes": sampler.peak_rss, "tree_pss_bytes": sampler.peak_pss,
            "processes": sampler.max_procs, "rc": rc}


def env_for(project: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"NO_COLOR": "1", "QUALCODE_PROJECT": str(project), "COLUMNS": "120",
                "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", "")})
    return env


# --------------------------------------------------------------------------- building


def build(root: Path, n_words: int, n_docs: int, seed: int) -> dict:
    """Corpus, project, import and first autocode measured, cases, codebook, second coder."""
    if (root / "info.json").exists():
        return json.loads((root / "info.json").read_text())
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    log(f"{n_words:,} words: corpus of {n_docs} interviews")
    corpus = root / "corpus"
    info = bench.build_corpus(corpus, n_words, n_docs, seed)
    project = root / "project"
    project.mkdir()
    env = env_for(project)
    latency.check(qualcode_cmd("init", str(project), "--name", f"scaling {n_words}"), REPO, env)
    docs = sorted(p.stem for p in corpus.glob("*.txt"))
    cases = root / "participants.csv"
    rows = ["case;document;group"] + [f"P{k:04d};{d};{latency.GROUPS[k % 2]}" for k, d in enumerate(docs, 1)]
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    (project / "codebooks").mkdir(exist_ok=True)
    shutil.copyfile(CODEBOOK, project / "codebooks" / "codebook.yaml")
    work = root / "work"
    work.mkdir()
    measured = {}
    for name, args in (("import", ["import", str(corpus)]), ("autocode (first: annotation + coding)", ["autocode"])):
        log(f"{n_words:,} words: {name}")
        r = run_measured(qualcode_cmd(*args), project, env, work / "build.txt")
        if r["rc"] != 0:
            raise SystemExit(f"{name} failed:\n{(work / 'build.txt').read_text()[-3000:]}")
        measured[name] = r
        log(f"  {r['cpu_s']:.1f} CPU s, {r['wall_s']:.1f} s wall, tree RSS {r['tree_rss_bytes'] / 2**20:,.0f} MiB")
        if name == "import":
            latency.check(qualcode_cmd("cases", "import", str(cases)), project, env)
    latency.add_second_coder(project, seed)
    info.update({"project": str(project), "first_document": docs[0], "build": measured})
    (root / "info.json").write_text(json.dumps(info, indent=2))
    return info


def measure_build_again(root: Path, info: dict) -> dict:
    """Import + first autocode again, in a fresh project next to the kept one (the corpus
    is kept): to compare two versions of the code (their figures, and the codings and
    annotations they wrote)."""
    project = root / "again"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    env = env_for(project)
    latency.check(qualcode_cmd("init", str(project), "--name", "again"), REPO, env)
    (project / "codebooks").mkdir()
    shutil.copyfile(CODEBOOK, project / "codebooks" / "codebook.yaml")
    measured = {}
    for name, args in (("import", ["import", str(root / "corpus")]),
                       ("autocode (first: annotation + coding)", ["autocode"])):
        r = run_measured(qualcode_cmd(*args), project, env, root / "work" / "build.txt")
        if r["rc"] != 0:
            raise SystemExit(f"{name} failed:\n{(root / 'work' / 'build.txt').read_text()[-3000:]}")
        measured[name] = r
        log(f"  again {name}: {r['cpu_s']:.1f} CPU s, {r['wall_s']:.1f} s wall, "
            f"tree RSS {r['tree_rss_bytes'] / 2**20:,.0f} MiB, PSS {r['tree_pss_bytes'] / 2**20:,.0f} MiB")
    return measured  # the project is kept (DIR/wN/again), to compare its codings with the first build's


def measure_import(root: Path, repeat: int) -> dict:
    """``qualcode import`` of the kept corpus into a fresh, empty project, ``repeat`` times
    (the median CPU is the figure): the import alone, its near-duplicate check included."""
    runs = []
    for k in range(repeat):
        project = root / "import-only"
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir()
        env = env_for(project)
        latency.check(qualcode_cmd("init", str(project), "--name", "import-only"), REPO, env)
        r = run_measured(qualcode_cmd("import", str(root / "corpus")), project, env, root / "work" / "import-only.txt")
        if r["rc"] != 0:
            raise SystemExit(f"import failed:\n{(root / 'work' / 'import-only.txt').read_text()[-3000:]}")
        runs.append(r)
        log(f"  import only, run {k + 1}: {r['cpu_s']:.2f} CPU s, {r['wall_s']:.2f} s wall")
    shutil.rmtree(root / "import-only", ignore_errors=True)
    best = sorted(runs, key=lambda r: r["cpu_s"])[len(runs) // 2]  # the median run
    return {**best, "cpu_runs": [r["cpu_s"] for r in runs]}


# --------------------------------------------------------------------------- commands


def measure_size(root: Path, info: dict, repeat: int, only: set[str] | None, timeout: float | None) -> dict:
    project = Path(info["project"])
    env = env_for(project)
    work = root / "work"
    work.mkdir(exist_ok=True)
    edit = latency.edited_codebooks(project / "codebooks" / "codebook.yaml", work, 1)[0]  # a term removed
    out: dict[str, dict] = {}
    for name, args in COMMANDS:
        if only and name not in only:
            continue
        argv = qualcode_cmd(*(a.format(doc=info["first_document"], out=work, edit=edit) for a in args))
        restore = "edit" in name
        saved = work / "qualcode.saved"
        if restore:
            shutil.rmtree(saved, ignore_errors=True)
            shutil.copytree(project / ".qualcode", saved)
        runs = []
        try:
            warm = 0 if restore or repeat == 1 else 1
            for k in range(repeat + warm):  # first run: warm-up (bytecode, page cache)
                r = run_measured(argv, project, env, work / "out.txt", timeout)
                if r["rc"] not in (0, None):
                    tail = (work / "out.txt").read_text(errors="replace")[-2000:]
                    raise SystemExit(f"{name}: exit {r['rc']}\n{tail}")
                if restore:
                    shutil.rmtree(project / ".qualcode")
                    shutil.copytree(saved, project / ".qualcode")
                if k >= warm:
                    runs.append(r)
                if r["rc"] is None:  # timed out: no point in repeating
                    runs = [r]
                    break
        finally:
            if restore:
                shutil.rmtree(saved, ignore_errors=True)
        res = {"cpu_s": statistics.median(r["cpu_s"] for r in runs),
               "wall_s": statistics.median(r["wall_s"] for r in runs),
               "maxrss_bytes": max(r["maxrss_bytes"] for r in runs),
               "tree_rss_bytes": max(r["tree_rss_bytes"] for r in runs),
               "tree_pss_bytes": max(r["tree_pss_bytes"] for r in runs),
               "timed_out": any(r["rc"] is None for r in runs), "runs": len(runs)}
        out[name] = res
        log(f"{info['words']:,} words, {name}: {res['cpu_s']:.2f} CPU s, {res['wall_s']:.2f} s wall, "
            f"tree RSS {res['tree_rss_bytes'] / 2**20:,.0f} MiB" + (" (TIMED OUT)" if res["timed_out"] else ""))
    return out


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(y) on log(x)."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def exponents(sizes: list[int], table: dict[int, dict[str, dict]]) -> dict[str, dict]:
    names = []
    for n in sizes:
        names += [k for k in table[n] if k not in names]
    out = {}
    for name in names:
        # a run stopped at the timeout gives a lower bound only: left out of the fit
        done = [n for n in sizes if name in table[n] and not table[n][name].get("timed_out")]
        pts = [(n, table[n][name]["cpu_s"]) for n in done]
        mem = [(n, table[n][name]["tree_rss_bytes"]) for n in done]
        out[name] = {"cpu_exponent": slope(pts), "cpu_local_exponent": slope(pts[-2:]) if len(pts) > 1 else None,
                     "memory_local_exponent": slope(mem[-2:]) if len(mem) > 1 else None}
    return out


def _fe(v: float | None) -> str:
    return "" if v is None else f"{v:.2f}"


def render(sizes: list[int], infos: dict[int, dict], table: dict[int, dict[str, dict]], exps: dict) -> str:
    mib = 2 ** 20
    lines = ["CPU s (wall s) [peak RSS of the process tree, MiB] per size; exponent of CPU over all sizes, "
             "and between the two largest", ""]
    head = f"{'command':<40}" + "".join(f"{f'{n / 1e6:g}M words':>26}" for n in sizes) + f"{'exp':>7}{'local':>7}"
    lines += [head, "-" * len(head)]
    for name, e in exps.items():
        cells = ""
        for n in sizes:
            r = table[n].get(name)
            cell = "" if r is None else (f"{'>' if r.get('timed_out') else ''}{r['cpu_s']:.2f} ({r['wall_s']:.1f}) "
                                         f"[{r['tree_rss_bytes'] / mib:,.0f}]")
            cells += f"{cell:>26}"
        lines.append(f"{name:<40}{cells}{_fe(e['cpu_exponent']):>7}{_fe(e['cpu_local_exponent']):>7}")
    lines.append("")
    for n in sizes:
        b = table[n]
        if "import" in b and "autocode (first: annotation + coding)" in b:
            wall = b["import"]["wall_s"] + b["autocode (first: annotation + coding)"]["wall_s"]
            lines.append(f"{infos[n]['words']:,} words: import + annotation {wall:.1f} s wall = "
                         f"{infos[n]['words'] / wall:,.0f} words/s; annotation peak: tree RSS "
                         f"{b['autocode (first: annotation + coding)']['tree_rss_bytes'] / mib:,.0f} MiB, PSS "
                         f"{b['autocode (first: annotation + coding)']['tree_pss_bytes'] / mib:,.0f} MiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated word counts")
    ap.add_argument("--words-per-doc", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--root", default="/tmp/qualcode-scaling", help="where the projects are built and kept")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command (1 from 1M words up)")
    ap.add_argument("--only", help="command names to measure, separated by ';'")
    ap.add_argument("--skip", help="commands to leave out: words of their names, separated by ';' (e.g. export)")
    ap.add_argument("--timeout", type=float, default=None, metavar="S", help="stop a command after S s")
    ap.add_argument("--rebuild-measure", action="store_true",
                    help="measure import + first autocode again in a fresh project (the kept corpus)")
    ap.add_argument("--import-only", action="store_true",
                    help="measure only `qualcode import` into a fresh project, --repeat times at every size")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    only = {n for n in args.only.split(";") if n} if args.only else None
    if args.skip:
        words = [w for w in args.skip.split(";") if w]
        kept = {n for n in ["import", *(n for n, _ in COMMANDS)] if not any(w in n for w in words)}
        only = kept if only is None else only & kept
    infos, table = {}, {}
    for n in sizes:
        root = Path(args.root) / f"w{n}"
        infos[n] = build(root, n, max(1, n // args.words_per_doc), args.seed)
        table[n] = {}
        if args.import_only:
            table[n]["import (fresh project)"] = measure_import(Path(args.root) / f"w{n}", args.repeat)
            continue
        build_runs = infos[n]["build"]
        if args.rebuild_measure:
            build_runs = measure_build_again(root, infos[n])
        if not only or "import" in only:
            table[n].update(build_runs)
        rep = args.repeat if n < 1_000_000 else 1
        table[n].update(measure_size(root, infos[n], rep, only, args.timeout))
    exps = exponents(sizes, table)
    text = render(sizes, infos, table, exps)
    if args.json:
        print(text, file=sys.stderr)
        print(json.dumps({"sizes": sizes, "corpus": infos, "results": {str(n): table[n] for n in sizes},
                          "exponents": exps}, indent=2))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
