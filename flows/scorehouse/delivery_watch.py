"""Refreshing as data lands: `scorehouse serve --watch` polls the data directory and refreshes once a new or
changed delivery file has stopped changing.

A file is told apart as the loader tells it (scorehouse.loading.LoadedFile): by path, size and modification
time, among the files a refresh would read (scorehouse.contract.candidate_files). A file still being written
changes size or modification time from one poll to the next, so a refresh starts only when every delivery
file is as it was at the previous poll. Polling needs nothing but the file system, and works on network
mounts where change notifications do not arrive.

One thread polls and runs the refreshes one after the other, so files that land during a refresh are read by
a single refresh after it. It does not need a Prefect server: it starts before `serve`'s server, and each
refresh is the flow's function in a process of its own (as a scheduled run is), which the watch can stop
when serving ends and whose crash cannot end the watch. Refreshes of other processes (the schedule's runs)
are seen through the warehouse directory's lock: the watcher refreshes only once they have finished.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from scorehouse.cli import omit_user_error_tracebacks, print_step_log, silence_standard_error
from scorehouse.contract import CONTRACT, candidate_files
from scorehouse.errors import UserFacingError
from scorehouse.loading import LoadedFile
from scorehouse.scoring_flow import refresh_flow, refresh_running
from scorehouse.warehouse_targets import WarehousePaths

logger = logging.getLogger("scorehouse.watch")
REFRESH_STOP_TIMEOUT_SECONDS = 15.0


class RefreshFailed(UserFacingError, RuntimeError):
    """A refresh the watcher started ended without publishing; the message is the refresh's own."""


def delivery_files(data_dir: Path) -> frozenset[LoadedFile]:
    """The files a refresh would read from `data_dir` now, each with its size and modification time."""
    files = set()
    for entity in CONTRACT:
        for path in candidate_files(data_dir, entity):
            try:
                files.add(LoadedFile.of(entity.name, path))
            except FileNotFoundError:  # removed or renamed since it was listed: the next poll sees where it went
                continue
    return frozenset(files)


class DeliveryWatch:
    """Decides, poll by poll, when a refresh is due: when the delivery files differ from those the last
    refresh started with and are exactly as they were at the previous poll."""

    def __init__(self) -> None:
        # nothing refreshed yet: the files present when watching starts count as landed
        self.refreshed: frozenset[LoadedFile] = frozenset()
        self.previous_poll: frozenset[LoadedFile] | None = None

    def is_due(self, files: frozenset[LoadedFile]) -> bool:
        unchanged_since_previous_poll = files == self.previous_poll
        self.previous_poll = files
        return unchanged_since_previous_poll and files != self.refreshed


class DeliveryWatcher:
    """Polls a data directory and runs `refresh` when a delivery landed, never while another refresh of the
    warehouse directory holds its lock. A failed refresh is logged, and the next change to the files
    triggers the next one: as for `scorehouse run`, a refused delivery stays refused until its files change."""

    def __init__(self, data_dir: Path, lock_path: Path, refresh: Callable[[], object]) -> None:
        self.data_dir = data_dir
        self.lock_path = lock_path
        self.refresh = refresh
        self.watch = DeliveryWatch()
        self.waiting_for_other_refresh = False

    def poll(self) -> bool:
        """Looks at the files once and refreshes when that is due; returns whether it refreshed."""
        files = delivery_files(self.data_dir)
        if not self.watch.is_due(files):
            return False
        if refresh_running(self.lock_path):
            if not self.waiting_for_other_refresh:
                logger.info("new files in %s; refreshing when the refresh that is running has finished", self.data_dir)
            self.waiting_for_other_refresh = True
            return False
        self.waiting_for_other_refresh = False
        landed = sorted({str(Path(file.path).relative_to(self.data_dir)) for file in files ^ self.watch.refreshed})
        logger.info(
            "refreshing for %d new, changed or removed file(s) in %s: %s", len(landed), self.data_dir, ", ".join(landed)
        )
        # what this refresh reads, whatever its outcome: only a change to the files triggers the next one
        self.watch.refreshed = files
        try:
            self.refresh()
        except UserFacingError as error:
            logger.error("the refresh failed: %s", error)
        except Exception:  # noqa: BLE001 - a defect in one refresh must not end the watch
            logger.exception("the refresh failed")
        return True


class RefreshProcesses:
    """Runs the refresh flow's function with fixed parameters, each time in a child process of its own
    (`python -m scorehouse.delivery_watch`), until stopped."""

    def __init__(self, parameters: Mapping[str, Any]) -> None:
        self.command = [sys.executable, "-m", __name__, json.dumps(dict(parameters))]
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.stopped = False

    def __call__(self) -> None:
        """Runs one refresh to its end; raises RefreshFailed with its message when it did not publish."""
        with self.lock:
            if self.stopped:
                return
            # a session of its own: Ctrl-C reaches serve, which then stops the refresh itself
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, start_new_session=True
            )
        failure, _ = self.process.communicate()
        if self.process.returncode != 0 and not self.stopped:
            raise RefreshFailed(
                failure.strip() or f"the refresh process ended with exit code {self.process.returncode}; see its log"
            )

    def stop(self) -> None:
        """Ends the refresh under way, as a killed refresh ends: nothing is published, and the next run
        records it as interrupted and starts over. SIGTERM ends it at once: unwinding would let dbt report
        the stop as a failed build."""
        with self.lock:
            self.stopped = True
            if self.process is None or self.process.poll() is not None:
                return
            self.process.terminate()
            try:
                self.process.wait(REFRESH_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def watch_until_stopped(watcher: DeliveryWatcher, poll_interval_seconds: float, stop: threading.Event) -> None:
    while not stop.wait(poll_interval_seconds):
        try:
            watcher.poll()
        except OSError as error:  # the data directory unreadable for a moment (a remount): try again next poll
            logger.warning("could not read %s: %s", watcher.data_dir, error)


@contextlib.contextmanager
def watching_deliveries(parameters: Mapping[str, Any], poll_interval_seconds: float) -> Iterator[threading.Thread]:
    """Polls the data directory of the refresh flow's `parameters` every `poll_interval_seconds` in a thread
    of its own and refreshes with those parameters as files land, until the context ends; yields the thread.
    A refresh under way is then stopped."""
    data_dir = Path(parameters["data_dir"])
    refresh = RefreshProcesses(parameters)
    watcher = DeliveryWatcher(data_dir, WarehousePaths(Path(parameters["warehouse_dir"])).lock, refresh)
    stop = threading.Event()
    thread = threading.Thread(
        target=watch_until_stopped, args=(watcher, poll_interval_seconds, stop), name="delivery-watch", daemon=True
    )
    logger.info("watching %s for new files every %g s", data_dir, poll_interval_seconds)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        refresh.stop()


def refresh_once(parameters_json: str) -> int:
    """One refresh of the watch, in the process RefreshProcesses started (with serve's environment, Prefect's
    settings included): its log goes to standard error, and the sentence that says why it failed, if it
    did, to standard output for the watcher to log."""
    print_step_log()
    omit_user_error_tracebacks()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            refresh_flow.fn(**json.loads(parameters_json))
    except UserFacingError as error:
        print(error)
        return 1
    return 0


if __name__ == "__main__":
    exit_code = refresh_once(sys.argv[1])
    atexit.register(silence_standard_error)
    sys.exit(exit_code)
