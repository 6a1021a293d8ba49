#!/usr/bin/env python
"""qualcode benchmark: import + annotation throughput, re-coding from the cache, peak memory.

Usage (from the repository root)::

    python bench/bench.py [--words N] [--docs D] [--seed S] [--keep DIR] [--json]
                          [--codebook FILE|builtin] [--repeat R] [--wait-idle SECONDS]

What it does
------------
1. Builds a synthetic French corpus of N words (default 1,000,000) in D interview files
   (default 100): the real sentences of ``transcripts_sample/`` (parsed with
   ``qualcode.importers.parse_file``; interviewer and participant utterances kept apart),
   shuffled with a fixed seed and reassembled into ``Enquêtrice : `` / ``Participant : ``
   turns, each turn getting a number of sentences drawn from the sample's own turn lengths.
   Words = whitespace-separated words of the utterances (speaker labels not counted).
2. Creates a project (``Project.init``), times ``import_paths`` on the corpus folder, then
   times the first ``autocode`` (pipeline load + annotation of every document + rule
   coding + writing the cache and the codings). Codebook: ``codebooks/bassin_minier.yaml``
   when it exists and loads, else the built-in one below (20 codes of which 15 with rules,
   78 terms,
   a pattern, a regex, a near rule and an exclude rule).
3. Adds a term to one code, writes the edited codebook to a second file and runs
   ``qualcode autocode --codebook EDITED`` as a separate command (cold process: Python and
   spaCy start-up and pipeline load included, annotations from the cache). Then, in this
   process, times the pieces of re-coding with the library functions: annotations from the
   DB cache (``load_annotations``), ``compile_codebook`` (with the terms' analyses kept in
   the project, as autocode does, the added term analysed again) and ``apply`` over every document
   (best of R repeats, fresh AnnotatedDocs each time), and one more in-process ``autocode``
   with a second edit (pipeline already loaded).
4. Peak memory: ``ru_maxrss`` of this process (RUSAGE_SELF) and of its children
   (RUSAGE_CHILDREN: the annotation worker processes; largest single child), the peak RSS
   of the re-coding command, and the peak of the *sum* of RSS (and PSS) over this process
   and its live children, sampled every 50 ms (PSS: every second).
5. Prints a table and one verdict per target; ``--json`` prints a JSON object on stdout
   (the table then goes to stderr).

Targets (2-core machine): annotation >= 45,000 words/s end-to-end (issue 17; 40,000 before); re-coding 1M words
<= 1 s (rule application: compile + apply); peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import collections
import functools
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "transcripts_sample"
REPO_CODEBOOK = REPO / "codebooks" / "bassin_minier.yaml"

TARGET_ANNOTATION_WPS = 45_000
TARGET_RECODE_S_PER_1M = 1.0
TARGET_RSS_BYTES = 1.5e9  # 1.5 GB (decimal) = 1,431 MiB: the stricter reading

# --------------------------------------------------------------------------- built-in codebook

BUILTIN_CODEBOOK = """\
title: Bassin minier – codebook de référence du benchmark
language: fr
unit: sentence
description: Built into bench/bench.py; used when codebooks/bassin_minier.yaml is missing or invalid.
codes:
  - code: identity
    label: Identité et mémoire
    children:
      - code: mining_memory
        label: Mémoire minière
        rules:
          - terms: [fosse, mineur, "gueule noire", charbon, houillères, silicose, galerie, "mineur de fond"]
          - pattern: [{LEMMA: descendre}, {LOWER: "à", OP: "?"}, {LEMMA: le}, {LEMMA: fosse}]
        exclude:
          - terms: ["mineur de moins de"]
      - code: housing
        label: Cités et corons
        rules:
          - terms: [coron, "cité minière", jardin, "maison des mines", lavoir]
      - code: family
        label: Famille
        rules:
          - terms: [père, "grand-père", mère, "grand-mère", famille, enfant]
      - code: migration
        label: Immigration
        unit: turn
        rules:
          - terms: [polonais, italien, marocain, algérien, "immigr*"]
  - code: stigma
    label: Stigmate
    children:
      - code: negative_image
        label: Image négative
        rules:
          - near: {terms: [image, réputation], with: [mauvais, misère, négatif, sale, moche], within: 5}
          - terms: [honte, cliché, misère]
      - code: decline
        label: Déclin
        rules:
          - terms: [chômage, crise, fermeture, pauvreté, "désindustrialis*"]
  - code: heritage
    label: Patrimoine
    children:
      - code: unesco
        label: Classement Unesco
        rules:
          - terms: [unesco, classement, "patrimoine mondial", "valeur universelle"]
          - regex: '\\b(?:11/19|9-9 ?bis)\\b'
      - code: landscape
        label: Paysage minier
        rules:
          - terms: [terril, chevalement, paysage, "carreau de fosse"]
      - code: museum
        label: Musée
        rules:
          - terms: [musée, "louvre-lens", exposition, collection, "visit*"]
  - code: culture
    label: Culture
    children:
      - code: events
        label: Événements
        rules:
          - terms: [festival, concert, spectacle, ducasse, fête]
      - code: mediation
        label: Médiation
        rules:
          - terms: [médiation, public, scolaire, atelier]
  - code: economy
    label: Économie
    children:
      - code: tourism
        label: Tourisme
        rules:
          - terms: ["touris*", hôtel, restaurant, commerce]
      - code: employment
        label: Emploi
        rules:
          - terms: [emploi, travail, boulot, salaire]
      - code: reconversion
        label: Reconversion
        rules:
          - terms: ["reconver*", transition, "développement durable"]
  - code: youth_mobility
    label: Jeunes et départs
    rules:
      - terms: [jeune, études, partir, Lille]
    exclude:
      - terms: ["jeune fille"]
