"""Fuzzing the inputs qualcode reads: transcripts (txt, docx, vtt, srt, trs) and the sheets
people fill in (CSV and XLSX for ``cases import``, ``review --import``, ``reconcile
--import``).

Every input, valid, mangled or random, must end in one of two ways: read, or refused with
a qualcode error (never another exception) that names the file, the project unchanged.

In CI each test runs a few dozen examples (well under a minute in all). A campaign:
``QUALCODE_FUZZ_EXAMPLES=5000 QUALCODE_FUZZ_LOG=/tmp/fuzz.jsonl pytest tests/test_fuzz_inputs.py``
— with a log, unexpected exceptions are written to it (one JSON line per input: target,
outcome, exception type and message) instead of failing the test, to count them.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import Coding, add_codings, build_project, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.cases import import_cases
from qualcode.errors import QualcodeError
from qualcode.importers import parse_bytes
from qualcode.ingest import import_paths
from qualcode.project import Project
from qualcode.reconcile import import_decisions, plan
from qualcode.review import import_review
from qualcode.textnorm import xml_safe

EXAMPLES = int(os.environ.get("QUALCODE_FUZZ_EXAMPLES", "25"))
LOG = os.environ.get("QUALCODE_FUZZ_LOG")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=LOG is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

CODEBOOK = """\
title: Fuzz
language: fr
codes:
  - code: mine
    rules:
      - terms: [mine]
  - code: work
