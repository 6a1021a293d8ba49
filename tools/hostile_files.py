"""Hostile content through every export and every table printed (issue 16: D2, D6, D10,
Markdown/LaTeX), and hostile files at import (D4, D12).

Usage: python tools/hostile_files.py WORK_DIR [--no-latex]

Builds a project whose transcripts, file names, speaker labels, codebook (labels,
definitions), case attributes, coder names and memos carry: terminal escapes (OSC title,
clear screen, CSI colours, C1 CSI, bidi override), control characters (U+0001-U+001F,
U+FFFE), spreadsheet formulas (``=``, ``+``, ``-``, ``@``, tab, carriage return),
Markdown links, images and HTML, LaTeX specials, κ/α, emoji shortcodes and rich markup.
Then writes every export in every format and prints every listing, and checks:

- CSV/XLSX: no text cell that a spreadsheet would run as a formula, no formula cell;
- DOCX/XLSX/QDPX/SVG: the file opens (well-formed XML);
- Markdown: rendered (Python-Markdown), no link, image or script from the data;
- LaTeX: only Latin-1 characters; with pdflatex on the PATH, each file compiles
  (fragments wrapped in a minimal document);
- terminal: no raw ESC, BEL, C1 or bidi control in what the listings print, and no
  emoji made from a shortcode.

Then imports a folder of hostile files (a symlink out of the folder, a FIFO, a link to
/dev/zero, a sparse 50 MB file, a docx and an xlsx zip bomb, a .txt of control
characters) with a 60 s timeout and checks each is refused with a reason or read safely.
Prints the counts as JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ESC = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b31m\u202e"
CONTROLS = "".join(chr(c) for c in (1, 2, 8, 0x0E, 0x1F)) + "\ufffe"
MARKUP = "[lien](http://evil.example) ![i](http://evil.example/i.png) <script>x</script> <http://evil.example>"
TEX = "\\textbf{x} $ & % # _ { } ~ ^ κ α"
FORMULAS = ["=1+1", "+33 6", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", '=HYPERLINK("http://evil.example","x")']
TRANSCRIPT = (
    f"Enquêtrice : {FORMULAS[0]} parlez-moi de la fosse ?\n"
    f"Paul : {FORMULAS[3]} mon père était mineur {MARKUP} {TEX} :smile: [bold]gras[/] honte {ESC}fin.\n"
    f"Enquêtrice : {FORMULAS[6]} et la honte ?\n"
    f"Paul : {FORMULAS[2]} on avait honte, c'était la fosse {CONTROLS} voilà.\n"
) + "Enquêtrice : Et ensuite, après la fermeture de la fosse ?\nPaul : On est restés ici, au pays.\n" * 20
# (the ordinary turns: a short text mostly of control characters is refused as binary)
CODEBOOK = f"""\
title: "{FORMULAS[0]} [T](http://evil.example)"
language: fr
codes:
  - code: mine
    label: "{FORMULAS[6].replace('"', "'")}"
    definition: "{MARKUP.replace('"', "'")} {TEX.replace(chr(92), '/')}"
    rules:
      - terms: [fosse, mineur]
  - code: honte
    label: "@honte :smile: [bold]x[/]"
    rules:
      - terms: [honte]