"""

# Terms tried, in order, as the one added by the "codebook edit" (first not already present).
EDIT_TERMS = ["harmonie", "brique", "pigeon", "lampiste", "ducasse", "estaminet"]
EDIT_TERMS_2 = ["kermesse", "friterie", "betterave", "beffroi"]

# --------------------------------------------------------------------------- utilities

_SENT_SPLIT = re.compile(r"(?<=[.!?…])\s+")
_INLINE_BACKCHANNEL = re.compile(r"\s*\[[^\]\n]*:[^\]\n]*\]")  # [Enquêtrice : d'accord], [E: oui]
_WS = re.compile(r"\s+")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def fmt_bytes(n: float) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def maxrss_bytes(who: int) -> int:
    # Linux: kilobytes; macOS: bytes
    v = resource.getrusage(who).ru_maxrss
    return v if sys.platform == "darwin" else v * 1024


class MemSampler(threading.Thread):
    """Samples the sum of RSS (VmRSS, every 50 ms) and PSS (every 1 s) over this process and
    its live children; also CPU use per phase (this process vs the whole machine)."""

    def __init__(self, interval: float = 0.05, pss_every: int = 20):
        super().__init__(daemon=True)
        self.interval = interval
        self.pss_every = pss_every  # PSS read every pss_every samples (1 s)
        self._n = 0
        self.pid = os.getpid()
        self.stop_event = threading.Event()
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_children = 0
        self.available = Path("/proc/self/status").exists()
        self.marks: dict[str, dict] = {}
        self._phase_rss = self._phase_pss = self._phase_child = self._phase_nchild = 0
        self._cpu0 = self._cpu_now()

    @staticmethod
    def _cpu_now() -> tuple[float, float, float]:
        """(machine busy core-seconds, CPU seconds of this process and its reaped children, wall)."""
        busy = 0.0
        try:
            with open("/proc/stat") as fh:
                v = [int(x) for x in fh.readline().split()[1:]]
            busy = (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
        except (OSError, ValueError):
            pass
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.perf_counter()

    def _children(self) -> list[int]:
        out = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            with suppress(OSError):
                out += [int(x) for x in (task / "children").read_text().split()]
        return out

    @staticmethod
    def _read(pid: int, with_pss: bool) -> tuple[int, int]:
        rss = pss = 0
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) * 1024
                        break
            if with_pss:  # walks the page tables: ~10% slowdown of the workers if read every 50 ms
                with open(f"/proc/{pid}/smaps_rollup") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            pss = int(line.split()[1]) * 1024
                            break
        except (OSError, ValueError):
            pass
        return rss, pss

    def sample(self) -> None:
        self._n += 1
        with_pss = self._n % self.pss_every == 1
        pids = [self.pid, *self._children()]
        rss = pss = 0
        child_rss = 0
        for p in pids:
            r, s = self._read(p, with_pss)
            rss += r
            pss += s
            if p != self.pid:
                child_rss = max(child_rss, r)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)
        self.peak_children = max(self.peak_children, len(pids) - 1)
        self._phase_rss = max(self._phase_rss, rss)
        self._phase_pss = max(self._phase_pss, pss)
        self._phase_child = max(self._phase_child, child_rss)
        self._phase_nchild = max(self._phase_nchild, len(pids) - 1)

    def phase(self, name: str) -> None:
        """Close the current phase: record its peaks under ``name`` and start a new one."""
        if self.available:
            self.sample()
        cpu = self._cpu_now()
        busy, ours, wall = (b - a for a, b in zip(self._cpu0, cpu))
        self._cpu0 = cpu
        self.marks[name] = {"sum_rss": self._phase_rss, "sum_pss": self._phase_pss,
                            "largest_child_rss": self._phase_child, "children": self._phase_nchild,
                            "wall_s": wall, "cpu_s": ours,
                            # CPU used by other programs on the machine meanwhile (noise)
                            "foreign_cpu_s": max(0.0, busy - ours) if busy else None}
        self._phase_rss = self._phase_pss = self._phase_child = self._phase_nchild = 0

    def run(self) -> None:
        if not self.available:
            return
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        if self.is_alive():
            self.join()


class Timers:
    """Wraps library functions to accumulate the time spent in them (negligible overhead).

    Phases may nest (the model is loaded inside whichever call first needs it): an
    ``own_phase`` function's time is taken out of every wrapped call around it
    (``inside``); time spent in other wrapped functions during a ``wrap_iter`` span (the
    rules applied while the workers annotate) goes to ``<key>_during``."""

    def __init__(self):
        self.t: dict[str, float] = {}
        self.n: dict[str, int] = {}
        self._undo: list = []
        self.active = 0  # open wrap_iter spans
        self.stack: list[str] = []  # keys of the wrapped calls in progress
        self.inside: dict[str, float] = {}  # key -> own_phase time inside its calls

    def _timed(self, key: str, own_phase: bool, run):
        t0 = time.perf_counter()
        outer = list(self.stack)
        self.stack.append(key)
        try:
            return run()
        finally:
            self.stack.pop()
            dt = time.perf_counter() - t0
            k = f"{key}_during" if self.active and not own_phase else key
            self.t[k] = self.t.get(k, 0.0) + dt
            self.n[k] = self.n.get(k, 0) + 1
            if own_phase:
                for o in set(outer):
                    self.inside[o] = self.inside.get(o, 0.0) + dt

    def wrap(self, module, attr: str, key: str, *, own_phase: bool = False) -> None:
        orig = getattr(module, attr)

        @functools.wraps(orig)
        def wrapper(*a, **kw):
            return self._timed(key, own_phase, lambda: orig(*a, **kw))

        setattr(module, attr, wrapper)
        self._undo.append((module, attr, orig))

    def wrap_iter(self, module, attr: str, key: str) -> None:
        """Wrap a generator function: ``key`` is the wall time from the call to the last item."""
        orig = getattr(module, attr)

        @functools.wraps(orig)
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            self.active += 1
            self.stack.append(key)
            try:
                yield from orig(*a, **kw)
            finally:
                self.active -= 1
                self.stack.remove(key)
                self.t[key] = self.t.get(key, 0.0) + time.perf_counter() - t0
                self.n[key] = self.n.get(key, 0) + 1

        setattr(module, attr, wrapper)
        self._undo.append((module, attr, orig))

    def reset(self) -> None:
        self.t.clear()
        self.n.clear()
        self.inside.clear()

    def restore(self) -> None:
        for module, attr, orig in reversed(self._undo):
            setattr(module, attr, orig)
        self._undo.clear()


# --------------------------------------------------------------------------- corpus


def sample_utterances() -> tuple[list[str], list[str], list[int], list[int]]:
    """(interviewer sentences, participant sentences, sentences per interviewer turn,
    sentences per participant turn) from the sample transcripts."""
    from qualcode.importers import EXTENSIONS, parse_file
    from qualcode.importers.speakers import default_role, label_form

    interviewer: list[str] = []
    participant: list[str] = []
    len_i: list[int] = []
    len_p: list[int] = []
    files = [p for p in sorted(SAMPLE.iterdir())
             if p.suffix.lower() in EXTENSIONS and p.stem.lower() != "readme"]
    if not files:
        raise SystemExit(f"no sample transcripts in {SAMPLE}")
    for path in files:
        doc = parse_file(path)
        hints = {label_form(h) for h in doc.interviewer_hints}
        for t in doc.turns:
            label = t.speaker or ""
            role = default_role(label, None)
            if label_form(label) in hints or label == "SPEAKER_00":  # sample README: SPEAKER_00 = interviewer
                role = "interviewer"
            text = _INLINE_BACKCHANNEL.sub("", doc.text[t.start:t.end])
            sents = [_WS.sub(" ", s).strip() for s in _SENT_SPLIT.split(text)]
            sents = [s for s in sents if s]
            if not sents:
                continue
            if role == "interviewer":
                interviewer += sents
                len_i.append(len(sents))
            else:
                participant += sents
                len_p.append(len(sents))
    return interviewer, participant, len_i, len_p


class _Deck:
    """Draws sentences from a pool, reshuffling it (seeded) each time it is exhausted."""

    def __init__(self, items: list[str], rng: random.Random):
        self.items = list(items)
        self.rng = rng
        self.pos = len(self.items)

    def draw(self) -> str:
        if self.pos >= len(self.items):
            self.rng.shuffle(self.items)
            self.pos = 0
        self.pos += 1
        return self.items[self.pos - 1]


def build_corpus(folder: Path, n_words: int, n_docs: int, seed: int) -> dict:
    """Write n_docs .txt interviews totalling n_words utterance words into folder."""
    interviewer, participant, len_i, len_p = sample_utterances()
    rng = random.Random(seed)
    deck_i, deck_p = _Deck(interviewer, rng), _Deck(participant, rng)
    folder.mkdir(parents=True, exist_ok=True)
    per_doc = [n_words // n_docs + (1 if k < n_words % n_docs else 0) for k in range(n_docs)]
    total_words = total_turns = total_bytes = 0
    width = max(3, len(str(n_docs)))
    for k, quota in enumerate(per_doc, 1):
        lines = [f"Entretien synthétique n°{k} – fictif – benchmark qualcode (graine {seed})", ""]
        words = 0
        speaker_i = True
        while words < quota:
            deck, lengths = (deck_i, len_i) if speaker_i else (deck_p, len_p)
            sents = []
            for _ in range(rng.choice(lengths)):
                s = deck.draw()
                w = len(s.split())
                if words + w > quota and sents:
                    break
                sents.append(s)
                words += w
                if words >= quota:
                    break
            label = "Enquêtrice" if speaker_i else "Participant"
            body = " ".join(sents)
            # like the sample: some long participant turns continue on a second line
            if not speaker_i and len(sents) >= 6 and rng.random() < 0.2:
                cut = len(sents) // 2
                body = " ".join(sents[:cut]) + "\n" + " ".join(sents[cut:])
            lines += [f"{label} : {body}", ""]
            total_turns += 1
            speaker_i = not speaker_i
        data = "\n".join(lines).encode("utf-8")
        (folder / f"entretien_synth_{k:0{width}d}.txt").write_bytes(data)
        total_words += words
        total_bytes += len(data)
    return {"words": total_words, "documents": n_docs, "turns": total_turns, "bytes": total_bytes,
            "sample_sentences": {"interviewer": len(interviewer), "participant": len(participant)}}


# --------------------------------------------------------------------------- codebooks


def builtin_codebook(work: Path) -> Path:
    out = work / "codebook_builtin.yaml"
    out.write_text(BUILTIN_CODEBOOK, encoding="utf-8")
    return out


def choose_codebook(explicit: str | None, work: Path) -> tuple[Path, str]:
    """(codebook path, note): ``explicit``, else the repo codebook if it loads (lint), else
    the built-in one. Compilation needs the pipeline, which must not be loaded before the
    timed run: a compile error surfaces in the first autocode (see run())."""
    from qualcode.codebook.load import load_codebook

    if explicit == "builtin":
        return builtin_codebook(work), "built-in (bench/bench.py)"
    path = Path(explicit) if explicit else REPO_CODEBOOK
    if not path.is_file():
        if explicit:
            raise SystemExit(f"{path}: no such file")
        log(f"{path.relative_to(REPO)} not found -> built-in codebook")
        return builtin_codebook(work), "built-in (bench/bench.py)"
    try:
        load_codebook(path)
    except Exception as exc:
        if explicit:
            raise SystemExit(f"{path} does not load: {exc}") from exc
        log(f"{path} does not load ({str(exc).splitlines()[0]}) -> built-in codebook")
        return builtin_codebook(work), "built-in (bench/bench.py)"
    # a snapshot: the file may be edited while the benchmark runs
    snap = work / "codebook.yaml"
    shutil.copyfile(path, snap)
    return snap, str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def codebook_info(path: Path) -> dict:
    from qualcode.codebook.load import load_codebook

    cb = load_codebook(path)
    rules = [r for c in cb.walk() for r in c.rules + c.exclude]

    def n_terms(r) -> int:
        if r.kind == "terms":
            return len(r.value) if isinstance(r.value, list) else 1
        if r.kind == "near":
            return sum(len(r.value[k]) if isinstance(r.value[k], list) else 1 for k in ("terms", "with"))
        return 0

    return {"version": cb.version, "codes": sum(1 for _ in cb.walk()),
            "rules": dict(sorted(collections.Counter(r.kind for r in rules).items())),
            "exclude_rules": sum(len(c.exclude) for c in cb.walk()),
            "term_entries": sum(n_terms(r) for r in rules)}


def edit_codebook(src: Path, dst: Path, candidates: list[str]) -> tuple[str, str]:
    """Add one term to the first code that has a terms rule; write to dst. (code path, term)."""
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    data = yaml.load(src.read_text(encoding="utf-8"))

    def walk(codes, parent=""):
        for c in codes or []:
            path = f"{parent}/{c['code']}" if parent else str(c["code"])
            yield path, c
            yield from walk(c.get("children"), path)

    for path, code in walk(data["codes"]):
        for rule in code.get("rules") or []:
            terms = rule.get("terms") if hasattr(rule, "get") else None
            if isinstance(terms, list):
                present = {str(t).lower() for t in terms}
                for term in candidates:
                    if term not in present:
                        terms.append(term)
                        with dst.open("w", encoding="utf-8") as fh:
                            yaml.dump(data, fh)
                        return path, term
    raise SystemExit(f"{src}: no code with a terms rule to edit")


# --------------------------------------------------------------------------- benchmark


def machine_busy_fraction(seconds: float = 2.0) -> float | None:
    """Fraction of all CPUs busy over ``seconds`` (None if /proc/stat is unavailable)."""
    def read():
        with open("/proc/stat") as fh:
            v = [int(x) for x in fh.readline().split()[1:]]
        return sum(v[:8]), v[3] + v[4]
    try:
        a = read()
        time.sleep(seconds)
        b = read()
    except (OSError, ValueError):
        return None
    total = b[0] - a[0]
    return 1 - (b[1] - a[1]) / total if total else None


def wait_idle(max_wait: float, threshold: float = 0.1) -> None:
    """Wait (at most max_wait s) until other programs leave the CPUs idle (< threshold busy)."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = machine_busy_fraction(3.0)
        if busy is None or busy < threshold:
            return
        if time.monotonic() > deadline:
            log(f"machine still {busy:.0%} busy after {max_wait:.0f} s: running anyway")
            return
        log(f"machine {busy:.0%} busy (other programs): waiting for it to be idle")
        time.sleep(10)


