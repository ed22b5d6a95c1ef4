"""All settings in one object, read from ``VCTRACE_*`` environment variables and overridden by
command-line flags. Code receives a :class:`Settings` instance; nothing reads the environment
or holds a global driver elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "vctrace"


def default_heap() -> str:
    """The local server's heap when ``VCTRACE_HEAP`` is not set: a quarter of the machine's
    memory, at least 1 GB and at most 8 GB (5g on this 23 GiB machine). A verify run over ~360,000
    traces needs more than 1 GB; the page cache (``VCTRACE_PAGECACHE``) is separate."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "1g"
    gb = total / 2**30 / 4
    return f"{max(1, min(8, int(gb)))}g"


class Settings(BaseSettings):
    """vctrace settings.

    Neo4j: when ``neo4j_uri`` is set (``VCTRACE_NEO4J_URI``, e.g. a Docker container, a cluster
    or Aura) that server is used with ``neo4j_user``/``neo4j_password`` and nothing is started
    locally; a routing URI (``neo4j://``, ``neo4j+s://`` for Aura) sends reads to followers
    and writes to the leader (``docs/cluster.md``). Otherwise the local server under ``home``
    is used (``vctrace db start``), with a password generated on first start and kept in
    ``home/neo4j/password``.
    """

    model_config = SettingsConfigDict(env_prefix="VCTRACE_", extra="ignore")

    home: Path = Field(default_factory=_default_home,
                       description="where the local Neo4j server, its jars and data live")
    neo4j_uri: str | None = Field(None, description="an existing Neo4j to use instead "
                                  "(bolt:// one server; neo4j:// or neo4j+s:// a cluster or "
                                  "Aura, through routing)")
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    neo4j_version: str = "5.26.30"
    bolt_port: int = 7687
    heap: str = Field(default_factory=default_heap,
                      description="local server heap: a quarter of RAM, 1g to 8g")
    pagecache: str = "1g"
    start_timeout_s: float = 120.0
    min_free_mb: float = Field(1024, description="the local server refuses to start, and "
                               "ingest/load to write, with less free disk space than this "
                               "(MB) on its data filesystem; 0 turns the guard off")
    max_adhoc_queries: int = Field(2, ge=1, description="ad-hoc user queries (`vctrace cypher`, "
                                   "POST /cypher) the server runs at once; see kg/read_only.py")
    batch_size: int = Field(200, ge=1, description="traces per write transaction (200: measured "
                            "best; larger batches cost Neo4j more in garbage collection)")
    # the HTTP service (`vctrace serve`)
    http_host: str = Field("127.0.0.1", description="address the service binds (loopback "
                           "by default; anything else exposes it to the network)")
    http_port: int = Field(8000, ge=0, le=65535)
    http_max_body_mb: float = Field(64, gt=0, description="largest request body accepted (MB)")
    http_row_limit: int = Field(1000, ge=1, description="default and largest row cap of "
                                "query routes")
    http_timeout_s: float = Field(30, gt=0, description="Neo4j transaction timeout of query "
                                  "routes (s)")
    http_cors_origins: list[str] = Field(default_factory=list, description="origins allowed "
                                         "by CORS (none by default: no CORS headers)")
    tokens_file: Path | None = Field(None, description="API token hashes (default "
                                     "home/tokens.json, mode 600)")
    # dti-boltz overrides (VCTRACE_BOLTZ_*); unset = the verifier's own default (its
    # Options model is the one place defaults live)
    boltz_executable: str | None = Field(None, description="the `boltz` program (its own venv)")
    boltz_cache: str | None = Field(None, description="Boltz weights folder (--cache)")
    boltz_devices: int | None = None
    boltz_accelerator: str | None = None
    boltz_msa: str | None = Field(None, description='"empty" or a folder of <gene>.a3m files')
    boltz_fasta: str | None = Field(None, description="UniProt FASTA of target proteins")

    def verifier_overrides(self) -> dict[str, dict[str, object]]:
        """Verifier options set through the environment: {verifier: {field: value}}."""
        boltz = {field: getattr(self, f"boltz_{field}") for field in
                 ("executable", "cache", "devices", "accelerator", "msa", "fasta")}
        return {"dti-boltz": {k: v for k, v in boltz.items() if v is not None}}

    @property
    def token_path(self) -> Path:
        return self.tokens_file or self.home / "tokens.json"

    @property
    def uses_local_server(self) -> bool:
        return not self.neo4j_uri

    @property
    def server_dir(self) -> Path:
        return self.home / "neo4j"

    @property
    def lib_dir(self) -> Path:
        """Neo4j jars, shared by every server of the same version (tests included)."""
        return self.home / f"neo4j-{self.neo4j_version}-lib"

    @property
    def uri(self) -> str:
        return self.neo4j_uri or f"bolt://127.0.0.1:{self.bolt_port}"

    def password(self) -> str | None:
        if self.neo4j_password is not None or not self.uses_local_server:
            return self.neo4j_password
        path = self.server_dir / "password"
        return path.read_text().strip() if path.exists() else None
