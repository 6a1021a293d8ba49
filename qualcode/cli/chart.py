"""qualcode chart freq | cooccurrence: standalone figures (PNG, SVG or PDF) for a thesis."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli import app
from qualcode.cli._util import (
    AllowLeaksOpt,
    JsonOpt,
    ProjectOpt,
    PseudoOpt,
    console,
    is_stdout,
    open_project,
    print_json,
    privacy_notes,
)
from qualcode.errors import UsageError
from qualcode.exporters.charts import WIDTH_CM, chart_cooccurrence, chart_freq
from qualcode.pseudo.guard import export_privacy

chart_app = typer.Typer(
    help="Draw figures of the analyses as PNG (200 dpi), SVG or PDF, chosen by the output's extension, "
         "at the width they are printed (--width): no text under 7 pt. No display needed; files are "
         "never overwritten without --force.",
    no_args_is_help=True,
)
app.add_typer(chart_app, name="chart")

OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="The figure to write: FILE.png, FILE.svg or FILE.pdf.",
                                         show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]
LangOpt = Annotated[str | None, typer.Option(
    "--lang", help="Language of the chart's words and numbers: fr | en (default: [export] language, else "
                   "the project's language).", show_default=False)]
LevelOpt = Annotated[str, typer.Option("--level", help="all (codes and sub-codes) | top (top-level codes only).")]
StatusOpt = Annotated[list[str] | None, typer.Option(
    "--status", help="Coding statuses counted (repeatable or comma-separated; default: proposed and accepted).",
    show_default=False)]
WidthOpt = Annotated[float, typer.Option(
    "--width", help="Width the figure is printed at, in cm (default: the text block of A4 with 2.5 cm margins; "
                    "16.6 for US letter). Text is drawn at 7 pt or more at that width.")]
CoderOpt = Annotated[list[str] | None, typer.Option(
    "--coder", help="Only the codings of this coder ('rules' or a person; repeatable).", show_default=False)]


def split_values(values: list[str] | None) -> list[str]:
    """Repeated options, each possibly comma-separated."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _command(name: str, options: list[tuple[str, object]], output: Path) -> str:
    """The command line recorded in the figure's provenance (first, refuses ``-o -``)."""
    if is_stdout(output):
        raise UsageError("--output -: a figure is a PNG, SVG or PDF file and cannot be written to standard "
                         "output; give a file name")
    args = ["qualcode", "chart", name]
    for opt, value in options:
        if value is None or value is False or value == []:
            continue
        if value is True:
            args.append(opt)
        elif isinstance(value, list):
            for v in value:
                args += [opt, str(v)]
        else:
            args += [opt, str(value)]
    return shlex.join([*args, "--output", str(output)])


def _done(output: Path, prov, json: bool, what: str) -> None:
    if json:
        print_json({"output": str(output), "format": output.suffix.lower().lstrip("."),
                    "bytes": output.stat().st_size, "provenance": prov.to_dict()})
        return
    console().print(f"wrote {what} to {output}", markup=False, highlight=False)


@chart_app.command("freq")
def chart_freq_cli(
    output: OutputOpt,
    by: Annotated[str, typer.Option("--by", help="Case attribute whose values are the groups.")] = "group",
    measure: Annotated[str, typer.Option(
        "--measure", help="participants (% of each group who mention the code) | units (coded passages).")]
    = "participants",
    level: LevelOpt = "all",
    status: StatusOpt = None,
    coder: CoderOpt = None,
    lang: LangOpt = None,
    width: WidthOpt = WIDTH_CM,
    force: ForceOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Grouped horizontal bars: for each code, the % of participants of each group who mention
    it (or the coded units), in the codebook's order and colours."""
    statuses, coders = split_values(status), split_values(coder)
    command = _command("freq", [("--by", by), ("--measure", measure), ("--level", level if level != "all" else None),
                                ("--status", statuses), ("--coder", coders), ("--lang", lang),
                                ("--width", None if width == WIDTH_CM else f"{width:g}")], output)
    with open_project(project) as proj, \
            export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks, command="chart freq") as privacy:
        path, prov = chart_freq(proj, output, by=by, measure=measure, level=level, statuses=statuses or None,
                                coders=coders or None, force=force, command=command, language=lang,
                                width_cm=width, pseudo=privacy.pseudo)
    if not json:
        privacy_notes(privacy)
    _done(path, prov, json, f"bar chart of codes by {by} ({measure})")


@chart_app.command("cooccurrence")
def chart_cooccurrence_cli(
    output: OutputOpt,
    by: Annotated[str | None, typer.Option(
        "--by", help="One heat map per value of this case attribute, stacked.", show_default=False)] = None,
    unit: Annotated[str, typer.Option(
        "--unit", help="Where two codes co-occur: sentence | turn | doc.")] = "sentence",
    jaccard: Annotated[bool, typer.Option("--jaccard", help="Jaccard index instead of counts.")] = False,
    level: LevelOpt = "all",
    status: StatusOpt = None,
    coder: CoderOpt = None,
    lang: LangOpt = None,
    width: WidthOpt = WIDTH_CM,
    force: ForceOpt = False,
    pseudo: PseudoOpt = None,
    allow_leaks: AllowLeaksOpt = False,
    json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Heat map of code co-occurrence: units (sentences, turns or documents) coded with both
    codes; the diagonal (units of each code) is greyed."""
    statuses, coders = split_values(status), split_values(coder)
    command = _command("cooccurrence", [("--by", by), ("--unit", unit), ("--jaccard", jaccard),
                                        ("--level", level if level != "all" else None),
                                        ("--status", statuses), ("--coder", coders), ("--lang", lang),
                                        ("--width", None if width == WIDTH_CM else f"{width:g}")],
                           output)
    with open_project(project) as proj, \
            export_privacy(proj, pseudo=pseudo, allow_leaks=allow_leaks,
                           command="chart cooccurrence") as privacy:
        path, prov = chart_cooccurrence(proj, output, by=by, unit=unit, jaccard=jaccard, level=level,
                                        statuses=statuses or None, coders=coders or None, force=force,
                                        command=command, language=lang, width_cm=width, pseudo=privacy.pseudo)
    if not json:
        privacy_notes(privacy)
    _done(path, prov, json, f"co-occurrence heat map ({unit} units" + (f", by {by})" if by else ")"))
