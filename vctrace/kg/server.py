"""A real Neo4j Community server run locally, without Docker or a tarball.

The jars of ``org.neo4j:neo4j`` are resolved from Maven Central by ``vctrace/runtime/pom.xml``
(``mvn package`` with ``copy-dependencies``; cached in ``~/.m2`` and in ``lib_dir``), and the
server's own entry point, ``org.neo4j.server.CommunityEntryPoint``, is started on that
classpath with a generated ``neo4j.conf``: Bolt on 127.0.0.1 only, HTTP off, authentication on
(the password is set with ``neo4j-admin dbms set-initial-password`` before the first start).

Hygiene (issue 9):

- **The password is never in a process's arguments.** The admin tool is started as
  ``java @ARGFILE``: the Java launcher reads its options, main class and arguments (the
  password among them) from a file created with mode 600 in the server root (itself 700) and
  deleted as soon as the tool exits, so ``ps`` and ``/proc/PID/cmdline`` show only the file
  name. (Chosen over setting the password over Bolt after a first start with ``neo4j/neo4j``:
  that leaves a window in which any local user could connect and set a password of their own.)
- **Nothing is readable by others**: the server root is mode 700, the password file 600, and
  the admin tool and the server run with umask 077, so the store, ``auth.ini``, logs and the
  transaction logs are created owner-only (existing files under the root are tightened on
  every start).
- **No orphan server**: ``start`` writes the pid file right after the process starts and, on
  any failure after that (pid file not writable, a timeout, an exception while waiting, even
  Ctrl-C), kills the process group and removes the pid file before raising.
- **A free-space guard**: ``start`` (and :func:`ensure_free_space`, which the write paths
  call) refuse when the filesystem of the data directory has less than ``min_free_mb`` free: a
  disk that fills during a write can leave a store that does not recover.
- **Authentication lockout off**: Neo4j locks a user out for ``auth_lock_time`` after
  ``auth_max_failed_attempts`` wrong passwords, *also for the right one*; on a server that
  listens on 127.0.0.1 only, with a random 144-bit password, that protects nothing and lets
  any local process lock vctrace out, so ``dbms.security.auth_max_failed_attempts=0``.
- **The query surface**: ``LOAD CSV`` cannot read files (``allow_csv_import_from_file_urls``
  false) nor reach any address (``internal.dbms.cypher_ip_blocklist`` covering every IPv4 and
  IPv6 address: Neo4j 5.26 Community has no public setting for http(s) URLs; vctrace itself
  never uses LOAD CSV, and the query gate refuses it anyway), and one transaction may use at most half the heap
  (``db.memory.transaction.max``), so a single query cannot starve the others; there is no
  global transaction timeout (ingest and verify run long transactions on purpose), user
  queries get theirs from the gate.

**Routing**: the server advertises its real Bolt address (``server.bolt.advertised_address``),
so it can be reached with ``neo4j://127.0.0.1:PORT`` as well as ``bolt://``: the routing table
it returns names itself as router, reader and writer (the test suite runs through it with
``--neo4j-scheme=neo4j``).

The server runs in its own process group with its pid in ``run/vctrace.pid``, so ``stop`` works
from another process; SIGTERM lets its shutdown hook checkpoint the store.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import DatabaseUnavailable

from ..errors import VctraceError
from ..settings import Settings
from .graph import Graph, GraphUnavailable, NoServerError

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
JVM_FLAGS = (
    "-XX:+UseG1GC", "-Djol.skipHotspotSAAttach=true", "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector",
)


class ServerError(VctraceError):
    """The local server could not be installed, started or stopped; the message says why."""


def free_mb(path: Path) -> float:
    """Megabytes free (for an unprivileged user) on the filesystem of ``path`` or, when it does
    not exist yet, of its nearest existing parent."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    fs = os.statvfs(path)
    return fs.f_bavail * fs.f_frsize / 2**20


def ensure_free_space(path: Path, min_mb: float) -> None:
    """Refuse (``ServerError``) to write a store under ``path`` when its filesystem has less
    than ``min_mb`` megabytes free; ``min_mb`` <= 0 turns the guard off."""
    if min_mb <= 0:
        return
    free = free_mb(path)
    if free < min_mb:
        raise ServerError(
            f"only {free:,.0f} MB free on the filesystem of {path} (vctrace needs at least "
            f"{min_mb:,.0f} MB, VCTRACE_MIN_FREE_MB): free some space first; a disk that fills "
            "during a write can leave a store that does not start again")


