"""docker-compose.yml cannot be run here (no Docker engine); check what it promises."""

import yaml

from vctrace.settings import Settings

from support.paths import ROOT


def test_compose_file_runs_neo4j_526_with_healthcheck_and_volumes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    neo4j = compose["services"]["neo4j"]
    image, tag = neo4j["image"].split(":")
    assert image == "neo4j" and tag.startswith(Settings().neo4j_version)
    assert "community" in tag
    health = neo4j["healthcheck"]
    assert "cypher-shell" in " ".join(health["test"]) and "RETURN 1" in " ".join(health["test"])
    assert int(health["retries"]) > 0
    mounts = {v.split(":")[1] for v in neo4j["volumes"]}
    assert {"/data", "/logs"} <= mounts
    assert set(compose["volumes"]) >= {v.split(":")[0] for v in neo4j["volumes"]
                                       if not v.startswith(".")}
    assert all(p.startswith("127.0.0.1:") for p in neo4j["ports"])  # not exposed publicly
    assert "7687:7687" in " ".join(neo4j["ports"])
    auth = neo4j["environment"]["NEO4J_AUTH"]
    assert auth.startswith("neo4j/${NEO4J_PASSWORD") and ":?" in auth  # no default password


def test_compose_runs_the_service_after_a_healthy_neo4j():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["vctrace"]
    assert service["build"] == "."
    assert service["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])  # loopback on the host
    env = service["environment"]
    assert env["VCTRACE_NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["VCTRACE_NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")  # no default
    home = [v for v in service["volumes"] if v.endswith(":/var/lib/vctrace")]
    assert home and home[0].split(":")[0] in compose["volumes"]


def test_dockerfile_serves_as_an_unprivileged_user_with_a_healthcheck():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert "/health" in " ".join(lines)
    assert lines[-1] == 'CMD ["vctrace", "serve"]'
    assert "VCTRACE_HOME=/var/lib/vctrace" in " ".join(lines)
