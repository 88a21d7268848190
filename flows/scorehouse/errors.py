"""The failures a user can cause and fix: bad input files, bad settings, data that fails a check, a busy
warehouse or orchestrator. Each one's message is the sentence the user reads, naming what to fix; a
traceback would only bury it, so the command line leaves it out (`--debug` keeps it)."""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure whose message tells the user what is wrong and what to do; not a defect of scorehouse."""