def heap_bytes(size: str) -> int:
    """Bytes of a JVM memory size such as ``512m``, ``6g`` or ``1048576``."""
    text = size.strip().lower()
    units = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_jars(lib_dir: Path, version: str) -> Path:
    """Resolve the Neo4j jars into ``lib_dir`` with Maven unless they are already there."""
    marker = lib_dir / f"neo4j-{version}.jar"
    if marker.exists():
        return lib_dir
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise ServerError("the local Neo4j needs Java 17+ and Maven (mvn) on PATH; or set "
                          "VCTRACE_NEO4J_URI to an existing Neo4j 5 server")
    build = lib_dir.parent / f".build-{version}"
    build.mkdir(parents=True, exist_ok=True)
    pom = resources.files("vctrace.runtime").joinpath("pom.xml").read_text()
    (build / "pom.xml").write_text(pom)
    partial = lib_dir.with_name(lib_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    cmd = ["mvn", "-B", "-q", "package", f"-Dneo4j.version={version}", f"-Dneo4j.lib={partial}"]
    result = subprocess.run(cmd, cwd=build, capture_output=True, text=True)
    if result.returncode != 0 or not (partial / marker.name).exists():
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise ServerError(f"Maven could not resolve org.neo4j:neo4j:{version}:\n"
                          + "\n".join(tail))
    shutil.rmtree(lib_dir, ignore_errors=True)
    partial.rename(lib_dir)  # atomic: a half-downloaded lib dir is never taken as complete
    shutil.rmtree(build, ignore_errors=True)
    return lib_dir


@dataclass
class LocalNeo4j:
    """One local server: its directory (conf, data, logs, run), its jars and its port."""

    root: Path
    lib_dir: Path
    port: int
    version: str = "5.26.30"
    heap: str = "1g"
    pagecache: str = "1g"
    start_timeout_s: float = 120.0
    min_free_mb: float = 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> "LocalNeo4j":
        return cls(root=settings.server_dir, lib_dir=settings.lib_dir, port=settings.bolt_port,
                   version=settings.neo4j_version, heap=settings.heap,
                   pagecache=settings.pagecache, start_timeout_s=settings.start_timeout_s,
                   min_free_mb=settings.min_free_mb)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / "vctrace.pid"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def log_file(self) -> Path:
        return self.root / "logs" / "console.log"

    def password(self) -> str:
        return self.password_file.read_text().strip()

    # ------------------------------------------------------------ setup

    def _make_dirs(self) -> None:
        """The server's folders, owner-only: the root 700 (so nothing under it can be reached
        by another user whatever its own mode), and existing files tightened to go-rwx (stores
        written before this rule, or by a tool with another umask)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        for sub in ("conf", "data", "logs", "run", "import", "plugins"):
            (self.root / sub).mkdir(exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                try:
                    mode = os.lstat(path).st_mode
                    if mode & 0o077 and not stat.S_ISLNK(mode):
                        os.chmod(path, mode & ~0o077)
                except OSError:
                    pass

    def _write_conf(self) -> None:
        self._make_dirs()
        r = self.root.resolve()
        settings = {
            "server.default_listen_address": "127.0.0.1",
            # the address the routing table gives out (neo4j:// URIs): the real one, so a
            # routing driver comes back to this server and not to a hostname that does not
            # resolve to it
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"127.0.0.1:{self.port}",
            "server.bolt.advertised_address": f"127.0.0.1:{self.port}",
            "server.http.enabled": "false",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "server.directories.data": r / "data",
            "server.directories.logs": r / "logs",
            "server.directories.run": r / "run",
            "server.directories.import": r / "import",
            "server.directories.plugins": r / "plugins",
            "server.directories.transaction.logs.root": r / "data" / "transactions",
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
            "server.memory.pagecache.size": self.pagecache,
            "db.tx_log.preallocate": "false",
            # one transaction may use half the heap (the transaction pool is 70 % of it): a
            # single query cannot starve the others; no global timeout (long ingest/verify
            # transactions), user queries get theirs from the query gate
            "db.memory.transaction.max": f"{heap_bytes(self.heap) // 2**21}m",
            "dbms.security.allow_csv_import_from_file_urls": "false",
            # no outbound fetches from Cypher (LOAD CSV FROM 'http://…'): every address blocked
            "internal.dbms.cypher_ip_blocklist": "0.0.0.0/0,::/0",
            # no lockout: see the module docstring (127.0.0.1 only, 144-bit random password)
            "dbms.security.auth_max_failed_attempts": "0",
            "db.shutdown_transaction_end_timeout": "2s",
            # Bolt's network layer otherwise idles 2 x 5 s on every stop
            "internal.dbms.bolt.netty_server_shutdown_quiet_period": "0",
            "db.tx_log.rotation.retention_policy": "2 files",
            "dbms.usage_report.enabled": "false",
        }
        lines = ["# written by vctrace (kg/server.py); edits are overwritten on start"]
        lines += [f"{key}={value}" for key, value in settings.items()]
        _write_private(self.root / "conf" / "neo4j.conf", "\n".join(lines) + "\n")

    def _env(self) -> dict[str, str]:
        return dict(os.environ, NEO4J_HOME=str(self.root.resolve()),
                    NEO4J_CONF=str((self.root / "conf").resolve()))

    def _classpath(self) -> str:
        return str(self.lib_dir.resolve() / "*")

    def _ensure_password(self) -> None:
        if self.password_file.exists():
            return
        if (self.root / "data" / "databases").exists():
            raise ServerError(f"{self.root}: the database exists but {self.password_file} is "
                              "missing; restore it, or delete the directory to start afresh")
        # a leading letter: token_urlsafe may start with '-', which the admin tool would read
        # as an option (1 start in 64 failed that way)
        password = "v" + secrets.token_urlsafe(18)
        # the password goes to the admin tool in a Java @argfile (mode 600, deleted after):
        # never in a process's arguments (see the module docstring)
        argfile = self.root / "run" / f"admin-{secrets.token_hex(8)}.args"
        fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write("\n".join(["-cp", _quoted(self._classpath()), ADMIN_TOOL, "dbms",
                                     "set-initial-password", password]) + "\n")
            result = subprocess.run(["java", f"@{argfile}"], env=self._env(),
                                    capture_output=True, text=True, umask=0o077)
        finally:
            argfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ServerError("neo4j-admin set-initial-password failed:\n"
                              + (result.stdout + result.stderr)[-2000:])
        _write_private(self.password_file, password + "\n")

    # ------------------------------------------------------------ lifecycle

    def pid(self) -> int | None:
        """The pid of the running server, or ``None`` (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not pid_alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self) -> None:
        """Install if needed, start, and return once the driver can run a query."""
        if self.is_running():
            self.wait_until_ready()
            return
        if _port_open(self.port):
            raise ServerError(f"port {self.port} on 127.0.0.1 is already in use by another "
                              "process; set VCTRACE_BOLT_PORT to a free port")
        ensure_jars(self.lib_dir, self.version)
        self._write_conf()
        ensure_free_space(self.root / "data", self.min_free_mb)
        self._ensure_password()
        cmd = ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS,
               "-cp", self._classpath(), ENTRY_POINT, f"--home-dir={self.root.resolve()}",
               f"--config-dir={(self.root / 'conf').resolve()}", "--console-mode"]
        log_fd = os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(log_fd, "ab") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=self._env(),
                                    start_new_session=True, umask=0o077)
        try:
            # the pid file first, then the wait: a server that cannot be found again is never
            # left running
            try:
                _write_private(self.pid_file, str(proc.pid))
            except OSError as exc:
                raise ServerError(f"cannot write the pid file {self.pid_file} ({exc}); Neo4j "
                                  "was stopped again") from exc
            self.wait_until_ready(proc)
        except BaseException:
            _kill_group(proc)
            try:
                if self.pid_file.is_file():
                    self.pid_file.unlink()
            except OSError:
                pass
            raise

    def wait_until_ready(self, proc: subprocess.Popen | None = None) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise ServerError(f"Neo4j exited with status {proc.returncode} during start; "
                                  f"log tail:\n{self.log_tail()}")
            if _port_open(self.port):
                try:
                    with GraphDatabase.driver(self.uri, auth=("neo4j", self.password())) as drv:
                        Graph(drv, "neo4j", uri=self.uri).read("kg/ping")
                    return
                except (GraphUnavailable, DatabaseUnavailable, OSError) as exc:
                    last_error = exc
                except NoServerError as exc:
                    raise ServerError(f"Neo4j on port {self.port} rejected the password in "
                                      f"{self.password_file}: {exc}") from exc
            time.sleep(0.3)
        raise ServerError(f"Neo4j did not answer within {self.start_timeout_s:.0f} s "
                          f"({last_error}); log tail:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout_s``). False if not running."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                break
            time.sleep(0.2)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)


def _quoted(arg: str) -> str:
    """An argument as a Java @argfile line (quoted, so that spaces in paths stay one)."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop a server that failed to start: SIGTERM to its process group, SIGKILL after 10 s,
    and reap it."""
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (reaping it first if it is our own child
    that has exited)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)  # reap it when it is our own child
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
