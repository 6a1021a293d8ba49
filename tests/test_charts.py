"""`qualcode chart freq|cooccurrence` and qualcode.exporters.charts, on a small coded project.

The project (tests/helpers/figures.py, built once per module, read only): three interviews,
coded by rules per speaker turn with a codebook whose labels have accents and whose codes
have colours.

    P01 local_actor  a.txt: turn "fosse" (memoire), turn "fierté" (fierte)
    P02 resident     b.txt: turn "fosse" (memoire)
    P03 resident     c.txt: turn "emploi" (emploi)

Hand-computed, by group (local_actor n=1, resident n=2):
    identite (parent of memoire, fierte): local 1/1 = 100 %, resident 1/2 = 50 %; units 2 / 1
    memoire: local 100 %, resident 50 %; units 1 / 1
    fierte: local 100 %, resident 0 %; units 1 / 0
    avenir (parent of emploi) and emploi: local 0 %, resident 50 %; units 0 / 1
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import Runner, assert_offsets_sacred
from helpers.figures import PNG_SIGNATURE, build

from qualcode.project import Project


@pytest.fixture(scope="module")
def coded_root(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("charts"))


@pytest.fixture
def run(coded_root) -> Runner:
    return Runner(coded_root)


@pytest.fixture
def coded(coded_root):
    with Project.open(coded_root) as project:
        yield project


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt/iTXt chunks of a PNG."""
    import zlib

    out, i = {}, 8
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if kind == b"tEXt":
            k, v = body.split(b"\0", 1)
            out[k.decode("latin-1")] = v.decode("latin-1")
        elif kind == b"iTXt":
            k, rest = body.split(b"\0", 1)
            compressed = rest[0]
            rest = rest[2:]
            _, rest = rest.split(b"\0", 1)
            _, text = rest.split(b"\0", 1)
            out[k.decode("latin-1")] = (zlib.decompress(text) if compressed else text).decode("utf-8")
        i += 12 + n
    return out


# --------------------------------------------------------------------------- data


def test_fixture_codings_are_as_documented(coded):
    rows = coded.store.execute("SELECT d.name, c.path, k.text FROM codings k JOIN codes c ON c.id = k.code_id "
                               "JOIN documents d ON d.id = k.document_id ORDER BY d.name, k.start").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("a", "identite/memoire"), ("a", "identite/fierte"),
                                            ("b", "identite/memoire"), ("c", "avenir/emploi")]
    assert_offsets_sacred(coded)


