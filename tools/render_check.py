"""Render exported files as a reader sees them and measure them (issue 13's closing figures).

    python tools/render_check.py FILE.docx FILE.tex FILE.pdf … [--png DIR]

* ``.docx``: converted to PDF by LibreOffice (``soffice --headless --convert-to pdf``);
* ``.tex``: compiled twice by ``pdflatex`` (longtable needs two runs) in a temporary
  folder — a fragment is wrapped in the preamble of ``--standalone``; the log's
  ``Overfull \\hbox``/``\\vbox`` warnings are counted, with the widest;
* every PDF: pages, and the smallest font size used on them (``mutool draw -F stext``);
  ``--png DIR``: the pages as PNG at 60 dpi (``pdftoppm``), to look at.

Needs LibreOffice, TeX Live (latex-recommended, lang-french), MuPDF tools and poppler-utils
(``apt-get install libreoffice-writer-nogui texlive-latex-recommended texlive-lang-french
mupdf-tools poppler-utils``). Not part of the test suite: the suite checks the files'
structure without these programs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def to_pdf(path: Path, work: Path) -> tuple[Path, dict]:
    info: dict = {}
    if path.suffix == ".pdf":
        return path, info
    if path.suffix == ".docx":
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(path)],
                       check=True, capture_output=True)
        return work / (path.stem + ".pdf"), info
    if path.suffix == ".tex":
        text = path.read_text(encoding="utf-8")
        if "\\documentclass" not in text:
            from qualcode.exporters.tables import tex_preamble

            text = "\n".join([*tex_preamble("a4", "fr"), "\\begin{document}", text, "\\end{document}"])
        src = work / (path.stem + ".tex")
        src.write_text(text, encoding="utf-8")
        for _ in range(2):
            run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", src.name], cwd=work,
                                 capture_output=True, text=True, errors="replace")
        log = (work / (path.stem + ".log")).read_text(encoding="utf-8", errors="replace")
        boxes = [float(m) for m in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too", log)]
        info = {"pdflatex": "ok" if run.returncode == 0 else f"exit {run.returncode}",
                "overfull boxes": len(boxes), "widest overfull (pt)": max(boxes, default=0.0)}
        return work / (path.stem + ".pdf"), info
    raise SystemExit(f"{path}: .docx, .tex or .pdf")


def measure(pdf: Path) -> dict:
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                          text=True, check=True).stdout).group(1))
    stext = subprocess.run(["mutool", "draw", "-F", "stext", "-o", "-", str(pdf)], capture_output=True,
                           text=True, errors="replace").stdout
    sizes = [float(s) for s in re.findall(r'<font name="[^"]*" size="([\d.]+)"', stext)]
    return {"pages": pages, "smallest font (pt)": min(sizes, default=None)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--png", type=Path, help="write the pages as PNG (60 dpi) into this folder")
    args = parser.parse_args(argv)
    missing = [p for p in ("soffice", "pdflatex", "pdfinfo", "mutool", "pdftoppm") if shutil.which(p) is None]
    if missing:
        print(f"missing programs: {', '.join(missing)}", file=sys.stderr)
    for path in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            pdf, info = to_pdf(path.resolve(), Path(tmp))
            if not pdf.exists():
                print(f"{path}: no PDF ({info})")
                continue
            info.update(measure(pdf))
            if args.png:
                args.png.mkdir(parents=True, exist_ok=True)
                subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(args.png / path.stem)], check=True)
        print(f"{path}: " + "; ".join(f"{k}: {v}" for k, v in info.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
