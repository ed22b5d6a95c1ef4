"""docker-compose.cluster.yml cannot be run here (no Docker, no Enterprise licence): check that
it parses and what it promises (docs/cluster.md)."""

import re

import yaml

from vctrace.settings import Settings

from support.paths import ROOT

CORES = ("core1", "core2", "core3")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.cluster.yml").read_text())


def test_three_enterprise_primaries_of_the_supported_version_that_find_each_other():
    services = _compose()["services"]
    assert set(services) == set(CORES)
    for name in CORES:
        core = services[name]
        image, tag = core["image"].split(":")
        assert image == "neo4j" and tag == f"{Settings().neo4j_version}-enterprise"
        env = core["environment"]
        endpoints = env["NEO4J_dbms_cluster_discovery_endpoints"].split(",")
        assert endpoints == [f"{c}:5000" for c in CORES]
        assert env["NEO4J_initial_dbms_default__primaries__count"] == "3"
        assert env["NEO4J_dbms_cluster_minimum__initial__system__primaries__count"] == "3"
        assert env["NEO4J_server_default__advertised__address"] == name == core["hostname"]
        health = " ".join(core["healthcheck"]["test"])
        assert "cypher-shell" in health and "SHOW DATABASES" in health


def test_the_licence_and_the_password_are_the_users_to_give():
    for name in CORES:
        env = _compose()["services"][name]["environment"]
        licence = env["NEO4J_ACCEPT_LICENSE_AGREEMENT"]
        assert re.fullmatch(r"\$\{NEO4J_ACCEPT_LICENSE_AGREEMENT:\?[^}]+\}", licence)
        assert env["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD:?")


def test_each_server_advertises_the_host_address_it_is_published_on():
    """The routing table hands out the advertised Bolt addresses: each must be the loopback
    port the server is published on, and the three must differ."""
    advertised = set()
    for name in CORES:
        core = _compose()["services"][name]
        address = core["environment"]["NEO4J_server_bolt_advertised__address"]
        host, port = address.split(":")
        assert host == "localhost"
        assert f"127.0.0.1:{port}:7687" in core["ports"]
        assert all(p.startswith("127.0.0.1:") for p in core["ports"])  # loopback only
        advertised.add(address)
        mounts = {v.split(":")[1] for v in core["volumes"]}
        assert mounts == {"/data", "/logs"}
        assert {v.split(":")[0] for v in core["volumes"]} <= set(_compose()["volumes"])
    assert len(advertised) == 3


def test_the_documentation_names_the_file_and_what_is_not_retried():
    text = (ROOT / "docs" / "cluster.md").read_text()
    assert "docker-compose.cluster.yml" in text and "NEO4J_ACCEPT_LICENSE_AGREEMENT" in text
    assert "neo4j+s://" in text and "VCTRACE_NEO4J_URI" in text
    assert "IN TRANSACTIONS" in text and "Not run here" in text