def test_freq_bar_data_values_labels_colours(coded):
    from qualcode.analysis.freq import freq_report
    from qualcode.exporters.charts import code_colors, freq_bar_data

    colors = code_colors(coded)
    # fierte has no colour: it takes its parent's
    assert colors["identite/fierte"] == "#1f77b4"
    data = freq_bar_data(freq_report(coded, "group"), colors=colors)
    assert data.labels == ["Identité", "Mémoire minière", "Fierté et appartenance", "Avenir du territoire",
                           "Emploi"]  # the "(all codes)" row is not charted
    assert data.depths == [0, 1, 1, 0, 1]
    assert data.groups == ["local_actor (n\u00a0=\u00a01)", "resident (n\u00a0=\u00a02)"]
    assert data.values == [[100.0, 50.0], [100.0, 50.0], [100.0, 0.0], [0.0, 50.0], [0.0, 50.0]]
    assert data.colors == ["#1f77b4", "#08306b", "#1f77b4", "#2ca02c", "#bcbd22"]
    assert data.annotations[0] == ["100% (1)", "50% (1)"]
    assert data.percent

    units = freq_bar_data(freq_report(coded, "group"), measure="units")
    assert units.values == [[2.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    assert not units.percent
    assert units.groups == ["local_actor", "resident"]


def test_cooc_heatmap_data_hand_computed(coded):
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.exporters.charts import cooc_heatmap_data

    data = cooc_heatmap_data(cooccurrence(coded, unit="doc")[0])
    assert data.rows == data.columns == ["Identité", "Mémoire minière", "Fierté et appartenance",
                                         "Avenir du territoire", "Emploi"]
    # documents: identite {a, b}, memoire {a, b}, fierte {a}, avenir {c}, emploi {c}
    assert data.values == [
        [2, None, None, 0, 0],
        [None, 2, 1, 0, 0],
        [None, 1, 1, 0, 0],
        [0, 0, 0, 1, None],
        [0, 0, 0, None, 1],
    ]
    assert data.mask_diagonal and data.depths == [0, 1, 1, 0, 1]
    # in turns, fosse and fierté never share a turn
    turns = cooc_heatmap_data(cooccurrence(coded, unit="turn")[0])
    assert turns.values[1][2] == 0 and turns.values[1][1] == 2


# --------------------------------------------------------------------------- files through the CLI


def test_chart_freq_png(run, coded_root, tmp_path):
    out = tmp_path / "codes.png"
    res = run("chart", "freq", "--by", "group", "--output", out)
    assert res.exit_code == 0, res.output
    assert f"wrote bar chart of codes by group (participants) to {out}" in res.stdout
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 10_000
    width, height = png_size(data)
    assert width == int(16 / 2.54 * 200)  # the A4 text block (16 cm) at 200 dpi
    assert height > 2.0 * 200
    desc = png_text(data)["Description"]
    assert "command: qualcode chart freq --by group --measure participants --output" in desc
    assert "codebook: Codebook des figures (version " in desc
    assert "project: Projet d'essai" in desc
    assert [p.name for p in tmp_path.iterdir()] == ["codes.png"]  # no temporary file left


def test_chart_refuses_to_overwrite_without_force(run, tmp_path):
    out = tmp_path / "codes.png"
    out.write_bytes(b"not a chart")
    res = run("chart", "freq", "--output", out)
    assert res.exit_code == 1
    assert "already exists (use --force to overwrite it)" in res.output
    assert out.read_bytes() == b"not a chart"
    res = run("chart", "freq", "--output", out, "--force")
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes.png"]


def test_chart_cooccurrence_svg_parses_and_has_labels(run, tmp_path):
    out = tmp_path / "cooc.svg"
    res = run("chart", "cooccurrence", "--unit", "turn", "--output", out, "--json")
    assert res.exit_code == 0, res.output
    import json

    info = json.loads(res.stdout)
    assert info["format"] == "svg" and info["bytes"] == out.stat().st_size
    assert "unit=turn" in info["provenance"]["filters"]
    text = out.read_text(encoding="utf-8")
    assert len(text.encode()) > 10_000
    root = ET.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # text is drawn as paths (no font needed to view it); matplotlib keeps it in comments
    for label in ("Mémoire minière", "Fierté et appartenance", "Avenir du territoire"):
        assert re.search(rf"<!-- \d+\. {label} -->", text)  # rows numbered as the columns
    assert "qualcode chart cooccurrence --unit turn" in text  # provenance in the metadata


def test_chart_freq_svg_uses_code_colours(run, tmp_path):
    out = tmp_path / "codes.svg"
    res = run("chart", "freq", "--measure", "units", "--output", out)
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    ET.fromstring(text)
    assert len(text.encode()) > 10_000
    for colour in ("#08306b", "#2ca02c", "#bcbd22"):  # first group: the code's own colour
        assert f"fill: {colour}" in text
    assert "<!-- Mémoire minière -->" in text


def test_chart_by_group_heatmaps_stacked(run, tmp_path):
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    assert run("chart", "cooccurrence", "--unit", "doc", "--output", one).exit_code == 0
    res = run("chart", "cooccurrence", "--unit", "doc", "--by", "group", "--output", two)
    assert res.exit_code == 0, res.output
    (w1, h1), (w2, h2) = png_size(one.read_bytes()), png_size(two.read_bytes())
    assert w2 == w1 and h2 > h1  # two panels, one above the other, each as wide as the page


def test_chart_errors_are_one_line_and_write_nothing(run, tmp_path):
    res = run("chart", "freq", "--output", tmp_path / "codes.gif")
    assert res.exit_code == 2
    assert "unsupported chart format .gif (use .png, .svg or .pdf)" in res.output
    res = run("chart", "freq", "--width", "3", "--output", tmp_path / "codes.png")
    assert res.exit_code == 2 and "--width 3: give the printed width in cm, between 6 and 30" in res.output
    res = run("chart", "freq", "--by", "commune", "--output", tmp_path / "codes.png")
    assert res.exit_code == 1
    assert "no case has an attribute 'commune'" in res.output
    assert "Traceback" not in res.output
    res = run("chart", "freq", "--measure", "words", "--output", tmp_path / "codes.png")
    assert res.exit_code == 2
    res = run("chart", "cooccurrence", "--unit", "page", "--output", tmp_path / "c.png")
    assert res.exit_code == 2
    res = run("chart", "freq", "--output", tmp_path / "missing" / "codes.png")
    assert res.exit_code == 1 and "does not exist" in res.output
    assert list(tmp_path.iterdir()) == []


def test_charts_are_deterministic(coded, tmp_path):
    from qualcode.analysis.cooccurrence import cooccurrence
    from qualcode.analysis.freq import freq_report
    from qualcode.exporters.base import provenance_for
    from qualcode.exporters.charts import bar_chart_codes_by_group, code_colors, heatmap_cooccurrence

    prov = provenance_for(coded, "test")
    table = freq_report(coded, "group")
    cooc = cooccurrence(coded, unit="turn")
    for ext in ("png", "svg"):
        a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
        bar_chart_codes_by_group(table, a, colors=code_colors(coded), provenance=prov)
        bar_chart_codes_by_group(table, b, colors=code_colors(coded), provenance=prov)
        assert a.read_bytes() == b.read_bytes()
        c, d = tmp_path / f"c.{ext}", tmp_path / f"d.{ext}"
        heatmap_cooccurrence(cooc, c, provenance=prov)
        heatmap_cooccurrence(cooc, d, provenance=prov)
        assert c.read_bytes() == d.read_bytes()
    assert_offsets_sacred(coded)


def test_many_groups_fall_back_to_group_colours(tmp_path):
    from qualcode.exporters.charts import BarData, draw_grouped_bars, save_figure

    data = BarData(labels=["Mémoire", "Fierté"], groups=[f"g{i}" for i in range(5)],
                   values=[[10, 20, 30, 40, 50], [50, 40, 30, 20, 10]], colors=["#08306b", "#d62728"])
    out = save_figure(draw_grouped_bars(data), tmp_path / "five.svg")
    text = out.read_text(encoding="utf-8")
    assert "fill: #08306b" not in text  # five groups: one colour per group, not per code
    assert "fill: #0072b2" in text.lower()


def test_charts_need_no_display_and_no_pyplot(coded_root, tmp_path):
    """In a fresh process without DISPLAY: Agg backend, pyplot never imported."""
    out = tmp_path / "codes.png"
    script = (
        "import sys, matplotlib\n"
        "from qualcode.project import Project\n"
        "from qualcode.exporters.charts import chart_freq\n"
        f"p = Project.open({str(coded_root)!r})\n"
        f"chart_freq(p, {str(out)!r})\n"
        "print(matplotlib.get_backend().lower(), 'matplotlib.pyplot' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["agg", "False"]
    assert out.read_bytes()[:8] == PNG_SIGNATURE
