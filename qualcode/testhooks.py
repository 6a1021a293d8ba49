"""Hooks for tests that need a real process to stop at a precise point (issue 16).

Nothing happens unless the environment asks for it, which only tests do:

* ``QUALCODE_TEST_KILL_AT=<point>``: the process kills itself (SIGKILL) at that point,
  as a power cut or ``kill -9`` would, to test what the next command finds;
* ``QUALCODE_TEST_PAUSE_AT=<point>`` with ``QUALCODE_TEST_PAUSE_FILE=<path>``: at that
  point the process creates ``<path>.reached`` and waits (up to a minute) until
  ``<path>.go`` exists, so that a test can run another command in between.

The points are named where they are called (``revision-yaml-replaced``,
``autocode-codebook-read``…).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

KILL_ENV = "QUALCODE_TEST_KILL_AT"
PAUSE_ENV = "QUALCODE_TEST_PAUSE_AT"
PAUSE_FILE_ENV = "QUALCODE_TEST_PAUSE_FILE"


def kill_point(name: str) -> None:
    """SIGKILL this process here if ``$QUALCODE_TEST_KILL_AT`` names this point."""
    if os.environ.get(KILL_ENV) == name:
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)


def pause_point(name: str) -> None:
    """Wait here for the test's go-ahead if ``$QUALCODE_TEST_PAUSE_AT`` names this point
    (once per process: the point is then forgotten)."""
    if os.environ.get(PAUSE_ENV) != name or not os.environ.get(PAUSE_FILE_ENV):
        return
    del os.environ[PAUSE_ENV]
    base = os.environ[PAUSE_FILE_ENV]
    Path(f"{base}.reached").write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 60
    while not Path(f"{base}.go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