def run(args) -> dict:
    if args.wait_idle:
        wait_idle(args.wait_idle)
    t_start = time.perf_counter()
    sampler = MemSampler()
    sampler.start()
    tmp_created = args.keep is None
    work = Path(tempfile.mkdtemp(prefix="qualcode-bench-")) if tmp_created else Path(args.keep).resolve()
    if not tmp_created:
        if work.exists() and any(work.iterdir()):
            raise SystemExit(f"--keep {work}: the folder must be new or empty")
        work.mkdir(parents=True, exist_ok=True)
    res: dict = {"command": " ".join(["python", "bench/bench.py", *sys.argv[1:]]),
                 "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform()},
                 "work_dir": str(work) if not tmp_created else None}
    try:
        # 1. corpus
        t0 = time.perf_counter()
        corpus_dir = work / "corpus"
        corpus = build_corpus(corpus_dir, args.words, args.docs, args.seed)
        corpus["build_s"] = time.perf_counter() - t0
        res["corpus"] = corpus
        n_words = corpus["words"]
        log(f"corpus: {n_words:,} words, {corpus['documents']} documents, {corpus['turns']:,} turns, "
            f"{corpus['bytes'] / 1e6:.1f} MB in {corpus['build_s']:.1f} s")
        sampler.phase("corpus")

        import spacy

        import qualcode
        from qualcode import nlp
        from qualcode.annotations import load_annotations
        from qualcode.autocode import autocode
        from qualcode.codebook.load import load_codebook
        from qualcode.ingest import import_paths
        from qualcode.lookup import select_documents
        from qualcode.project import Project

        src = hashlib.sha256()
        for f in sorted((REPO / "qualcode").rglob("*.py")):
            src.update(f.relative_to(REPO).as_posix().encode() + b"\0" + f.read_bytes())
        res["versions"] = {"qualcode": qualcode.__version__, "spacy": spacy.__version__,
                           "qualcode_source_sha256": src.hexdigest()[:12],
                           "annotation_2_workers_from_words": getattr(nlp, "LARGE_INPUT_WORDS_FORK", None)}
        codebook_path, cb_note = choose_codebook(args.codebook, work)
        res["codebook"] = cb_note
        log(f"codebook: {cb_note} {codebook_info(codebook_path)}")

        # 2. project, import, first autocode (annotation)
        project = Project.init(work / "project", language="fr", name="bench")
        t0 = time.perf_counter()
        report = import_paths(project, [str(corpus_dir)])
        t_import = time.perf_counter() - t0
        if report.imported != args.docs or report.skipped:
            raise SystemExit(f"import: {report.imported} imported, {report.skipped} skipped "
                             f"(expected {args.docs}): {[r.reason for r in report.results if r.reason]}")
        sampler.phase("import")
        log(f"import: {t_import:.2f} s ({n_words / t_import:,.0f} words/s)")

        timers = Timers()
        # load_pipeline() only identifies the package; the model is loaded on first use
        # (by annotate_iter, before forking its workers)
        timers.wrap(nlp, "_load_trained", "load_pipeline", own_phase=True)
        # where they are called from (the modules import the names themselves)
        import qualcode.annotations as annotations_module
        import qualcode.autocode as autocode_module

        timers.wrap_iter(annotations_module, "annotate_iter", "annotate")
        timers.wrap(autocode_module, "compile_codebook", "compile_codebook")
        timers.wrap(autocode_module, "apply", "apply")
        from qualcode.rules import RuleError

        t0 = time.perf_counter()
        try:
            rep1 = autocode(project, codebook_path)
        except RuleError as exc:
            if args.codebook:
                raise
            # the repo codebook does not compile: fall back (pipeline now loaded: flagged)
            log(f"{codebook_path} does not compile ({exc}) -> built-in codebook; "
                "annotation time excludes the pipeline load")
            codebook_path = builtin_codebook(work)
            res["codebook"] = "built-in (bench/bench.py; repo codebook failed to compile)"
            res["annotation_excludes_pipeline_load"] = True
            timers.reset()
            t0 = time.perf_counter()
            rep1 = autocode(project, codebook_path)
        t_anno = time.perf_counter() - t0
        sampler.phase("annotation")
        breakdown = dict(timers.t)
        for key, inside in timers.inside.items():  # the model load, counted on its own
            if key in breakdown:
                breakdown[key] -= inside
        # rules applied to each document while the workers annotate the next ones are
        # inside the "annotate" wall time already
        breakdown["other"] = t_anno - sum(v for k, v in breakdown.items() if not k.endswith("_during"))
        timers.restore()
        log(f"annotation (first autocode): {t_anno:.2f} s ({n_words / t_anno:,.0f} words/s); "
            f"{rep1.annotated} annotated, +{rep1.added} rule codings")
        res["codebook_info"] = codebook_info(codebook_path)
        res["import"] = {"seconds": t_import, "words_per_s": n_words / t_import}
        res["annotation"] = {
            "seconds": t_anno, "words_per_s": n_words / t_anno,
            "breakdown_s": breakdown, "documents_annotated": rep1.annotated,
            "rule_codings_added": rep1.added, "pipeline": rep1.pipeline,
        }
        t_e2e = t_import + t_anno
        res["end_to_end"] = {"seconds": t_e2e, "words_per_s": n_words / t_e2e}
        children_after_annotation = maxrss_bytes(resource.RUSAGE_CHILDREN)
        self_after_annotation = maxrss_bytes(resource.RUSAGE_SELF)

        # 3a. edit the codebook; re-code with the CLI command (cold process)
        edited = work / "codebook_edited.yaml"
        edit_code, edit_term = edit_codebook(codebook_path, edited, EDIT_TERMS)
        cli = [sys.executable, "-m", "qualcode", "autocode", "--codebook", str(edited),
               "--project", str(project.root), "--json"]
        res["recode_command"] = "qualcode autocode --codebook EDITED.yaml --project PROJECT --json"
        assert not project.store.in_transaction  # the CLI process below must see every write
        out_path = work / "recode_cli.json"
        with out_path.open("w") as fh:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cli, stdout=fh, stderr=subprocess.PIPE,
                                    env={**os.environ, "NO_COLOR": "1"})
            _, status, ru = os.wait4(proc.pid, 0)
            t_cli = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise SystemExit(f"recode command failed ({proc.returncode}): {err}")
        cli_rep = json.loads(out_path.read_text())
        cli_rss = ru.ru_maxrss if sys.platform == "darwin" else ru.ru_maxrss * 1024
        log(f"recode command: {t_cli:.2f} s (added {edit_term!r} to {edit_code}); "
            f"+{cli_rep['added']} -{cli_rep['removed']}; {cli_rep['cached']} from cache")
        sampler.phase("recode_cli")

        # 3b. pieces of re-coding, in this process, with the library functions
        from qualcode.annotations import load_term_cache
        from qualcode.rules import apply, compile_codebook, term_cache_key

        pipeline = nlp.load_pipeline(project.language)
        docs = select_documents(project, None)
        runs = []
        n_props = 0
        n_tokens = n_spacy_words = 0
        for r in range(args.repeat):
            t0 = time.perf_counter()
            annotations, computed, _cached = load_annotations(project, docs, pipeline, write=False)
            t_load = time.perf_counter() - t0
            if computed:
                raise SystemExit(f"{computed} documents were not in the cache")
            t0 = time.perf_counter()
            roles = {d.id: [t.role for t in project.store.documents.turns(d.id)] for d in docs}
            t_roles = time.perf_counter() - t0
            t0 = time.perf_counter()
            cb = load_codebook(edited)
            t_parse = time.perf_counter() - t0
            t0 = time.perf_counter()
            # as autocode does: the terms' analyses kept in the project; the term the edit
            # added is analysed again, as on the first re-coding after the edit
            term_cache = load_term_cache(project, term_cache_key(pipeline))
            term_cache.pop(edit_term, None)
            compiled = compile_codebook(cb, pipeline, term_cache=term_cache)
            t_compile = time.perf_counter() - t0
            t0 = time.perf_counter()
            n_props = 0
            for d in docs:
                n_props += len(apply(compiled, annotations[d.id], roles[d.id]))
            t_apply = time.perf_counter() - t0
            runs.append({"load_cache_s": t_load, "roles_s": t_roles, "parse_codebook_s": t_parse,
                         "compile_s": t_compile, "apply_s": t_apply,
                         "rules_s": t_compile + t_apply})
            if r == 0:
                n_tokens = sum(a.n_tokens for a in annotations.values())
                n_spacy_words = sum(a.n_words for a in annotations.values())
            del annotations
            log(f"recode pieces run {r + 1}: load cache {t_load:.3f} s, roles {t_roles:.3f} s, "
                f"parse codebook {t_parse:.3f} s, compile {t_compile:.3f} s, apply {t_apply:.3f} s")
        best = min(runs, key=lambda x: x["rules_s"])
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        sampler.phase("recode_pieces")

        # 3c. a second edit, in-process autocode (pipeline already loaded)
        edited2 = work / "codebook_edited2.yaml"
        edit_codebook(edited, edited2, EDIT_TERMS_2)
        t0 = time.perf_counter()
        rep3 = autocode(project, edited2)
        t_inproc = time.perf_counter() - t0
        sampler.phase("recode_inprocess")
        log(f"recode in-process autocode: {t_inproc:.2f} s; +{rep3.added} -{rep3.removed}")

        res["recode"] = {
            "edit": {"code": edit_code, "term": edit_term},
            "command_s": t_cli,
            "command_report": {k: cli_rep[k] for k in ("documents", "annotated", "cached", "added", "removed")},
            "inprocess_autocode_s": t_inproc,
            "pieces_best_s": best, "pieces_median_s": med, "pieces_runs": runs,
            "proposals": n_props,
            # compile is a fixed cost; apply scales with the corpus
            "rules_s_per_1M_words": best["compile_s"] + best["apply_s"] * 1_000_000 / n_words,
        }
        res["annotation"]["spacy_tokens"] = n_tokens
        res["annotation"]["spacy_words"] = n_spacy_words
        project.close()

        # 4. memory
        sampler.stop()
        res["memory"] = {
            "maxrss_self_bytes": maxrss_bytes(resource.RUSAGE_SELF),
            "maxrss_children_bytes": children_after_annotation,
            "maxrss_self_after_annotation_bytes": self_after_annotation,
            "maxrss_recode_command_bytes": cli_rss,
            "sampled_peak_total_rss_bytes": sampler.peak_rss or None,
            "sampled_peak_total_pss_bytes": sampler.peak_pss or None,
            "sampled_max_children": sampler.peak_children,
            "sampled_by_phase": sampler.marks,
        }
        res["total_s"] = time.perf_counter() - t_start
    finally:
        sampler.stop()
        if tmp_created:
            shutil.rmtree(work, ignore_errors=True)
    return res


