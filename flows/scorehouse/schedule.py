"""Scheduled refreshes: the refresh flow as a Prefect deployment with a cron schedule, served by this process.

A schedule lives in a Prefect API server, whose scheduler creates the runs that this process then picks up
and executes. `PREFECT_API_URL` (environment or Prefect profile) names a server to register with; without
one, a local server is started for as long as the schedule is served.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import httpx
from prefect import serve
from prefect.client.schemas.schedules import CronSchedule
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, Schedule
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings
from pydantic import ValidationError

from scorehouse.errors import UserFacingError
from scorehouse.scoring_flow import refresh_flow

LOCAL_HOST = "127.0.0.1"
# refreshes of one warehouse must queue, not overlap: Prefect queues the deployment's runs, and each run waits
# for the warehouse's file lock, which the refreshes `serve --watch` starts outside Prefect take too
DEPLOYMENT_CONCURRENCY_LIMIT = 1
SERVER_STOP_TIMEOUT_SECONDS = 15.0
HEALTH_POLL_INTERVAL_SECONDS = 0.25


class InvalidSchedule(UserFacingError, ValueError):
    """The cron string or the timezone of a schedule is not valid."""


class PrefectServerFailed(UserFacingError, RuntimeError):
    """The local Prefect server exited or did not answer its health check in time."""


@dataclass(frozen=True)
class PrefectApi:
    url: str
    started_locally: bool


def validated_schedule(cron: str, timezone: str) -> Schedule:
    """Checks the cron string and the timezone the way the server will, so a typo fails at start-up rather
    than when the deployment is registered."""
    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValidationError as error:
        raise InvalidSchedule(error.errors()[0]["msg"].removeprefix("Value error, ")) from error
    return Cron(cron, timezone=timezone)


def refresh_deployment(
    name: str,
    data_dir: Path,
    warehouse_dir: Path,
    dbt_vars: Mapping[str, Any],
    cron: str,
    timezone: str,
    target_name: str,
) -> RunnerDeployment:
    """The refresh flow as a deployment: runs on `cron` in `timezone`, one at a time, each waiting for any
    other refresh of the warehouse directory to finish.

    Paths are made absolute because scheduled runs execute in their own process, whose working directory is
    not the caller's. The entrypoint is the installed module, so runs do not depend on that directory either.
    """
    parameters = {
        "data_dir": str(data_dir.resolve()),
        "warehouse_dir": str(warehouse_dir.resolve()),
        "dbt_vars": dict(dbt_vars),
        "target_name": target_name,
        "wait_for_running_refresh": True,
    }
    return refresh_flow.to_deployment(
        name=name,
        schedule=validated_schedule(cron, timezone),
        concurrency_limit=DEPLOYMENT_CONCURRENCY_LIMIT,
        parameters=parameters,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def free_local_port() -> int:
    """A port nobody listens on now; the OS picks it, so two local servers never race for a fixed one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCAL_HOST, 0))
        return probe.getsockname()[1]


def wait_until_healthy(api_url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    """Blocks until the server answers its health endpoint; the server needs a few seconds to migrate its
    database and start its services, more on a busy machine."""
    allowance = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    deadline = time.monotonic() + allowance
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise PrefectServerFailed(f"the local Prefect server exited with code {server.returncode}; see {log_path}")
        try:
            if httpx.get(f"{api_url}/health", timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(HEALTH_POLL_INTERVAL_SECONDS)
    raise PrefectServerFailed(
        f"the local Prefect server did not answer within {allowance} s; see {log_path}, and set "
        "PREFECT_API_URL to a running Prefect server or raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stops the server's whole process group, so no process it started outlives it."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@contextmanager
def local_prefect_server(home: Path) -> Iterator[str]:
    """Runs `prefect server start` on a free local port until the context ends; yields its API URL.

    `home` holds the server's SQLite database (schedules and run history survive restarts) and its log.
    The server runs in its own session: Ctrl-C reaches this process, which then stops the server itself.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_local_port()
    api_url = f"http://{LOCAL_HOST}:{port}/api"
    log_path = home / "server.log"
    environment = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    environment.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", LOCAL_HOST, "--port", str(port)]
    with log_path.open("ab") as log:
        server = subprocess.Popen(
            command, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(api_url, server, log_path)
        yield api_url
    finally:
        stop_server(server)


@contextmanager
def prefect_api(server_home: Path) -> Iterator[PrefectApi]:
    """The configured Prefect API if there is one, else a local server pointed to for this process (and the
    run processes it starts, which inherit Prefect's settings) until the context ends."""
    configured_url = PREFECT_API_URL.value()
    if configured_url:
        yield PrefectApi(configured_url, started_locally=False)
        return
    with local_prefect_server(server_home) as api_url, temporary_settings(updates={PREFECT_API_URL: api_url}):
        yield PrefectApi(api_url, started_locally=True)


def exit_on_sigterm(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def serve_refreshes(deployment: RunnerDeployment, server_home: Path) -> None:
    """Registers the deployment and executes its scheduled runs until interrupted; the schedule is paused on
    the way out, so the server does not queue runs that nobody will execute."""
    # a SIGTERM before Prefect's runner installs its own handler must still unwind, so the local server stops
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    with prefect_api(server_home) as api:
        if api.started_locally:
            print(
                f"Started a local Prefect server: UI {api.url.removesuffix('/api')}, log {server_home / 'server.log'}\n"
                f"To reach it from another shell: export PREFECT_API_URL={api.url}"
            )
        else:
            print(f"Registering with the Prefect server at {api.url}")
        serve(deployment)