"""
SPREADSHEET_START = ("=", "+", "-", "@", "\t", "\r")
TERMINAL_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u202a-\u202e\u2066-\u2069]")


def is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
        return True
    except ValueError:
        return False


def live_formula(value) -> bool:
    return isinstance(value, str) and value[:1] in SPREADSHEET_START and not is_number(value)


def check_csv(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = max(",;\t", key=text.splitlines()[-1].count) if text.strip() else ","
    bad = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        bad += [c for c in row if live_formula(c)]
    return bad


def check_xlsx(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or live_formula(cell.value):
                    bad.append(f"{ws.title}!{cell.coordinate}={cell.value!r}")
    return bad


def check_docx(path: Path) -> list[str]:
    import docx

    docx.Document(str(path))
    return []


def check_md(path: Path) -> list[str]:
    import markdown

    html = markdown.markdown(path.read_text(encoding="utf-8"), extensions=["tables"])
    return [tag for tag in ("<a ", "<img", "<script") if tag in html]


def check_tex(path: Path, latex: bool) -> list[str]:
    text = path.read_text(encoding="utf-8")
    bad = sorted({ch for ch in text if ord(ch) > 255})
    if latex and shutil.which("pdflatex"):
        needs = "".join(re.findall(r"^% needs (\\usepackage\{[^}]*\})", text, flags=re.M))  # what the file says
        body = text if "\\documentclass" in text else (
            "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage[utf8]{inputenc}\\usepackage{booktabs}"
            "\\usepackage{textcomp}\\usepackage{longtable}\\usepackage{graphicx}\\usepackage{array}" + needs +
            "\\begin{document}\n" + text + "\n\\end{document}\n")
        folder = path.parent / f"latex-{path.stem}"
        folder.mkdir(exist_ok=True)
        (folder / "doc.tex").write_text(body, encoding="utf-8")
        res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=folder,
                             capture_output=True, text=True, errors="replace", timeout=120)
        if res.returncode != 0:
            errors = [ln for ln in res.stdout.splitlines() if ln.startswith("!")]
            bad.append(f"pdflatex: {errors[:2]}")
    return bad


def check_zip_xml(path: Path) -> list[str]:
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith((".qde", ".xml")):
                etree.fromstring(zf.read(name))
    return []


def check_svg(path: Path) -> list[str]:
    from lxml import etree

    etree.parse(str(path))
    return []


def check(path: Path, latex: bool) -> list[str]:
    ext = path.suffix
    if ext == ".csv":
        return check_csv(path)
    if ext == ".xlsx":
        return check_xlsx(path)
    if ext == ".docx":
        return check_docx(path)
    if ext == ".md":
        return check_md(path)
    if ext == ".tex":
        return check_tex(path, latex)
    if ext in (".qdpx",):
        return check_zip_xml(path)
    if ext == ".svg":
        return check_svg(path)
    if ext == ".json":
        json.loads(path.read_text(encoding="utf-8"))
        return []
    if ext in (".png", ".qdc"):
        return []
    return [f"unchecked format {ext}"]


def main() -> None:
    from typer.testing import CliRunner

    from qualcode.cli import app

    work = Path(sys.argv[1]).resolve()
    latex = "--no-latex" not in sys.argv
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    root = work / "proj"
    runner = CliRunner()
    os.environ.update({"COLUMNS": "160", "NO_COLOR": "1"})
    os.environ.pop("QUALCODE_DEBUG", None)

    def run(*args: str, user: str = "ana", ok: bool = True):
        res = runner.invoke(app, [str(a) for a in args], env={"QUALCODE_USER": user}, input="")
        if ok and res.exit_code != 0:
            raise SystemExit(f"setup failed: {args}: {res.output}")
        return res

    run("init", root)
    os.chdir(root)
    (root / "codebooks").mkdir()
    (root / "codebooks" / "c.yaml").write_text(CODEBOOK, encoding="utf-8")
    src = work / "src"
    src.mkdir()
    names = ["=1+1 entretien:smile:", "paul\x1b]0;x\x07[bold]", "@caron"]
    for i, name in enumerate(names):
        (src / f"{name}.txt").write_text(TRANSCRIPT.replace("Paul", f"Paul{i}"), encoding="utf-8")
    run("import", src)
    docs = [json.loads(run("docs", "--json").stdout)[i]["name"] for i in range(3)]
    (work / "cases.csv").write_text("case;document;groupe;note\n"
                                    f"P1;{docs[0]};=1+1;{MARKUP}\nP2;{docs[1]};@cmd;-2+3\nP3;{docs[2]};+33;\x1b[2J\n",
                                    encoding="utf-8")
    run("cases", "import", work / "cases.csv")
    run("autocode")
    for coder in ("=evil\x1b[2J", "ben"):  # two hand coders, one with a hostile name
        for doc in docs:
            run("code", doc, "honte", "--turn", "2", "--coder", coder, "--memo", f"{FORMULAS[0]} {MARKUP}")
    run("memo", "add", f"{FORMULAS[3]} {MARKUP} {ESC}", "--doc", docs[0])

    out = work / "out"
    out.mkdir()
    exports: list[list[str]] = []
    for ext in ("docx", "md", "tex", "csv", "xlsx"):
        exports.append(["export", "excerpts", "-o", f"{out}/excerpts.{ext}"])
    exports.append(["export", "report", "-o", f"{out}/report.docx", "--by", "groupe"])
    exports.append(["export", "qdpx", f"{out}/project.qdpx"])
    exports.append(["export", "qdc", f"{out}/codebook.qdc"])
    for ext in ("csv", "xlsx", "md", "tex", "docx", "json"):
        exports.append(["report", "freq", "--by", "groupe", "-o", f"{out}/freq.{ext}"])
        exports.append(["report", "matrix", "-o", f"{out}/matrix.{ext}"])
        exports.append(["cases", "export", f"{out}/cases.{ext}"])
        exports.append(["agreement", "--coders", "=evil\x1b[2J,ben", "--output", f"{out}/agreement.{ext}"])
    for ext in ("md", "docx", "csv", "xlsx"):
        exports.append(["codebook", "export", "-o", f"{out}/codebook.{ext}"])
    for ext in ("csv", "xlsx"):
        exports.append(["review", "--export", f"{out}/review.{ext}"])
        exports.append(["reconcile", "--coders", "=evil\x1b[2J,ben", "--export", f"{out}/reconcile.{ext}"])
    for ext in ("png", "svg"):
        exports.append(["chart", "freq", "--by", "groupe", "-o", f"{out}/chart.{ext}"])
    counts: Counter[str] = Counter()
    problems: list[dict] = []
    for args in exports:
        res = run(*args, ok=False)
        path = Path(next(a for a in args if a.startswith(str(out))))
        if res.exit_code != 0 or not path.exists():
            counts["export_failed"] += 1
            problems.append({"export": " ".join(args[:3]), "file": path.name, "error": res.output[:300]})
            continue
        counts["exports"] += 1
        try:
            bad = check(path, latex)
        except Exception as exc:  # a file that does not open is the finding
            bad = [f"{type(exc).__name__}: {exc}"[:200]]
        if bad:
            counts["unsafe_files"] += 1
            problems.append({"file": path.name, "problems": [repr(b)[:120] for b in bad[:5]]})

    listings = [["docs"], ["show", docs[1]], ["speakers", docs[1]], ["codings"], ["cases"], ["memo", "list"],
                ["kwic", "fosse"], ["history"], ["codebook", "show"], ["explain", docs[0], "2"],
                ["agreement", "--coders", "=evil\x1b[2J,ben"], ["disagreements", "--coders", "=evil\x1b[2J,ben"],
                ["report", "freq", "--by", "groupe"], ["backups"], ["code", docs[2], "nope", "--turn", "2"],
                ["show", "paul\x1b]0;x\x07[bold]-missing"], ["import", src / "absent\x1b[2J.txt"]]
    for args in listings:
        res = run(*args, ok=False)
        counts["listings"] += 1
        text = res.stdout + res.stderr
        raw = sorted({repr(ch) for ch in TERMINAL_BAD.findall(text)})
        emoji = "😄" in text
        if raw or emoji or "Traceback" in text or "internal error" in text:
            counts["unsafe_listings"] += 1
            problems.append({"listing": " ".join(map(str, args))[:60], "raw": raw, "emoji": emoji,
                             "exit": res.exit_code})

    # hostile files at import
    hostile = work / "hostile"
    hostile.mkdir()
    secret = work / "secret.txt"
    secret.write_text("Paul : secret\n", encoding="utf-8")
    (hostile / "link_out.txt").symlink_to(secret)
    (hostile / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(hostile / "fifo.txt")
    with open(hostile / "huge.txt", "wb") as f:
        f.truncate(50 * 1024 * 1024 + 1)
    with zipfile.ZipFile(hostile / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as part:
            for _ in range(20):
                part.write(b" " * (1024 * 1024))
    (hostile / "controls.txt").write_text("Paul : " + "".join(chr(c) for c in range(1, 32) if c not in (9, 10)) +
                                          " fin\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUALCODE_USER": "campaign"}
    try:
        res = subprocess.run([sys.executable, "-m", "qualcode", "import", str(hostile)], cwd=root, env=env,
                             capture_output=True, text=True, timeout=60)
        skipped = [ln for ln in res.stderr.splitlines() if ln.startswith("skipped ")]
        counts["hostile_files"] = 6
        counts["hostile_refused_with_reason"] = len(skipped)
        counts["hostile_imported"] = sum(ln.startswith("imported ") for ln in res.stdout.splitlines())
        counts["hostile_import_traceback"] = int("Traceback" in res.stderr or "internal error" in res.stderr)
        problems.append({"hostile_import": skipped + [ln for ln in res.stderr.splitlines() if "warning" in ln][:3]})
        imported = json.loads(subprocess.run([sys.executable, "-m", "qualcode", "docs", "--json"], cwd=root, env=env,
                                             capture_output=True, text=True, timeout=60).stdout)
        counts["secret_imported"] = sum("secret" in d["name"] or "link_out" in d["name"] for d in imported)
    except subprocess.TimeoutExpired:
        counts["hostile_import_hang"] = 1
    print(json.dumps({"counts": dict(counts), "problems": problems}, indent=1, ensure_ascii=True))


if __name__ == "__main__":
    main()
