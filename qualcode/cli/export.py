"""qualcode export …: files for a thesis (``export excerpts``; other exports join this group).

Other command modules add their exports to the same group::

    from qualcode.cli.export import export_app

    @export_app.command("report")
    def report_cli(...): ...
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from qualcode.cli import ProjectOpt, app, console, open_project, print_json, split_values

export_app = typer.Typer(
    help="Write files for a thesis: coded excerpts (docx, md, tex, csv, xlsx) and more. "
         "Every file records what produced it and is never overwritten without --force.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]


@export_app.command("excerpts")
def excerpts_cli(
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write.", show_default=False)],
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="docx | md | tex | csv | xlsx (default: from the output's extension).",
        show_default=False)] = None,
    code: Annotated[Optional[List[str]], typer.Option(
        "--code", help="Code path, its sub-codes included (repeatable; default: every active code).",
        show_default=False)] = None,
    by: Annotated[Optional[str], typer.Option(
        "--by", help="Group the excerpts of each code by this case attribute (e.g. group).",
        show_default=False)] = None,
    coder: Annotated[Optional[List[str]], typer.Option(
        "--coder", help="Only the codings of this coder ('rules' or a person; repeatable).",
        show_default=False)] = None,
    status: Annotated[Optional[List[str]], typer.Option(
        "--status", help="Coding statuses to export (repeatable; default: proposed and accepted).",
        show_default=False)] = None,
    max_: Annotated[Optional[int], typer.Option(
        "--max", help="A random sample of at most N excerpts per code (and per value of --by).",
        show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option(
        "--seed", help="Seed of the --max sample: the same seed gives the same excerpts (default: drawn "
                       "and recorded).", show_default=False)] = None,
    force: ForceOpt = False,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary of what was written.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Coded excerpts, code by code, with citations (docx, md, tex, csv, xlsx).

    One section per code, following the code tree, with its label and definition, then its
    excerpts (grouped by the value of --by) as block quotes with a citation:
    « … » (P07, Josiane, resident, entretien_07, tour 12, 00:14:32).
    DOCX uses Word's built-in styles (Heading 1-3, Quote, Table Grid).
    """
    from qualcode.errors import UsageError
    from qualcode.exporters.excerpts import DEFAULT_STATUSES, export_excerpts, output_format

    if seed is not None and max_ is None:
        raise UsageError("--seed only applies with --max N")
    fmt = output_format(output, fmt)
    if max_ is not None and seed is None:  # drawn here so that the recorded command holds it
        import random

        seed = random.SystemRandom().randrange(1, 1_000_000)
    codes, coders, statuses = (split_values(code) or []), (split_values(coder) or []), (split_values(status) or []) or list(DEFAULT_STATUSES)
    with open_project(project) as proj:
        data, prov = export_excerpts(
            proj, output, fmt, codes=codes or None, by=by, coders=coders or None, statuses=statuses,
            max_per_code=max_, seed=seed, force=force,
            command=_command(output, fmt, codes, by, coders, status and statuses, max_, seed))
    if json:
        print_json({"output": str(output), "format": fmt, **data.to_dict(), "provenance": prov.to_dict()})
        return
    out = console()
    sample = ""
    if data.max_per_code:
        per = " and value" if data.by else ""
        sample = f" (sample: at most {data.max_per_code} per code{per}, seed {data.seed})"
    n = len(data.codes)
    out.print(f"wrote {data.shown} of {data.total} excerpts of {n} code{'s' if n != 1 else ''} to {output}{sample}",
              markup=False, highlight=False)
    if not data.total:
        console(stderr=True).print("warning: no coding matches the filters: the file lists the codes only",
                                   markup=False)


def _command(output, fmt, codes, by, coders, statuses, max_, seed) -> str:
    args = ["qualcode", "export", "excerpts"]
    for c in codes:
        args += ["--code", c]
    if by:
        args += ["--by", by]
    for c in coders:
        args += ["--coder", c]
    for s in statuses or []:
        args += ["--status", s]
    if max_ is not None:
        args += ["--max", str(max_)]
    if seed is not None:
        args += ["--seed", str(seed)]
    args += ["--format", fmt, "--output", str(output)]
    return shlex.join(args)
