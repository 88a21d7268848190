"""Scheduled refreshes: the deployment `scorehouse serve` registers, checked on a real Prefect server over HTTP,
and the deployment that `prefect.yaml` declares for teams with their own server."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint
from prefect.settings import PREFECT_API_URL, temporary_settings

from scorehouse.dbt_runner import PROJECT_DIR
from scorehouse.schedule import InvalidSchedule, PrefectApi, prefect_api, refresh_deployment


@pytest.fixture
def no_configured_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hides any Prefect API this session already points to (the test harness of other tests, or the
    caller's PREFECT_API_URL), so that a local server has to be started; restored when the test ends."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield


def test_the_schedule_registers_with_its_cron_timezone_and_concurrency_limit(
    tmp_path: Path, no_configured_api: None
) -> None:
    with prefect_api(tmp_path / "server") as api:
        assert api.started_locally
        with prefect_api(tmp_path / "second-server") as configured:
            assert configured == PrefectApi(api.url, started_locally=False)
        assert not (tmp_path / "second-server").exists(), "a second server was started despite a configured API"

        deployment = refresh_deployment(
            name="weekday-mornings",
            data_dir=tmp_path / "data",
            warehouse_dir=tmp_path / "warehouse",
            dbt_vars={"as_of_date": "2025-06-30", "rfm_bucket_count": 4},
            cron="30 5 * * 1-5",
            timezone="Europe/Berlin",
            target_name="postgres",
        )
        deployment.apply()
        with get_client(sync_client=True) as client:
            registered = client.read_deployment_by_name("refresh-scores/weekday-mornings")

    [schedule] = registered.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 5 * * 1-5", "Europe/Berlin")
    assert schedule.active
    assert registered.global_concurrency_limit is not None
    assert registered.global_concurrency_limit.limit == 1
    assert registered.parameters == {
        "data_dir": str((tmp_path / "data").resolve()),
        "warehouse_dir": str((tmp_path / "warehouse").resolve()),
        "dbt_vars": {"as_of_date": "2025-06-30", "rfm_bucket_count": 4},
        "target_name": "postgres",
        # a refresh `serve --watch` started, outside Prefect's queue, delays a scheduled run rather than failing it
        "wait_for_running_refresh": True,
    }
    assert registered.entrypoint == "scorehouse.scoring_flow.refresh_flow"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{api.url}/health", timeout=2)


@pytest.mark.parametrize(
    ("cron", "timezone", "message"),
    [
        ("0 25 * * *", "UTC", 'Invalid cron string: "0 25 * * *"'),
        ("0 6 * * *", "Europe/Atlantis", 'Invalid timezone: "Europe/Atlantis"'),
    ],
)
def test_an_invalid_schedule_is_refused_before_any_server_is_involved(
    tmp_path: Path, cron: str, timezone: str, message: str
) -> None:
    with pytest.raises(InvalidSchedule, match=re.escape(message)):
        refresh_deployment("bad", tmp_path / "data", tmp_path / "warehouse", {}, cron, timezone, "duckdb")


def test_prefect_yaml_deploys_the_refresh_flow_on_a_valid_schedule_one_run_at_a_time() -> None:
    config = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text())
    [deployment] = config["deployments"]
    flow = load_flow_from_entrypoint(str(PROJECT_DIR / deployment["entrypoint"]))
    assert flow.name == "refresh-scores"
    assert set(deployment["parameters"]) <= set(inspect.signature(flow.fn).parameters)
    [schedule] = deployment["schedules"]
    CronSchedule(**schedule)
    assert deployment["concurrency_limit"] == 1
    assert [list(step) for step in config["pull"]] == [["prefect.deployments.steps.set_working_directory"]]
