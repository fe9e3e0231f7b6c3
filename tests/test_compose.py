"""docker-compose.yml: renders, waits for healthy services, migrates on start, sets documented variables."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["web", "redis", "postgres"]
# Parses YAML with the interpreter docker-compose 1.x runs on, which always has PyYAML.
YAML_TO_JSON = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"


def compose_binary() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        if IN_CI:
            pytest.fail("docker-compose is not installed (CI=true requires it; .ci/run installs it)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    return binary


def compose_major_version(binary: str) -> int:
    result = subprocess.run([binary, "version", "--short"], capture_output=True, text=True, timeout=60)
    match = re.search(r"(\d+)\.\d+", result.stdout)
    assert match, f"cannot read the version of {binary}: {result.stdout}{result.stderr}"
    return int(match.group(1))


def run_config(binary: str, env_file: Path, secret: str | None, *extra: str) -> subprocess.CompletedProcess:
    """`docker-compose config`, reading no .env and none of this process's settings variables."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "WALL_", "COMPOSE_")) and name not in {"DATABASE_URL", "REDIS_URL"}
    }
    if secret is not None:
        env["DJANGO_SECRET_KEY"] = secret
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", "docker-compose.yml", "config", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def yaml_to_data(text: str, binary: str) -> dict:
    interpreter = shlex.split(Path(binary).read_text(errors="replace").splitlines()[0].removeprefix("#!"))
    result = subprocess.run(
        [*interpreter, "-c", YAML_TO_JSON], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def empty_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compose") / "empty.env"
    path.write_text("")
    return path


@pytest.fixture(scope="module")
def config(empty_env_file: Path) -> dict:
    """The compose file as docker-compose renders it, with a secret set."""
    binary = compose_binary()
    if compose_major_version(binary) >= 2:
        result = run_config(binary, empty_env_file, "test-only-secret", "--format", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    result = run_config(binary, empty_env_file, "test-only-secret")
    assert result.returncode == 0, result.stderr
    return yaml_to_data(result.stdout, binary)


def readme_configuration_variables() -> set[str]:
    """Variable names in the first column of the README's Configuration table."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Configuration\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Configuration' section"
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", match.group(1), re.MULTILINE))


def settings_variables() -> set[str]:
    """Every environment variable wallsite/settings.py reads."""
    text = (ROOT / "wallsite" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:_[a-z]+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
    if "dj_database_url.config(" in text:
        names.add("DATABASE_URL")
    assert len(names) > 10, names
    return names


def web_environment(config: dict) -> dict[str, str]:
    environment = config["services"]["web"].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return environment


def as_argv(value: str | list | None) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else list(value)


def dockerfile_instructions(name: str) -> list[str]:
    """The arguments of every `name` instruction in the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [line.split(None, 1)[1] for line in text.splitlines() if line.split(None, 1)[:1] == [name]]


def dockerfile_argv(name: str) -> list[str]:
    instructions = dockerfile_instructions(name)
    if not instructions:
        return []
    value = instructions[-1].strip()
    return json.loads(value) if value.startswith("[") else ["sh", "-c", value]


def start_script(config: dict) -> str:
    """What the web container runs on start: entrypoint then command, scripts inlined without comments."""
    web = config["services"]["web"]
    entrypoint = as_argv(web.get("entrypoint")) or dockerfile_argv("ENTRYPOINT")
    command = as_argv(web.get("command")) or dockerfile_argv("CMD")
    parts = []
    for word in [*entrypoint, *command]:
        script = ROOT / Path(word).name
        if word.endswith(".sh") and script.is_file():
            lines = script.read_text().splitlines()
            parts.extend(line for line in lines if not line.lstrip().startswith("#"))
        else:
            parts.append(word)
    return "\n".join(parts)


def test_compose_has_web_redis_and_postgres(config):
    assert set(SERVICES) <= set(config["services"])


@pytest.mark.parametrize("dependency", ["redis", "postgres"])
def test_web_starts_once_its_dependencies_are_healthy(config, dependency):
    depends_on = config["services"]["web"]["depends_on"]
    assert depends_on[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_a_healthcheck(config, service):
    healthcheck = config["services"][service].get("healthcheck", {})
    assert not healthcheck.get("disable")
    assert healthcheck.get("test"), f"{service} has no healthcheck"


def test_web_healthcheck_asks_healthz(config):
    assert "/healthz" in " ".join(as_argv(config["services"]["web"]["healthcheck"]["test"]))


def test_web_migrates_on_start_then_runs_uvicorn(config):
    script = start_script(config)
    assert "manage.py migrate" in script and "uvicorn" in script, script
    assert script.index("manage.py migrate") < script.index("uvicorn")
    assert "wallsite.asgi:application" in script
    assert re.search(r"--ws[ \n]+websockets-sansio\b", script), script
    assert re.search(r"--ws-max-size[ \n]+1048576\b", script), script


def test_the_image_build_does_not_migrate():
    assert not [line for line in dockerfile_instructions("RUN") if "migrate" in line]


def test_web_keeps_uploads_in_the_media_volume(config):
    volumes = config["services"]["web"].get("volumes", [])
    targets = {
        (v["source"], v["target"]) if isinstance(v, dict) else tuple(v.split(":")[:2]) for v in volumes
    }
    assert ("media", "/app/media") in targets


def test_every_web_variable_is_documented_in_the_readme(config):
    assert set(web_environment(config)) - readme_configuration_variables() == set()


def test_every_setting_variable_is_documented_in_the_readme():
    assert settings_variables() - readme_configuration_variables() == set()


def test_every_setting_variable_is_set_for_web(config):
    assert settings_variables() - set(web_environment(config)) == set()


def test_compose_refuses_to_render_without_a_secret_key(empty_env_file):
    result = run_config(compose_binary(), empty_env_file, None)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stdout + result.stderr


@pytest.mark.parametrize("service", ["prometheus", "grafana"])
def test_monitoring_runs_only_with_its_profile(config, service):
    assert config["services"][service]["profiles"] == ["monitoring"]


def test_prometheus_scrapes_each_wall_process_with_the_token():
    text = (ROOT / "deploy" / "prometheus.yml").read_text()
    assert '"web:8000", "web2:8000"' in text
    assert "credentials_file: /tmp/wall-metrics-token" in text


def test_the_proxy_never_serves_metrics():
    assert re.search(r"location = /metrics \{\s*return 404;", (ROOT / "deploy" / "nginx.conf").read_text())


def test_every_metric_the_dashboard_charts_is_exported():
    """Each metric name in the Grafana dashboard's queries is one the wall or django-prometheus exports."""
    from prometheus_client import REGISTRY

    import wall.live.registry  # noqa: F401 (registers the socket gauges' functions)

    exported = {sample.name for family in REGISTRY.collect() for sample in family.samples}
    exported |= {family.name for family in REGISTRY.collect()}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "wall.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b((?:wall|django)_[a-z_]+)", target["expr"])
    }
    wall_names = {name for name in queried if name.startswith("wall_")}
    histogram_parts = {f"{name}_bucket" for name in exported} | {f"{name}_total" for name in exported}
    assert wall_names - exported - histogram_parts == set()
    assert {"django_http_requests_total_by_method_total", "django_db_execute_total"} <= queried