"""
TEXT = "Enquêtrice : Vous avez travaillé à la mine ?\nPaul : Oui, trente ans au fond, à Carmaux.\n"


def _docx() -> bytes:
    import docx

    d = docx.Document()
    for line in TEXT.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


SEEDS = {
    "txt": TEXT.encode(),
    "vtt": b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Paul>Oui, trente ans au fond.\n\n"
           b"00:00:05.000 --> 00:00:07.000\n<v Enqu\xc3\xaatrice>Et apr\xc3\xa8s ?\n",
    "srt": b"1\n00:00:01,000 --> 00:00:04,000\nPaul : Oui, trente ans.\n\n2\n00:00:05,000 --> 00:00:07,000\n"
           b"Enqu\xc3\xaatrice : Et apr\xc3\xa8s ?\n",
    "trs": b'<?xml version="1.0" encoding="UTF-8"?>\n<Trans><Speakers><Speaker id="spk1" name="Paul"/></Speakers>'
           b'<Episode><Section type="report" startTime="0" endTime="5"><Turn speaker="spk1" startTime="0" '
           b'endTime="5"><Sync time="0"/>Oui, trente ans au fond.</Turn></Section></Episode></Trans>\n',
    "docx": _docx(),
}

HEADERS = ["case", "age", "document", "id", "decision", "note", "start", "end", "code", "text", "", "#x"]
CELLS = st.one_of(
    st.sampled_from(["", "P1", "accept", "reject", "keep", "drop", "mine", "work", "entretien", "1", "2", "0",
                     "007", "3,5", "123456789012345678901", "1" * 400 + ".5", "²", "=1+1", "#", "\"", "x" * 140_000]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=30),
)


def _record(target: str, path: str, outcome: str, exc: BaseException | None = None) -> None:
    with open(LOG, "a", encoding="utf-8") as f:  # type: ignore[arg-type]
        f.write(json.dumps({"target": target, "outcome": outcome,
                            "kind": type(exc).__name__ if exc else None,
                            "message": str(exc).replace(path, "FILE")[:200] if exc else None}) + "\n")


def _check(target: str, path: Path, project: Project, run) -> None:
    """Run ``run()``; it may succeed or raise a QualcodeError naming ``path`` that left the
    project as it was; anything else fails the test (or is logged in a campaign)."""
    before = snapshot(project.root)
    try:
        run()
    except QualcodeError as exc:
        message = str(exc)
        if LOG:
            _record(target, str(path), "error" if str(path) in message and snapshot(project.root) == before
                    else "bad-error", exc)
            return
        assert str(path) in message, message
        assert "\n" not in message.split(": nothing imported")[0], message
        assert snapshot(project.root) == before
        return
    except Exception as exc:
        if LOG:
            _record(target, str(path), "unexpected", exc)
            return
        raise
    if LOG:
        _record(target, str(path), "ok")


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    root = base / "proj"
    Project.init(root, language="fr").close()
    build_project(root, base / "src", codebook=CODEBOOK, documents={"entretien": TEXT}, autocode=True)
    add_codings(root, [Coding("entretien", "trente ans", "work", coder="ana"),
                       Coding("entretien", "trente ans", "mine", coder="ben")])
    project = Project.open(root)
    yield project
    project.close()


class _Undo(Exception):
    pass


@contextmanager
def _undone(project: Project):
    """Whatever the block writes is rolled back (a savepoint) when it succeeds."""
    try:
        with project.store.transaction():
            yield
            raise _Undo
    except _Undo:
        pass


def _mutate(data: bytes, draw) -> bytes:
    # every value drawn whatever the data (whose length may vary between runs: zip dates)
    how = draw(st.sampled_from(["truncate", "flip", "insert", "random", "same"]))
    pos, xor = draw(st.integers(0, 2**20)), draw(st.integers(1, 255))
    extra = draw(st.binary(max_size=2000 if how == "random" else 50))
    if how == "random":
        return extra
    if how == "same" or not data:
        return data
    at = pos % len(data)
    if how == "truncate":
        return data[:at]
    if how == "flip":
        return data[:at] + bytes([data[at] ^ xor]) + data[at + 1:]
    return data[:at] + extra + data[at:]


def _mutate_zip(data: bytes, draw) -> bytes:
    """A zip whose parts are mutated one at a time (so that the damage is inside the XML,
    not only in the zip structure), or the zip bytes mutated."""
    if draw(st.booleans()):
        return _mutate(data, draw)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    names = sorted(parts)
    name = names[draw(st.integers(0, 2**10)) % len(names)]
    how = draw(st.integers(0, 6))
    encoding = draw(st.sampled_from(["no-such-codec", "utf-16", "UTF-32", "cp500", "latin-1", "ascii", ""]))
    if how == 0:
        del parts[name]
    elif how == 1:  # the XML declares another encoding than its bytes (or one that does not exist)
        body = parts[name].split(b"?>", 1)[-1] if parts[name].startswith(b"<?xml") else parts[name]
        parts[name] = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + body
    else:
        parts[name] = _mutate(parts[name], draw)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, v in parts.items():
            zf.writestr(n, v)
    return buf.getvalue()


@given(data=st.data())
@FUZZ
def test_transcript_importers_fail_only_with_named_errors(fuzz_project, tmp_path_factory, data):
    fmt = data.draw(st.sampled_from(sorted(SEEDS)))
    seed = SEEDS[fmt]
    raw = _mutate_zip(seed, data.draw) if fmt == "docx" else _mutate(seed, data.draw)
    path = tmp_path_factory.mktemp("in") / f"entretien-fuzz.{fmt}"
    path.write_bytes(raw)
    _check(f"parse:{fmt}", path, fuzz_project, lambda: parse_bytes(raw, str(path), fmt))
    # through the project: a bad file is skipped, nothing of it stored
    before = snapshot(fuzz_project.root)
    with _undone(fuzz_project):  # read: taken out again, every example starts from the same project
        report = import_paths(fuzz_project, [str(path)])
        if report.skipped:
            assert snapshot(fuzz_project.root) == before


def _sheet_rows(draw) -> list[list[str]]:
    width = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=width, max_size=width))
    body = draw(st.lists(st.lists(CELLS, min_size=0, max_size=width + 1), max_size=5))
    return [header, *body]


def _csv_bytes(rows: list[list[str]], draw) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t"]))
    text = "\r\n".join(sep.join(f'"{c}"' if draw(st.booleans()) else c for c in row) for row in rows)
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])), errors="replace")
    return _mutate(data, draw) if draw(st.integers(0, 3)) == 0 else data


def _xlsx_bytes(rows: list[list[str]], draw) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = draw(st.sampled_from(["review", "reconcile", "Sheet"]))
    for row in rows:  # (openpyxl refuses control characters and cells over 32,767 characters)
        ws.append([xml_safe(c)[:32_000] for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    return _mutate_zip(data, draw) if draw(st.booleans()) else data


@given(data=st.data())
@FUZZ
def test_sheets_fail_only_with_named_errors(fuzz_project, tmp_path_factory, data):
    rows = _sheet_rows(data.draw)
    suffix = data.draw(st.sampled_from([".csv", ".xlsx"]))
    raw = _csv_bytes(rows, data.draw) if suffix == ".csv" else _xlsx_bytes(rows, data.draw)
    path = tmp_path_factory.mktemp("sheet") / f"sheet{suffix}"
    path.write_bytes(raw)
    target = data.draw(st.sampled_from(["cases", "review", "reconcile"]))
    project = fuzz_project
    if target == "cases":
        def run():
            with _undone(project):
                import_cases(project, path)
    elif target == "review":
        def run():
            import_review(project, path, dry_run=True)
    else:
        def run():
            import_decisions(project, plan(project, ["ana", "ben"]), path, dry_run=True)
    _check(f"{target}{suffix}", path, project, run)
