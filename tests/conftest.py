"""Shared fixtures: a fresh project in a temporary folder and a CLI runner.

Helpers that tests import (factories, data sets, database checks) live in tests/helpers;
this file only declares fixtures."""

from __future__ import annotations

import pytest
from helpers import Runner

from qualcode.project import Project


@pytest.fixture(autouse=True)
def _user(monkeypatch, tmp_path):
    monkeypatch.setenv("QUALCODE_USER", "tester")
    # keys made without --key (qualcode pseudo) go to a data folder of the test, never the user's
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_DEBUG", raising=False)


@pytest.fixture
def project(tmp_path) -> Project:
    proj = Project.init(tmp_path / "proj", language="fr")
    yield proj
    proj.close()


@pytest.fixture
def cli(project) -> Runner:
    """CLI runner whose current folder is the test project."""
    return Runner(project.root)
