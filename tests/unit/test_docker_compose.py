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