def verdicts(res: dict) -> list[tuple[str, bool, str]]:
    m = res["memory"]
    e2e = res["end_to_end"]["words_per_s"]
    best = res["recode"]["pieces_best_s"]
    per1m = res["recode"]["rules_s_per_1M_words"]
    words = res["corpus"]["words"]
    recode = f"{best['rules_s']:.3f} s for {words:,} words"
    if words != 1_000_000:
        recode += f" -> {per1m:.3f} s for 1M (compile + apply x 1M/{words:,})"
    peak_proc = max(m["maxrss_self_bytes"], m["maxrss_children_bytes"], m["maxrss_recode_command_bytes"])
    out = [
        ("annotation >= 45,000 words/s end-to-end", e2e >= TARGET_ANNOTATION_WPS,
         f"{e2e:,.0f} words/s (import + first autocode)"),
        ("re-coding 1M words <= 1 s (compile + apply)", per1m <= TARGET_RECODE_S_PER_1M, recode),
        ("peak RSS <= 1.5 GB = 1,431 MiB (largest process)", peak_proc <= TARGET_RSS_BYTES,
         f"{fmt_bytes(peak_proc)} (self {fmt_bytes(m['maxrss_self_bytes'])}, "
         f"largest worker {fmt_bytes(m['maxrss_children_bytes'])}, recode command "
         f"{fmt_bytes(m['maxrss_recode_command_bytes'])})"),
    ]
    ann = m["sampled_by_phase"].get("annotation")
    if ann and ann["sum_rss"]:
        out.append(("peak RSS <= 1.5 GB = 1,431 MiB (sum of main + workers during annotation, sampled)",
                    ann["sum_rss"] <= TARGET_RSS_BYTES,
                    f"{fmt_bytes(ann['sum_rss'])} RSS, {fmt_bytes(ann['sum_pss'])} PSS, "
                    f"{ann['children']} workers"))
    return out


