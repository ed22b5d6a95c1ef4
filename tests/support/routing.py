"""Neo4j through routing in tests: ``neo4j://`` URIs for the session's server, a record of the
transactions the driver began, and a TCP relay that drops a connection on cue (a lost
connection or a leader that went away, as a cluster client sees it)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

_ROUTED = {"bolt": "neo4j", "bolt+s": "neo4j+s", "bolt+ssc": "neo4j+ssc"}


def routed_uri(uri: str) -> str:
    """The same server through routing: ``bolt://h:p`` -> ``neo4j://h:p`` (``+s``/``+ssc``
    kept); a ``neo4j*`` URI is returned as it is."""
    scheme, sep, rest = uri.partition("://")
    return f"{_ROUTED.get(scheme, scheme)}{sep}{rest}"


def direct_uri(uri: str) -> str:
    """The inverse of :func:`routed_uri`: one server without routing."""
    scheme, sep, rest = uri.partition("://")
    back = {v: k for k, v in _ROUTED.items()}
    return f"{back.get(scheme, scheme)}{sep}{rest}"


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class Bolt:
    """What the driver said on the wire while recording (its DEBUG log)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def begins(self) -> list[str]:
        """Every ``BEGIN`` message, with its extra map (``'mode': 'r'`` = a READ transaction)."""
        return [line for line in self.lines if re.search(r"\bC: BEGIN\b", line)]

    def read_begins(self) -> list[str]:
        return [line for line in self.begins() if "'mode': 'r'" in line]

    def write_begins(self) -> list[str]:
        return [line for line in self.begins() if "'mode': 'r'" not in line]

    def routes(self) -> list[str]:
        """Routing-table requests (``ROUTE``), sent only by a ``neo4j://`` driver."""
        return [line for line in self.lines if re.search(r"\bC: ROUTE\b", line)]

    def runs(self, needle: str) -> list[str]:
        return [line for line in self.lines if "C: RUN" in line and needle in line]


@contextmanager
def bolt_messages() -> Iterator[Bolt]:
    """Record the driver's Bolt messages (the ``neo4j`` logger at DEBUG) while inside."""
    logger = logging.getLogger("neo4j")
    handler = _Messages()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield Bolt(handler.lines)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class DroppingRelay:
    """A TCP relay on 127.0.0.1 in front of a Bolt server that, once armed with
    :meth:`drop_on`, closes the client's connection at the first message containing the given
    bytes (e.g. a statement's text inside a RUN message), then relays normally again. The
    driver sees a dead connection; the server never sees that message, or (``forward_first``)
    it gets it and starts the work, then loses its client."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._needle: bytes | None = None
        self._forward_first = False
        self._lock = threading.Lock()
        self.dropped = 0
        self._closing = False
        threading.Thread(target=self._accept, daemon=True, name="relay-accept").start()

    def drop_on(self, needle: str, *, forward_first: bool = False) -> None:
        with self._lock:
            self._needle = needle.encode()
            self._forward_first = forward_first

    def _take_needle(self, data: bytes) -> bool:
        with self._lock:
            if self._needle is not None and self._needle in data:
                self._needle = None
                self.dropped += 1
                return True
            return False

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False),
                             daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and self._take_needle(data):
                    if self._forward_first:
                        dst.sendall(data)
                        time.sleep(0.5)  # the server starts on it
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def close(self) -> None:
        self._closing = True
        self._listener.close()
