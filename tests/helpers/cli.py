"""Running the CLI in-process, as a user would from a project folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from typer.testing import CliRunner

from qualcode.cli import app


class Runner:
    """Runs the CLI in-process from a given folder; returns click's Result.

    ``env`` adds to (a value None: removes from) the environment of each run, on top of
    ``COLUMNS=200`` so that rich does not wrap lines at the terminal's width."""

    def __init__(self, cwd: Path, env: Mapping[str, str | None] | None = None):
        self.cwd = cwd
        self.env = {"COLUMNS": "200", **(env or {})}
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            return self.runner.invoke(app, [str(a) for a in args], input=input, env=self.env)
        finally:
            os.chdir(old)
