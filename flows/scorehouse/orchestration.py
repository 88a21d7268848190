"""How the refresh's steps run: as Prefect flow and task runs when a Prefect server records them, as plain
calls in this process otherwise.

Prefect records runs in an API server. `scorehouse serve` has one (its schedule lives there), and so has a
team that sets PREFECT_API_URL: there a refresh is a Prefect flow run and each step a task run, shown in the
Prefect UI. Without one, Prefect would start a temporary server for every run, which took 10 to 27 s on a
quiet 2-core machine (more under load, and it could fail to start), longer than a refresh with no new data
takes, to keep a record nobody sees once the server stops. So a run without a Prefect server calls the same
steps in this process, and logs how long each took. The project's run log records every run either way.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from prefect import Flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext
from prefect.settings import PREFECT_API_URL

Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")

# the steps' log when no Prefect run records them; `scorehouse` commands print it (scorehouse.cli)
STEP_LOGGER = logging.getLogger("scorehouse.refresh")
TRANSIENT_RETRIES = 2
TRANSIENT_RETRY_DELAY_SECONDS = 5


def in_prefect_run() -> bool:
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run's logger inside a Prefect run (its lines reach the Prefect UI), the steps' log otherwise."""
    return get_run_logger() if in_prefect_run() else STEP_LOGGER


def retrying(
    function: Callable[Parameters, Result], is_transient: Callable[[BaseException], bool]
) -> Callable[Parameters, Result]:
    """`function`, called again up to TRANSIENT_RETRIES times after an error that `is_transient` says a retry
    can clear (a file lock, an I/O hiccup); any other error stops at once."""

    @functools.wraps(function)
    def call(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        for attempt in range(TRANSIENT_RETRIES):
            try:
                return function(*args, **kwargs)
            except Exception as error:
                if not is_transient(error):
                    raise
                run_logger().warning(
                    "%s: %s; retrying in %d s (retry %d of %d)",
                    function.__name__, error, TRANSIENT_RETRY_DELAY_SECONDS, attempt + 1, TRANSIENT_RETRIES,
                )
                time.sleep(TRANSIENT_RETRY_DELAY_SECONDS)
        return function(*args, **kwargs)

    return call


def step(
    is_transient: Callable[[BaseException], bool] | None = None,
) -> Callable[[Callable[Parameters, Result]], Callable[Parameters, Result]]:
    """Makes a function a step of a flow: a Prefect task run inside a Prefect run, otherwise a plain call that
    logs `<step> finished after <seconds> s` (or `failed after`). With `is_transient`, the step is retried
    after the errors it names."""

    def decorate(function: Callable[Parameters, Result]) -> Callable[Parameters, Result]:
        body = function if is_transient is None else retrying(function, is_transient)
        prefect_task = task(body, name=function.__name__, cache_policy=NO_CACHE)

        @functools.wraps(function)
        def run_step(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
            if in_prefect_run():
                return prefect_task(*args, **kwargs)
            started = time.monotonic()
            outcome = "failed"
            try:
                result = body(*args, **kwargs)
                outcome = "finished"
                return result
            finally:
                STEP_LOGGER.info("%s %s after %.1f s", function.__name__, outcome, time.monotonic() - started)

        return run_step

    return decorate


def recorded_by_prefect_when_configured(prefect_flow: Flow[Parameters, Result]) -> Callable[Parameters, Result]:
    """The flow as scorehouse's commands call it: a Prefect flow run when a Prefect server records it
    (PREFECT_API_URL is set, or the caller is itself a Prefect run), otherwise its function, called here."""

    @functools.wraps(prefect_flow.fn)
    def run(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        if PREFECT_API_URL.value() or in_prefect_run():
            return prefect_flow(*args, **kwargs)
        return prefect_flow.fn(*args, **kwargs)

    return run
