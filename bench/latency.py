#!/usr/bin/env python
"""qualcode latency benchmark: CPU and wall time of the everyday commands, whole processes.

Usage (from the repository root)::

    python bench/latency.py [--words N] [--docs D] [--repeat R] [--keep DIR]
                            [--project DIR] [--baseline SOURCE DIR] [--qc VENV]
                            [--only NAME,...] [--outputs DIR] [--json]

What it does
------------
1. Builds (or, with ``--project DIR``, reuses) an annotated, auto-coded project of N words
   (default 100,000) in D interviews (default 50): the synthetic corpus of
   ``bench/bench.py`` (real sentences of ``transcripts_sample/``, fixed seed), a cases file
   putting each interview in one of two groups (``local_actor`` / ``resident``), the
   sample codebook ``codebooks/bassin_minier.yaml``, ``qualcode autocode``, and a second
   coder ``camille`` who accepted four rule proposals in five and coded one turn in
   twenty-five of her own (deterministic), so that ``agreement`` has two coders.
2. Runs each command R times (default 5) as a separate process, output to a file, and
   reports the median CPU seconds (user + system of the process and its children, from
   ``wait4``) and the median wall seconds. CPU time is the figure to compare: the machine
   is shared, wall time moves with the load.
3. ``autocode`` after a codebook edit that touches only terms/regex/near rules (a term
   removed, a regex changed, a ``near`` distance changed, in turn): each run gets a codebook
   not seen before, the project is copied back between runs so that every run re-codes.
4. ``--baseline SOURCE DIR``: another qualcode (its source tree SOURCE, e.g. ``git archive
   COMMIT | tar -x -C SOURCE``) measured on DIR, a project folder built with it by
   ``--keep``; its runs alternate with this checkout's, so both share the machine's load.
   ``--outputs DIR`` keeps each command's output per version, to compare them.
5. ``--qc VENV``: the same corpus in a ``qualitative-coding`` (qc) project, qc's
   ``--help``, ``corpus list``, ``codes stats`` and ``codes crosstab`` side by side with
   ``--help``, ``docs``, ``report freq --by group`` and ``report cooccurrence``, their runs
   alternating with qualcode's (qc installed in a throwaway virtual environment only for
   this, never a dependency of qualcode; see docs/reference/performance.md).

Targets (issue 17, 100k words): ``--help`` <= 0.2 CPU s; ``docs``, ``show`` <= 0.3;
``codings``, ``report freq|cooccurrence|matrix``, ``kwic``, ``agreement`` <= 0.4;
``export excerpts`` (docx) <= 2.0; autocode after a terms-only edit <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (bench/bench.py: the corpus generator)

CODEBOOK = REPO / "codebooks" / "bassin_minier.yaml"
GROUPS = ("local_actor", "resident")

# (name, arguments after `qualcode`, target CPU s)
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("--help", ["--help"], 0.2),
    ("docs", ["docs"], 0.3),
    ("show DOC", ["show", "{doc}"], 0.3),
    ("codings --code identity", ["codings", "--code", "identity"], 0.4),
    ("codings --code identity --json", ["codings", "--code", "identity", "--json"], 0.4),
    ("report freq --by group", ["report", "freq", "--by", "group"], 0.4),
    ("report cooccurrence", ["report", "cooccurrence"], 0.4),
    ("report matrix", ["report", "matrix"], 0.4),
    ("kwic mineur", ["kwic", "mineur"], 0.4),
    ("explain DOC 4", ["explain", "{doc}", "4"], None),
    ("agreement --coders rules,camille", ["agreement", "--coders", "rules,camille"], 0.4),
    ("export excerpts -o x.docx", ["export", "excerpts", "-o", "{out}/x.docx", "--force"], 2.0),
    ("export excerpts -o x.md", ["export", "excerpts", "-o", "{out}/x.md", "--force"], None),
    ("export excerpts -o x.xlsx", ["export", "excerpts", "-o", "{out}/x.xlsx", "--force"], None),
    ("export report -o r.docx", ["export", "report", "-o", "{out}/r.docx", "--force"], None),
]
AUTOCODE_TARGET = 1.5


def log(msg: str) -> None:
    print(f"[latency {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def qualcode_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "qualcode", *args]


def run_measured(argv: list[str], cwd: Path, env: dict, out: Path) -> tuple[float, float, int]:
    """(CPU s of the process and its children, wall s, exit code)."""
    with out.open("wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, wall, proc.returncode


def check(argv: list[str], cwd: Path, env: dict | None = None) -> str:
    res = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res.stdout


# --------------------------------------------------------------------------- project


def build_project(root: Path, n_words: int, n_docs: int, seed: int) -> dict:
    """Corpus, project, cases, codebook, autocode, second coder. Returns corpus facts."""
    env = {**os.environ, "NO_COLOR": "1"}
    corpus = root / "corpus"
    info = bench.build_corpus(corpus, n_words, n_docs, seed)
    project = root / "project"
    project.mkdir(parents=True)
    check(qualcode_cmd("init", str(project), "--name", "latency benchmark"), REPO, env)
    check(qualcode_cmd("import", str(corpus), "--project", str(project)), REPO, env)
    docs = sorted(p.stem for p in corpus.glob("*.txt"))
    cases = root / "participants.csv"
    rows = ["case;document;group"] + [f"P{k:03d};{d};{GROUPS[k % 2]}" for k, d in enumerate(docs, 1)]
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    check(qualcode_cmd("cases", "import", str(cases), "--project", str(project)), REPO, env)
    (project / "codebooks").mkdir(exist_ok=True)
    shutil.copyfile(CODEBOOK, project / "codebooks" / "codebook.yaml")
    check(qualcode_cmd("autocode", "--project", str(project)), REPO, env)
    add_second_coder(project, seed)
    info["project"] = str(project)
    info["first_document"] = docs[0]
    return info


def add_second_coder(root: Path, seed: int) -> int:
    """Coder 'camille': 4 rule proposals in 5 accepted as hers, and one turn in 25 coded
    with a code of her choosing (deterministic)."""
    from qualcode.project import Project
    from qualcode.store.codings import NewCoding

    rng = random.Random(seed)
    with Project.open(root) as project, project.store.transaction():
        spans = project.codings.spans(coders=["rules"])
        codes = sorted({(s.code_id, s.unit) for s in spans})
        new = [NewCoding(s.document_id, s.code_id, s.start, s.end, "camille", "manual", "accepted", s.unit)
               for s in spans if rng.random() < 0.8]
        for doc in project.documents.select():
            for t in project.documents.turns(doc.id):
                if rng.random() < 0.04 and t.end > t.start:
                    code_id, _ = rng.choice(codes)
                    new.append(NewCoding(doc.id, code_id, t.start, t.end, "camille", "manual", "accepted", "turn"))
        seen = set()
        unique = []
        for n in new:
            key = (n.document_id, n.code_id, n.start, n.end)
            if key not in seen:
                seen.add(key)
                unique.append(n)
        return project.codings.add_many(unique)


# --------------------------------------------------------------------------- autocode edits


def edited_codebooks(src: Path, dst_dir: Path, n: int) -> list[Path]:
    """n codebooks, each a different edit of src touching only terms/regex/near rules:
    a term removed, a regex changed, a near distance changed (round robin)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    out = []
    for k in range(n):
        data = yaml.load(src.read_text(encoding="utf-8"))
        rules = []
        stack = list(data["codes"])
        while stack:
            c = stack.pop(0)
            rules.extend(c.get("rules") or [])
            stack[:0] = c.get("children") or []
        kind = ("terms", "regex", "near")[k % 3]
        cands = [r for r in rules if kind in r]
        if kind == "terms":
            r = [r for r in cands if len(r["terms"]) > 2][k // 3]
            del r["terms"][-1]
        elif kind == "regex" and cands:
            r = cands[(k // 3) % len(cands)]
            r["regex"] = r["regex"] + f"|\\bzz{k}qq\\b"
        elif kind == "near" and cands:
            r = cands[(k // 3) % len(cands)]
            r["near"]["within"] = int(r["near"].get("within", 5)) + 1 + k
        else:  # no rule of that kind: remove a term instead
            r = [r for r in rules if "terms" in r and len(r["terms"]) > 2][k]
            del r["terms"][-1]
        path = dst_dir / f"codebook_edit{k}.yaml"
        with path.open("w", encoding="utf-8") as fh:
            yaml.dump(data, fh)
        out.append(path)
    return out


# --------------------------------------------------------------------------- measure


class Variant:
    """A qualcode to measure: its project, and the source tree first on PYTHONPATH (None:
    this checkout)."""

    def __init__(self, label: str, root: Path, info: dict, source: Path | None):
        self.label = label
        self.project = Path(info["project"])
        self.first_doc = info["first_document"]
        self.work = root / "work"
        self.work.mkdir(exist_ok=True)
        # As installed: Python's bytecode cached (a warm-up run writes it), not compiled each run
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"NO_COLOR": "1", "QUALCODE_PROJECT": str(self.project), "COLUMNS": "120"})
        if source is not None:
            env["PYTHONPATH"] = str(source)
        self.env = env


def measure(variants: list[Variant], repeat: int, only: set[str] | None,
            keep_outputs: Path | None = None, qc: QcProject | None = None) -> list[dict]:
    """Each command, for each variant (and qc's counterpart of the command, see
    :data:`QC_COMMANDS`); the runs alternate, so that they share the machine's load.
    Results per command: the first variant's figures, and ``<label>_cpu_s`` /
    ``<label>_wall_s`` for the others (``qc_cpu_s``… for qc)."""
    results = []
    for name, args, target in COMMANDS:
        if only and name not in only:
            continue
        runners = {v.label: (qualcode_cmd(*(a.format(doc=v.first_doc, out=v.work) for a in args)), v.project, v.env,
                             v.work / "out.txt") for v in variants}
        if qc is not None and name in QC_COMMANDS:
            runners["qc"] = ([str(qc.qc), *QC_COMMANDS[name][1]], qc.root, qc.env, qc.root.parent / "qc_out.txt")
        cpus: dict[str, list[float]] = {label: [] for label in runners}
        walls: dict[str, list[float]] = {label: [] for label in runners}
        for argv, cwd, env, out in runners.values():
            run_measured(argv, cwd, env, out)  # warm-up
        for _ in range(repeat):
            for label, (argv, cwd, env, out) in runners.items():
                cpu, wall, rc = run_measured(argv, cwd, env, out)
                if rc != 0:
                    raise SystemExit(f"{name} ({label}): exit {rc}\n{out.read_text(errors='replace')[-2000:]}")
                cpus[label].append(cpu)
                walls[label].append(wall)
        if keep_outputs:  # to compare the outputs of two versions (not the docx: it holds dates)
            for v in variants:
                folder = keep_outputs / v.label
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(v.work / "out.txt", folder / (name.replace(" ", "_").replace("/", "_") + ".txt"))
        res = _result(name, variants, cpus, walls, target)
        if "qc" in cpus:
            res.update(qc_command=f"qc {QC_COMMANDS[name][0]}", qc_cpu_s=statistics.median(cpus["qc"]),
                       qc_wall_s=statistics.median(walls["qc"]), qc_cpu_runs=cpus["qc"])
            log(f"  qc {QC_COMMANDS[name][0]}: {res['qc_cpu_s']:.2f} CPU s (runs alternating)")
        results.append(res)
    name = "autocode after a terms/regex/near edit"
    if not only or name in only or "autocode" in only:
        results.append(measure_autocode(variants, repeat, name))
    return results


def _result(name: str, variants: list[Variant], cpus: dict, walls: dict, target: float | None) -> dict:
    first = variants[0].label
    res = {"command": name, "cpu_s": statistics.median(cpus[first]), "wall_s": statistics.median(walls[first]),
           "cpu_runs": cpus[first], "target_cpu_s": target}
    for v in variants[1:]:
        res[f"{v.label}_cpu_s"] = statistics.median(cpus[v.label])
        res[f"{v.label}_wall_s"] = statistics.median(walls[v.label])
        res[f"{v.label}_cpu_runs"] = cpus[v.label]
    log(f"{name}: " + ", ".join(f"{v.label} {statistics.median(cpus[v.label]):.2f} CPU s "
                                f"({statistics.median(walls[v.label]):.2f} s wall)" for v in variants))
    return res


def measure_autocode(variants: list[Variant], repeat: int, name: str) -> dict:
    """``autocode --codebook EDIT`` for ``repeat`` different edits; the project's database
    is put back after each run, so that every run re-codes."""
    cpus: dict[str, list[float]] = {v.label: [] for v in variants}
    walls: dict[str, list[float]] = {v.label: [] for v in variants}
    saved = {}
    for v in variants:
        saved[v.label] = v.work / "qualcode.saved"
        shutil.rmtree(saved[v.label], ignore_errors=True)
        shutil.copytree(v.project / ".qualcode", saved[v.label])
    books = {v.label: edited_codebooks(v.project / "codebooks" / "codebook.yaml", v.work, repeat) for v in variants}
    try:
        for k in range(repeat):
            for v in variants:
                out = v.work / "autocode.txt"
                cpu, wall, rc = run_measured(qualcode_cmd("autocode", "--codebook", str(books[v.label][k]), "--json"),
                                             v.project, v.env, out)
                if rc != 0:
                    raise SystemExit(f"autocode ({v.label}): exit {rc}\n{out.read_text(errors='replace')[-2000:]}")
                cpus[v.label].append(cpu)
                walls[v.label].append(wall)
                shutil.rmtree(v.project / ".qualcode")
                shutil.copytree(saved[v.label], v.project / ".qualcode")
    finally:
        for v in variants:
            if saved[v.label].exists():
                shutil.rmtree(v.project / ".qualcode", ignore_errors=True)
                shutil.copytree(saved[v.label], v.project / ".qualcode")
                shutil.rmtree(saved[v.label])
    return _result(name, variants, cpus, walls, AUTOCODE_TARGET)


# --------------------------------------------------------------------------- qc


QC_EDITOR = """\
import sys
from pathlib import Path
WORDS = {words!r}
corpus, codes = Path(sys.argv[1]), Path(sys.argv[2])
out = []
for line in corpus.read_text(encoding="utf-8").split("\\n"):
    low = line.lower()
    out.append(", ".join(c for c, ws in WORDS.items() if any(w in low for w in ws)))
codes.write_text("\\n".join(out), encoding="utf-8")
"""
QC_WORDS = {"mining_memory": ("mineur", "fosse", "charbon"), "housing": ("coron", "cité"),
            "family": ("père", "mère", "famille"), "decline": ("chômage", "crise", "fermeture"),
            "heritage": ("patrimoine", "unesco", "terril"), "tourism": ("touris",)}


# qualcode command -> (qc's name for what it does, its arguments): measured in alternation
QC_COMMANDS = {"--help": ("--help", ["--help"]), "docs": ("corpus list", ["corpus", "list"]),
               "report freq --by group": ("codes stats", ["codes", "stats"]),
               "report cooccurrence": ("codes crosstab", ["codes", "crosstab"])}


class QcProject:
    """A qc project of the benchmark's corpus: its folder, the ``qc`` executable, its environment."""

    def __init__(self, qc: Path, root: Path, env: dict):
        self.qc, self.root, self.env = qc, root, env


def qc_setup(venv: Path, corpus: Path, work: Path) -> QcProject | None:
    """qc (qualitative-coding) on the same corpus: ``qc init``, ``qc corpus import -r -i
    verbatim``, each interview coded line by line by an "editor" script (qc's way of
    coding: it opens the transcript and its .codes file in the configured editor) that
    gives a line the codes of the keywords it contains. Best effort: None if qc fails."""
    qc = venv / "bin" / "qc"
    if not qc.exists():
        log(f"{qc} not found: qc skipped")
        return None
    root = work / "qc_project"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env["NO_COLOR"] = "1"
    editor = work / "qc_editor.py"
    editor.write_text(QC_EDITOR.format(words=QC_WORDS), encoding="utf-8")
    try:
        check([str(qc), "init"], root, env)
        settings = root / "settings.yaml"
        text = settings.read_text(encoding="utf-8").replace("editor: code", "editor: bench_editor")
        text += ("editors:\n  bench_editor:\n    name: Bench editor\n"
                 f"    code_command: '{venv / 'bin' / 'python'} {editor} \"{{corpus_file_path}}\" "
                 "\"{codes_file_path}\"'\n"
                 "    memo_command: 'true \"{memo_file_path}\"'\n")
        settings.write_text(text, encoding="utf-8")
        check([str(qc), "corpus", "import", "-r", "-i", "verbatim", str(corpus)], root, env)
        names = check([str(qc), "corpus", "list"], root, env).split()
        log(f"qc: coding {len(names)} files")
        for name in names:
            res = subprocess.run([str(qc), "code", "bench", "-p", name], cwd=root, env=env,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if res.returncode != 0:
                raise SystemExit(f"qc code {name}: {res.stdout[-300:]} {res.stderr[-300:]}")
    except SystemExit as exc:
        log(f"qc setup failed, skipped: {str(exc)[:500]}")
        return None
    return QcProject(qc, root, env)


# --------------------------------------------------------------------------- report


def render(info: dict, results: list[dict], baseline: str | None) -> str:
    lines = [f"corpus: {info.get('words', 0):,} words, {info.get('documents', 0)} documents; "
             f"median of {len(results[0]['cpu_runs']) if results else 0} runs, whole processes, CPU seconds "
             "(qc: its counterpart, runs alternating with qualcode's)",
             "",
             f"{'command':<42} {'before':>7} {'now':>7} {'wall s':>7} {'target':>7}  {'qc':>6} {'qc/now':>7}  verdict",
             "-" * 104]
    at_100k = 90_000 <= info.get("words", 0) <= 110_000  # the targets are for about 100,000 words
    for r in results:
        t = r.get("target_cpu_s") if at_100k else None
        q = r.get("qc_cpu_s")
        before = r.get(f"{baseline}_cpu_s") if baseline else None
        ratio = f"{q / r['cpu_s']:.1f}x" if q else ""
        verdict = "" if t is None else ("MET" if r["cpu_s"] <= t else "NOT MET")
        lines.append(f"{r['command']:<42} {(f'{before:.2f}' if before is not None else ''):>7} {r['cpu_s']:>7.2f} "
                     f"{r['wall_s']:>7.2f} {(f'{t:.1f}' if t else ''):>7}  {(f'{q:.2f}' if q else ''):>6} "
                     f"{ratio:>7}  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=100_000)
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", metavar="DIR", help="build corpus and project in DIR and keep them")
    ap.add_argument("--project", metavar="DIR", help="reuse a folder made by --keep (skip the build)")
    ap.add_argument("--qc", metavar="VENV", help="virtual environment where qualitative-coding is installed")
    ap.add_argument("--only", help="command names to measure, separated by commas (by semicolons "
                    "when a name holds a comma: 'report freq --by group;agreement --coders rules,camille')")
    ap.add_argument("--outputs", metavar="DIR", help="keep each command's output in DIR (to compare versions)")
    ap.add_argument("--baseline", nargs=2, metavar=("SOURCE", "DIR"),
                    help="also measure the qualcode whose source tree is SOURCE (e.g. a `git archive` of an "
                         "older commit) on the project folder DIR made with it by --keep; runs alternate")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    only = set(args.only.split(";" if ";" in args.only else ",")) if args.only else None
    tmp = None
    if args.project:
        root = Path(args.project).resolve()
        info = json.loads((root / "info.json").read_text())
    else:
        root = Path(args.keep).resolve() if args.keep else Path(tmp := tempfile.mkdtemp(prefix="qc-latency-"))
        root.mkdir(parents=True, exist_ok=True)
        log(f"building a {args.words:,}-word project in {root}")
        info = build_project(root, args.words, args.docs, args.seed)
        (root / "info.json").write_text(json.dumps(info, indent=2))
    variants = [Variant("now", root, info, None)]
    if args.baseline:
        source, broot = Path(args.baseline[0]).resolve(), Path(args.baseline[1]).resolve()
        variants.append(Variant("before", broot, json.loads((broot / "info.json").read_text()), source))
    try:
        qc = qc_setup(Path(args.qc), root / "corpus", root / "work") if args.qc else None
        results = measure(variants, args.repeat, only, Path(args.outputs) if args.outputs else None, qc)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    table = render(info, results, "before" if args.baseline else None)
    if args.json:
        print(table, file=sys.stderr)
        print(json.dumps({"corpus": info, "results": results}, indent=2))
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
