"""Every use case of the registry (critmat.usecases) gives the same JSON through the CLI
(``--format json``, in-process) and through the HTTP API (a job in the worker pool) for the same
request; wall-clock timings aside (``Outcome.volatile``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from critmat.api.app import ApiConfig, create_app
from critmat.api.auth import add_user
from critmat.cli.main import app as cli
from critmat.database import make_engine
from critmat.inventory.migrate import migrate
from critmat.services.policy import example_path
from critmat.usecases.outcome import Outcome
from critmat.usecases.registry import REGISTRY

PLAN_CONFIG = {"runs": 100, "eval_runs": 100, "batches": 2}


def _cases(tmp: Path) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Per kind: the CLI's arguments and the API's request body for the same question."""
    cfg = tmp / "plan.yaml"
    cfg.write_text(yaml.safe_dump(PLAN_CONFIG))
    text = {n: example_path(n).read_text() for n in ("teisberg1981", "lithium_schedule",
                                                       "gallium_release")}  # fmt: skip
    opts = tmp / "options.yaml"  # the shipped catalogue on fewer runs
    opts.write_text(yaml.safe_dump({**yaml.safe_load(example_path("gallium_options").read_text()),
                                    "runs": 60}))  # fmt: skip
    release = ["--material", "gallium", "--stock-t", "40", "--scenario", "GAGE-2023", "--runs",
               "50"]  # fmt: skip
    return {
        "supply": (["data", "show", "Co", "--stage", "mining", "--year", "2024"],
                   {"material": "Co", "stage": "mining", "year": 2024}),
        "assess": (["assess", "--holder", "EU27", "--year", "2023", "--method", "eu-crm"],
                   {"holder": "EU27", "year": 2023, "methods": ["eu-crm"]}),
        "loss": (["loss", "--holder", "USA", "--industries", "-m", "gallium"],
                 {"holder": "USA", "industries": True, "materials": ["gallium"]}),
        "simulate": (["simulate", "GR-2023", "--holder", "EU27", "--runs", "50"],
                     {"scenario": "GR-2023", "holder": "EU27", "runs": 50}),
        "plan": (["plan", "--holder", "EU27", "--budget", "1e9", "--config", str(cfg)],
                 {"holder": "EU27", "budget": 1e9, "config": PLAN_CONFIG}),
        "policy": (["optimize", "policy", "teisberg1981"], {"yaml": text["teisberg1981"]}),
        "schedule": (["optimize", "schedule", "lithium_schedule"],
                     {"yaml": text["lithium_schedule"]}),
        "coalition": (["optimize", "coalition", "coalition_gallium"],
                      {"exchange": json.loads(example_path("coalition_gallium").read_text())}),
        "calibrate": (["calibrate", "--event", "GAGE-2023"], {"event": "GAGE-2023"}),
        "options": (["optimize", "options", str(opts)], {"yaml": opts.read_text()}),
        "release": (["optimize", "release", "gallium_release", *release],
                    {"yaml": text["gallium_release"], "material": "gallium", "stock_t": 40.0,
                     "scenario": "GAGE-2023", "runs": 50}),
        "demand": (["forecast", "demand", "-m", "lithium", "--holder", "EU27", "--draws", "50"],
                   {"materials": ["lithium"], "holder": "EU27", "draws": 50}),
        "prices": (["forecast", "prices", "-m", "cobalt", "--origins", "4"],
                   {"materials": ["cobalt"], "origins": 4}),
        "warning": (["forecast", "warning", "-m", "gallium"], {"materials": ["gallium"]}),
    }  # fmt: skip


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('usecases')}/api.db"
    migrate(url)
    token = add_user(make_engine(url), "analyst", "analyst")  # analysts may run every kind
    pool = ThreadPoolExecutor(max_workers=1)
    app = create_app(ApiConfig(url, b"k" * 32, executor=pool))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, token
    pool.shutdown()
    app.state.engine.dispose()


