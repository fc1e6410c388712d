"""Schemathesis against the gateway's own OpenAPI schema (issue 19, part 5).

The gateway runs in-process (ASGI) on a throwaway SQLite database, with a fake Rasa over real
HTTP behind the chat routes. For every documented operation a bounded, seeded number of
generated requests, sent as an admin (so the fuzz reaches past the login): no 500, every
status documented, every response and error body as documented, the declared content type.
Then every operation but the public ones is called anonymously and must answer 401, which its
schema documents. Rate limits stay off (UNTHROTTLED in make_settings).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.gateway.app import create_app
from tests.conftest import make_settings
from tests.fake_rasa import running_fake_rasa
from tests.staff import PASSWORD, ensure_staff

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
FuzzCase = schemathesis.Case[Any]
EXAMPLES_PER_OPERATION = 8
# Invalid requests, so that the 422 bodies are checked against the schema too.
INVALID_EXAMPLES = 3
ANONYMOUS_EXAMPLES = 2
SEED = 19
ADMIN_TOKEN = "fuzz-admin-token"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
# Open to anyone: citizens, probes, the login itself, and the knowledge base's read side.
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "POST /api/v1/chat",
    "GET /api/v1/chat/{sender_id}/messages",
    "POST /api/v1/auth",
    "GET /api/v1/kb/search",
    "GET /api/v1/kb/items/{item_id}",
    "POST /api/v1/parse",
}


@dataclass
class FuzzSummary:
    examples: Counter[str] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=dict)

    def report(self) -> str:
        failed = sum(len(found) for found in self.failures.values())
        lines = [
            f"schemathesis: {len(self.examples)} operations, {sum(self.examples.values())} examples, "
            f"{failed} failing"
        ]
        lines += [f"  {name}: {problem}" for name, found in self.failures.items() for problem in found]
        return "\n".join(lines)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    var = tmp_path_factory.mktemp("fuzz") / "var"
    with running_fake_rasa(slow_seconds=0.0) as rasa:
        # What /readyz and /api/v1/parse ask of Rasa and the action server (the fake is
        # both), beyond the fake's chat.
        rasa.app.get("/status")(lambda: {"model_file": "fake.tar.gz"})
        rasa.app.post("/model/parse")(
            lambda: {"intent": {"name": "greet", "confidence": 0.9}, "entities": []}
        )
        rasa.app.post("/area")(lambda: {"area": "other", "confidence": 0.3, "explicit": False})
        settings = make_settings(var, RASA_PORT=rasa.port, ACTIONS_PORT=rasa.port, ADMIN_TOKEN=ADMIN_TOKEN)
        app = create_app(settings)
        with TestClient(app) as client:  # runs the lifespan: migrations, index, clients
            ensure_staff(settings, "fuzz_admin", "--admin")
            login = client.post("/api/v1/auth", json={"username": "fuzz_admin", "password": PASSWORD})
            token = login.json()["token"]
            yield app, {"Authorization": f"Bearer {token}"}


def _credentials(operation: Operation, staff: dict[str, str]) -> dict[str, str]:
    """The knowledge base's write side takes ADMIN_TOKEN; everything else a staff token."""
    if operation.path.startswith("/api/v1/kb/items") and operation.method.upper() != "GET":
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    return staff


def _label(operation: Operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _fuzz(
    operation: Operation,
    examples: int,
    exercise: Callable[[FuzzCase], None],
    mode: GenerationMode = GenerationMode.POSITIVE,
) -> None:
    """`exercise` on `examples` seeded cases of one operation (no shrinking: one failure per
    operation is reported as found, and the run stays short)."""

    @hypothesis.given(case=operation.as_strategy(mode))
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.seed(SEED)
    def run(case: FuzzCase) -> None:
        exercise(case)

    run()


def _can_be_invalid(operation: Operation) -> bool:
    """A body, or a parameter more constrained than free text (a free-text path segment has
    no invalid value to generate)."""
    raw = operation.definition.raw
    constrained = [p for p in raw.get("parameters", []) if set(p.get("schema", {})) - {"type", "title"}]
    return "requestBody" in raw or bool(constrained)


def _operations(app: FastAPI) -> list[Operation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the schema itself is sound
        operations.append(result.ok())
    return operations


def test_every_error_the_schema_documents_has_the_one_error_body() -> None:
    schema = create_app(make_settings(Path("/nonexistent"))).openapi()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    errors = [
        (path, method, status, response)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("4")
    ]
    assert len(errors) > 60
    for path, method, status, response in errors:
        body = response["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)


def test_every_operation_answers_as_documented(
    gateway: tuple[FastAPI, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    app, staff = gateway
    summary = FuzzSummary()
    for operation in _operations(app):
        name = _label(operation)
        credentials = _credentials(operation, staff)

        def exercise(case: FuzzCase, name: str = name, credentials: dict[str, str] = credentials) -> None:
            summary.examples[name] += 1
            case.call_and_validate(headers={**dict(case.headers or {}), **credentials}, checks=CHECKS)

        try:
            _fuzz(operation, EXAMPLES_PER_OPERATION, exercise)
            if _can_be_invalid(operation):
                # Unsatisfiable: every generated value was valid after all (free text).
                with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                    _fuzz(operation, INVALID_EXAMPLES, exercise, GenerationMode.NEGATIVE)
        except (Exception, BaseExceptionGroup) as exc:  # this operation's first failure
            said = [line.strip() for line in str(exc).splitlines() if line.strip()]
            summary.failures.setdefault(name, []).append(" / ".join(said[:8])[:500])
    with capsys.disabled():  # shown in every `make test`, not only on failure
        print("\n" + summary.report())
    assert not summary.failures, summary.report()
    assert len(summary.examples) >= 25


def test_staff_operations_refuse_anonymous_callers(gateway: tuple[FastAPI, dict[str, str]]) -> None:
    app, _ = gateway
    refused: Counter[str] = Counter()
    operations = _operations(app)
    assert {_label(operation) for operation in operations} >= PUBLIC
    for operation in operations:
        name = _label(operation)
        if name in PUBLIC:
            continue
        assert "401" in operation.definition.raw["responses"], f"{name}: 401 not documented"

        def exercise(case: FuzzCase, name: str = name) -> None:
            response = case.call(
                headers={
                    key: value
                    for key, value in (case.headers or {}).items()
                    if key.lower() != "authorization"
                }
            )
            assert response.status_code == 401, f"{name}: {response.status_code} {response.text[:200]}"
            refused[name] += 1

        _fuzz(operation, ANONYMOUS_EXAMPLES, exercise)
    assert len(refused) == len(operations) - len(PUBLIC)