def render(res: dict) -> str:
    c, a, rc, m = res["corpus"], res["annotation"], res["recode"], res["memory"]
    b, med = rc["pieces_best_s"], rc["pieces_median_s"]
    words = c["words"]
    lines = []
    add = lines.append
    add(f"qualcode benchmark — {res['command']}")
    add(f"machine: {res['machine']['cpus']} CPUs, Python {res['machine']['python']}, "
        f"qualcode {res['versions']['qualcode']} (source {res['versions']['qualcode_source_sha256']}), "
        f"spaCy {res['versions']['spacy']}, pipeline {a['pipeline']}")
    add(f"corpus: {words:,} words ({a.get('spacy_words', 0):,} spaCy words, {a.get('spacy_tokens', 0):,} tokens), "
        f"{c['documents']} documents, {c['turns']:,} turns, {c['bytes'] / 1e6:.1f} MB")
    ci = res["codebook_info"]
    add(f"codebook: {res['codebook']} (version {ci['version']}; {ci['codes']} codes, "
        f"{ci['term_entries']} term entries, rules {ci['rules']}, {ci['exclude_rules']} exclude)")
    add("")
    w = 50
    add(f"{'measure':<{w}} {'seconds':>9} {'words/s':>11}")
    add("-" * (w + 22))

    def row(name, s, wps=True):
        add(f"{name:<{w}} {s:>9.3f} {(f'{words / s:,.0f}' if wps and s > 0 else ''):>11}")

    row("import (import_paths)", res["import"]["seconds"])
    row("annotation (first autocode)", a["seconds"])
    bd = a["breakdown_s"]
    row("  load pipeline", bd.get("load_pipeline", 0), False)
    nw = m["sampled_by_phase"].get("annotation", {}).get("children", 0)
    workers = f"{nw} worker processes" if nw else "serial, in-process"
    row(f"  annotate ({workers}) + rules meanwhile", bd.get("annotate", 0))
    row("  compile codebook", bd.get("compile_codebook", 0), False)
    if bd.get("apply_during"):
        row("  … of which rules applied meanwhile (main process)", bd["apply_during"], False)
    row("  apply rules" + (" (cached documents)" if bd.get("apply_during") else ""), bd.get("apply", 0), False)
    row("  other (cache keys, cache/codings writes, SQL)", bd.get("other", 0), False)
    row("end-to-end (import + first autocode)", res["end_to_end"]["seconds"])
    add("")
    add(f"re-coding after adding {rc['edit']['term']!r} to {rc['edit']['code']} "
        f"({rc['command_report']['cached']} documents from the cache, "
        f"+{rc['command_report']['added']} -{rc['command_report']['removed']} codings)")
    row("`qualcode autocode` command (cold process)", rc["command_s"], False)
    row("in-process autocode() (pipeline loaded)", rc["inprocess_autocode_s"], False)
    add(f"  pieces, best of {len(rc['pieces_runs'])} (median in brackets):")
    for key, name in (("load_cache_s", "load annotations from DB cache"),
                      ("roles_s", "turn roles (SQL)"),
                      ("parse_codebook_s", "load codebook YAML"),
                      ("compile_s", "compile_codebook (term analyses kept in the project)"),
                      ("apply_s", f"apply x {c['documents']} docs ({rc['proposals']:,} proposals)"),
                      ("rules_s", "rule application = compile + apply")):
        add(f"  {name:<{w - 2}} {b[key]:>9.3f} {'(' + format(med[key], '.3f') + ')':>11}")
    add("")
    add("memory (peak)")

    def mrow(name, n):
        add(f"  {name:<{w - 2}} {fmt_bytes(n):>21}")

    mrow("ru_maxrss RUSAGE_SELF (this process)", m["maxrss_self_bytes"])
    mrow("ru_maxrss RUSAGE_CHILDREN (largest child)", m["maxrss_children_bytes"])
    mrow("ru_maxrss of the recode command", m["maxrss_recode_command_bytes"])
    ann = m["sampled_by_phase"].get("annotation")
    if ann and ann["sum_rss"]:
        mrow(f"annotation, sum RSS main + {ann['children']} workers (sampled)", ann["sum_rss"])
        mrow(f"annotation, sum PSS main + {ann['children']} workers (sampled 1/s)", ann["sum_pss"])
    noisy = [(k, v) for k, v in m["sampled_by_phase"].items()
             if v.get("foreign_cpu_s") is not None and v["wall_s"] > 0.5
             and v["foreign_cpu_s"] > 0.15 * v["wall_s"]]
    add("")
    add("CPU: " + ", ".join(f"{k} {v['cpu_s']:.1f} s CPU / {v['wall_s']:.1f} s wall"
                            for k, v in m["sampled_by_phase"].items() if v["wall_s"] > 0.5))
    phases = m["sampled_by_phase"]
    if "import" in phases and "annotation" in phases:
        cpu = phases["import"]["cpu_s"] + phases["annotation"]["cpu_s"]
        add(f"CPU of import + first autocode: {cpu:.1f} s = {cpu / c['words'] * 1e5:.2f} CPU s per 100k words "
            "(the figure to compare when other programs share the machine)")
    for k, v in noisy:
        add(f"WARNING: other programs used {v['foreign_cpu_s']:.1f} CPU-seconds during {k} "
            f"({v['foreign_cpu_s'] / v['wall_s']:.0%} of a core): its timings are not clean")
    add("")
    for name, ok, detail in verdicts(res):
        add(f"{'MET    ' if ok else 'NOT MET'}  {name}: {detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=1_000_000, help="corpus size in words (default 1,000,000)")
    ap.add_argument("--docs", type=int, default=100, help="number of interview files (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="shuffling seed (default 1)")
    ap.add_argument("--keep", metavar="DIR", help="build corpus and project in DIR (new or empty) and keep them")
    ap.add_argument("--codebook", metavar="FILE",
                    help="codebook to use, or 'builtin' (default: codebooks/bassin_minier.yaml if it "
                         "loads, else the built-in one)")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the re-coding pieces (default 3)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="before starting, wait up to SECONDS for other programs to leave the CPUs idle")
    ap.add_argument("--json", action="store_true", help="print a JSON object on stdout (table on stderr)")
    args = ap.parse_args(argv)
    if args.words < args.docs or args.docs < 1 or args.repeat < 1:
        ap.error("need --docs >= 1, --words >= --docs and --repeat >= 1")
    res = run(args)
    res["verdicts"] = [{"target": n, "met": ok, "measured": d} for n, ok, d in verdicts(res)]
    table = render(res)
    if args.json:
        print(table, file=sys.stderr)
        print(json.dumps(res, ensure_ascii=False, indent=2))
    else:
        print(table)
    return 0 if all(v["met"] for v in res["verdicts"]) else 1


if __name__ == "__main__":
    sys.exit(main())