def _over_http(c: TestClient, token: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The use case's answer over HTTP: at once, or as a job in the worker pool."""
    hdr = {"Authorization": f"Bearer {token}"}
    uc = REGISTRY[kind]
    r = c.post(uc.route, json=body, headers=hdr)
    if not uc.is_job:
        assert r.status_code == 200, r.text
        return dict(r.json())
    assert r.status_code == 202, r.text
    for _ in range(600):
        j = c.get(f"/api/v1/jobs/{r.json()['id']}", headers=hdr).json()
        if j["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert j["status"] == "done", j
    return dict(j["result"])


class _Frozen(Outcome):
    """An outcome whose JSON is given (to drop the volatile entries with Outcome.stable)."""

    def __init__(self, js: dict[str, Any], volatile: tuple[str, ...]) -> None:
        super().__init__(tables={}, volatile=volatile)
        self._js = js

    def to_json(self) -> dict[str, Any]:
        return self._js


VOLATILE = {"plan": ("timings_s", "solvers.seconds", "solvers.build_s", "solvers.solve_s"),
            "policy": ("solvers.seconds", "solvers.build_s", "solvers.solve_s")}  # fmt: skip


MAIN = {"supply": "rows", "assess": "assessment", "loss": "industries", "simulate": "summary",
        "plan": "composition", "policy": "policy", "schedule": "schedule",
        "coalition": "members", "calibrate": "targets", "options": "portfolios",
        "release": "release_rules", "demand": "holder", "prices": "forecasts",
        "warning": "current"}  # fmt: skip


def test_every_use_case_has_its_case(tmp_path: Path) -> None:
    assert set(_cases(tmp_path)) == set(REGISTRY) == set(MAIN)  # a new use case needs its case


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_the_cli_and_the_api_give_the_same_json_for_every_use_case(
    api: tuple[TestClient, str], tmp_path: Path, kind: str
) -> None:
    c, token = api
    args, body = _cases(tmp_path)[kind]
    r = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert r.exit_code == 0, (kind, r.output)
    via_cli = json.loads(r.stdout)
    via_api = _over_http(c, token, kind, body)
    vol = VOLATILE.get(kind, ())
    assert _Frozen(via_cli, vol).stable() == _Frozen(via_api, vol).stable(), kind
    assert via_cli["readme"] and isinstance(via_cli["notes"], list), kind
    assert via_cli[MAIN[kind]] and isinstance(via_cli[MAIN[kind]][0], dict), kind


def test_every_kind_has_a_request_model_and_a_runner() -> None:
    for kind, uc in REGISTRY.items():
        model = uc.request_model()
        assert model.model_config.get("extra") == "forbid", kind
        from critmat.usecases.registry import _load

        assert callable(_load(uc.runner)), kind
        assert uc.cli.startswith("critmat "), kind
        assert not uc.is_job or callable(_load(uc.check)), kind  # jobs refuse bad input now


def test_the_job_routes_are_made_from_the_registry(api: tuple[TestClient, str]) -> None:
    """One route per job kind, its body the kind's own request model (OpenAPI)."""
    c, _ = api
    paths = c.get("/openapi.json").json()["paths"]
    for kind, uc in REGISTRY.items():
        body = paths[uc.route]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{uc.request.split(':')[1]}"}, kind


def test_the_job_runner_has_no_branch_per_kind() -> None:
    import ast
    import inspect

    from critmat.api import jobs

    tree = ast.parse(inspect.getsource(jobs._execute))
    compared = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    assert not compared, "api/jobs._execute compares: it should only call the registry"


def test_an_outcome_refuses_a_table_that_shadows_a_field() -> None:
    import pandas as pd

    o = Outcome(tables={"summary": pd.DataFrame({"a": [1.0]})}, fields={"summary": ["x"]})
    with pytest.raises(ValueError, match="clashes"):
        o.to_json()
    ok = Outcome(tables={"t": pd.DataFrame({"a": [1.0, float("nan")], "s": [1.0, 2.0]})},
                 volatile=("t.s",))  # fmt: skip
    assert ok.to_json()["t"] == [{"a": 1.0, "s": 1.0}, {"a": None, "s": 2.0}]
    assert ok.stable()["t"] == [{"a": 1.0}, {"a": None}]
