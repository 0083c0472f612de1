"""Serving the app with several worker processes, each with its own listening socket.

Uvicorn's own ``--workers`` shares one listening socket between the processes; the
first process to wake up accepts whatever connections are waiting. Clients that keep
their connections open (a reverse proxy's keep-alive pool, a load test) then end up
mostly on one worker: measured here, 28 of 32 keep-alive connections landed on one of
two workers, which doubled the latency of most requests while the other core idled.

With ``SO_REUSEPORT`` (Linux, the BSDs) every worker binds its own socket to the same
address and the kernel spreads new connections over them evenly. ``run`` starts one
process per worker, restarts a worker that dies, and stops them all on SIGINT/SIGTERM.
Where the platform lacks ``SO_REUSEPORT`` it falls back to Uvicorn's own workers.

``SO_REUSEPORT`` would also let a second Respira bind the same port and take half of the
connections, so ``run`` first makes sure that nothing listens there yet (a bind without
``SO_REUSEPORT``, which fails while any socket listens on the port) and refuses to start
otherwise. It also refuses plain HTTP (``insecure_http_localhost``) on any address but
the loopback interface.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from typing import Any

import uvicorn

from respira.kit.config import LOOPBACK_HOSTS, get_settings

APP = "respira.app.factory:app_from_env"
log = logging.getLogger("respira.server")


def _config(host: str, port: int, proxy_headers: bool, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        access_log=False,  # our own access log names the route, never the patient
        proxy_headers=proxy_headers,
        log_level=log_level,
    )


def _reuseport_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


class CannotServe(SystemExit):
    """Why ``run`` refuses to start (the command prints it and exits with status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def ensure_port_free(host: str, port: int) -> None:
    """Refuse to start when another process (another Respira) already listens on the
    address: a bind without ``SO_REUSEPORT`` fails while any socket listens there."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CannotServe(
                f"Cannot serve on {host}:{port}: {exc.strerror or exc}. Another process "
                "(perhaps another Respira) is already listening there; stop it or choose "
                "another --port."
            ) from exc


def ensure_transport_allowed(host: str) -> None:
    """Plain HTTP (``insecure_http_localhost``) is for this machine only."""
    if get_settings().insecure_http_localhost and host.lower() not in LOOPBACK_HOSTS:
        raise CannotServe(
            f"RESPIRA_INSECURE_HTTP_LOCALHOST serves plain HTTP and only on this machine; "
            f"it may not listen on {host}. Serve on 127.0.0.1 behind a TLS proxy, or unset it."
        )


def _worker(host: str, port: int, proxy_headers: bool, log_level: str) -> None:
    sock = _reuseport_socket(host, port)
    uvicorn.Server(_config(host, port, proxy_headers, log_level)).run(sockets=[sock])


def run(
    host: str, port: int, workers: int, *, proxy_headers: bool = False, log_level: str = "info"
) -> None:
    ensure_transport_allowed(host)
    ensure_port_free(host, port)
    if workers == 1:
        uvicorn.Server(_config(host, port, proxy_headers, log_level)).run()
        return
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - not on Linux
        uvicorn.run(
            APP,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            proxy_headers=proxy_headers,
            log_level=log_level,
        )
        return
    # Fail early, in the parent, if the address is taken or invalid.
    _reuseport_socket(host, port).close()
    ctx = multiprocessing.get_context("spawn")
    args: tuple[Any, ...] = (host, port, proxy_headers, log_level)
    procs = [ctx.Process(target=_worker, args=args, daemon=False) for _ in range(workers)]
    for p in procs:
        p.start()
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        time.sleep(0.5)
        for i, p in enumerate(procs):
            if not stopping and not p.is_alive():
                log.warning("worker %s exited with %s; starting a new one", p.pid, p.exitcode)
                procs[i] = ctx.Process(target=_worker, args=args, daemon=False)
                procs[i].start()
    for p in procs:
        if p.is_alive() and p.pid is not None:
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
            p.kill()
