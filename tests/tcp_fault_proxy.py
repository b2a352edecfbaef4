"""A TCP proxy a test controls, to cut the app off from a real server without stopping it.

The shared PostgreSQL serves every engineer and CI run, so a test never stops it: it puts this
proxy between its app and the server and switches it between

- ``forward``: bytes pass both ways, as if the proxy were not there;
- ``refuse``: the port is closed (new connections are refused) and every open connection is
  closed, as when PostgreSQL is stopped;
- ``blackhole``: new connections are accepted but never answered, and open connections swallow
  what they are sent and answer nothing, as when the server or the network goes silent.

Going back to ``forward`` closes the connections that were blackholed (their protocol state is
lost) and serves new ones normally.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["FaultProxy", "through_proxy", "within"]


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result, failing the test if it has not returned after ``seconds``.

    The call runs on a thread so that a hang fails the test instead of stalling the run.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    assert not worker.is_alive(), f"no answer within {seconds} s: the request hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def through_proxy(database_url: str, proxy: FaultProxy) -> str:
    """``database_url`` with its host and port replaced by the proxy's."""
    parts = urlsplit(database_url)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + proxy.address))


class FaultProxy:
    """A threaded loopback proxy to ``upstream`` (host, port) with a switchable fault mode."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "forward"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = False
        self.port = 0
        self._listen()

    @property
    def address(self) -> str:
        """host:port of the proxy's end."""
        return f"127.0.0.1:{self.port}"

    def forward(self) -> None:
        """Pass traffic again; connections cut off by the blackhole are closed."""
        self._close_connections()
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def refuse(self) -> None:
        """Close the port and every open connection: new connections are refused."""
        self.mode = "refuse"
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._close_connections()

    def blackhole(self) -> None:
        """Accept and hold connections but answer nothing, on new and open connections alike."""
        self.mode = "blackhole"
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        """Stop the proxy and close everything it holds."""
        self._stopped = True
        self.refuse()

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by refuse()
            self._track(client)
            if self.mode == "blackhole":
                continue  # held open, never answered
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                self._untrack(client)
                continue
            self._track(server)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        pair = {client: server, server: client}
        try:
            while not self._stopped:
                readable, _, _ = select.select(list(pair), [], [], 0.1)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    if self.mode == "forward":
                        pair[source].sendall(data)
                    # blackhole: swallowed, the other side waits for an answer that never comes
        except (OSError, ValueError):
            return
        finally:
            self._untrack(client)
            self._untrack(server)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with suppress(OSError):
            sock.close()

    def _close_connections(self) -> None:
        with self._lock:
            open_sockets, self._sockets = self._sockets, set()
        for sock in open_sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()
