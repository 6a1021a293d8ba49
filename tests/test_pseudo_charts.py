"""Charts are audited from what they draw: every text of the figure (titles, tick labels,
legend, annotations, colour bar, notes) and its metadata goes through the
re-identification audit before the file is put in place — PNG, SVG and PDF alike — with
the same refusal, ``--allow-leaks`` and history entry as every other export. And
``pseudo audit`` says what it cannot read in pictures."""

from __future__ import annotations

import json

import pytest
from helpers.pseudo import build_pseudo_project

from qualcode.exporters.base import Provenance
from qualcode.exporters.charts import _matplotlib, figure_texts, save_figure
from qualcode.project import Project
from qualcode.pseudo.audit import LeakError
from qualcode.pseudo.guard import export_privacy


@pytest.fixture
def run(project, tmp_path):
    return build_pseudo_project(project, tmp_path)


def audits(run, command: str) -> list[dict]:
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    return [h for h in history if h["command"] == command]


@pytest.mark.parametrize("chart", ["freq", "cooccurrence"])
def test_a_pdf_chart_is_audited_too(run, tmp_path, chart):
    """A PDF was not read back by the audit before: now its drawn words are checked."""
    out = tmp_path / "figure.pdf"
    res = run("chart", chart, "--by", "commune", "-o", out)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    leaky = tmp_path / "fuite.pdf"
    res = run("chart", chart, "--by", "commune", "-o", leaky, "--no-pseudo")
    assert res.exit_code == 1 and not leaky.exists()
    assert "export refused" in res.output and f"{leaky}:" in res.output and "leak: Hénin-Beaumont" in res.output
    # the place says what is drawn where: the legend of the bars, the heading of each heat map
    assert (f"{leaky}:figure legend: leak: Hénin-Beaumont" if chart == "freq"
            else f"{leaky}:figure text: leak: Hénin-Beaumont") in res.output
    res = run("chart", chart, "--by", "commune", "-o", leaky, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0 and leaky.read_bytes().startswith(b"%PDF")
    assert "warning: written with leaks (--allow-leaks)" in res.output
    entries = audits(run, f"chart {chart}")
    assert [(h["details"]["refused"], h["details"]["allow_leaks"]) for h in entries] == [
        (False, False), (True, False), (False, True)]
    assert entries[0]["details"]["files"] == [str(out)] and entries[0]["details"]["counts"][0]["leak"] == 0
    assert entries[2]["details"]["counts"][0]["leak"] >= 1
    assert "written with leaks" in entries[2]["summary"]


def _figure(label: str):
    """A figure with ``label`` in one place only: an annotation (not a label the chart
    commands would have pseudonymized)."""
    _matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.bar(["a", "b"], [1, 2])
    ax.set_title("Répartition")
    ax.annotate(label, (0, 1))
    return fig


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_every_text_artist_is_audited_whatever_the_format(run, project, tmp_path, suffix):
    project = Project.open(project.root)  # with the key the commands added
    out = tmp_path / f"annotee.{suffix}"
    with pytest.raises(LeakError) as refused, \
            export_privacy(project, pseudo=False, command="chart test"):
        save_figure(_figure("chez Ferme Delcourt"), out)
    assert not out.exists() and not list(tmp_path.glob(".annotee*"))
    assert [f"{f.place}: {f.what}" for f in refused.value.report.leaks] == ["axes 1 annotation: Ferme Delcourt"]
    with export_privacy(project, pseudo=False, allow_leaks=True, command="chart test") as privacy:
        prov = Provenance(project="test", command="qualcode chart test")
        save_figure(_figure("chez Ferme Delcourt"), out, provenance=prov)
    assert out.exists() and [r.file for r in privacy.leaked] == [str(out)]
    places = {f.place for f in privacy.reports[0].findings}
    assert places == {"axes 1 annotation"}
    # a clean figure: audited, nothing found, written
    clean = tmp_path / f"propre.{suffix}"
    with export_privacy(project, pseudo=False, command="chart test") as privacy:
        save_figure(_figure("chez [une ferme]"), clean)
    assert clean.exists() and privacy.reports[0].units >= 4 and privacy.reports[0].leaks == []
    assert [h["details"]["refused"] for h in audits(run, "chart test")] == [True, False, False]


def test_figure_texts_names_each_place(tmp_path):
    _matplotlib()
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.barh(["Lens", "Liévin"], [3, 4], label="résidents")
    ax.set_xlabel("participants")
    ax.legend(title="groupe")
    fig.text(0, 0, "note")
    places = figure_texts(fig)
    assert ("axes 1 y tick label", "Lens") in places and ("axes 1 y tick label", "Liévin") in places
    assert ("axes 1 x axis label", "participants") in places
    assert ("axes 1 legend", "résidents") in places and ("axes 1 legend", "groupe") in places
    assert ("figure text", "note") in places
    # numeric ticks are laid out before they are read
    assert any(place == "axes 1 x tick label" and text for place, text in places)


def test_pseudo_audit_says_what_it_cannot_read_in_pictures(run, tmp_path):
    pdf = tmp_path / "autre.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    res = run("pseudo", "audit", pdf, "--no-ner")
    assert res.exit_code == 2
    assert "the text of a PDF file is not read" in res.output and "pdftotext" in res.output
    from PIL import Image

    png = tmp_path / "autre.png"  # a picture from another tool, without text chunks
    Image.new("RGB", (8, 8)).save(png)
    res = run("pseudo", "audit", png, "--no-ner")
    assert res.exit_code == 0, res.output
    assert "note: a PNG's pixels are not read" in res.output
    svg = tmp_path / "autre.svg"  # an SVG with its text as text elements: read
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text x="0" y="10">Martine Vasseur</text></svg>',
                   encoding="utf-8")
    res = run("pseudo", "audit", svg, "--no-ner")
    assert res.exit_code == 1 and "leak: Martine Vasseur" in res.output
    assert "letters drawn as paths" in res.output
