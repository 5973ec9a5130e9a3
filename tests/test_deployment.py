"""The deployment files: docker-compose.yml is valid and runs what the project has; production settings."""

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-secret-key-" + "k7Q2xP9mZ4vB8nR1tL6wY3cH5jD0fG" * 2,
    "DJANGO_ALLOWED_HOSTS": "award.luohe.gov.cn",
    "DATABASE_URL": "sqlite:///:memory:",
}


def compose():
    return YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_matches_the_compose_schema():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_the_five_services_with_healthchecked_dependencies():
    services = compose()["services"]

    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
        }
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]


def _commands():
    for name, service in compose()["services"].items():
        if "build" in service:
            command = service["command"]
            parts = shlex.split(command) if isinstance(command, str) else command
            if parts[:2] == ["sh", "-c"]:
                for step in parts[2].split("&&"):
                    yield name, shlex.split(step)
            else:
                yield name, parts


@pytest.mark.parametrize(("service", "argv"), list(_commands()), ids=lambda value: str(value)[:40])
def test_compose_commands_exist_in_the_project(service, argv):
    program, *args = argv

    assert (BIN / program).exists() or program == "python", f"{service}: {program} is not installed by the project"
    if program == "python":
        assert (ROOT / args[0]).exists(), f"{service}: {args[0]} missing"
    if program == "gunicorn":
        module = args[0].split(":")[0]
        assert importlib.util.find_spec(module) is not None, f"{service}: {module} cannot be imported"
    if program == "celery":
        app = args[args.index("-A") + 1]
        assert importlib.util.find_spec(app) is not None, f"{service}: {app} cannot be imported"
        assert args[args.index("-A") + 2] in {"worker", "beat"}


def test_compose_environment_uses_variables_the_settings_read():
    settings_source = (ROOT / "mayor_award" / "settings.py").read_text()
    environment = compose()["x-django"]["environment"]

    assert [name for name in environment if f'"{name}"' not in settings_source] == []


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))} | env,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
