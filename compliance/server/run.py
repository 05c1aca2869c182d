"""Running the service: one process, or a supervisor with N worker processes sharing one listening socket.

With ``--workers 1`` the HTTP server, the evaluation threads and the audit writer share one process. With
``--workers N`` the supervisor binds the socket, starts N workers (``spawn``: no fork of a threaded process),
owns the audit log (the workers send it their receipts: one writer, one chain) and relays signals:

- SIGTERM / SIGINT: stop accepting, finish the requests in flight, write the queued receipts, seal the log;
- SIGHUP: reload the packs (every worker; a pack error keeps the old set, and is logged);
- SIGUSR1: rotate the audit log (seal the file, continue in a new one at the same path).

A worker whose supervisor dies is killed by the kernel (``PR_SET_PDEATHSIG`` on Linux); a worker that dies is
replaced; an audit writer that fails stops the service (no decision is given unrecorded).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, Any

import uvicorn

from compliance._version import __version__
from compliance.audit.keys import load_key
from compliance.audit.receipts import RunInfo
from compliance.errors import InputError, Location, Problem
from compliance.server.access import AccessLog
from compliance.server.app import AppConfig, create_app
from compliance.server.audit import AuditWriter, Entry, MovementEntry
from compliance.server.metrics import Metrics
from compliance.server.state import PackState

__all__ = ["ServeOptions", "read_token", "serve"]


@dataclass(frozen=True, slots=True)
class ServeOptions:
    roots: tuple[str, ...]
    origin: dict[str, object] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8080
    backend: str = "durable"
    workers: int = 1
    app: AppConfig = field(default_factory=AppConfig)
    audit_log: str | None = None
    access_log: bool = True
    quiet: bool = False
    clearances: str | None = None  # the clearances file (`check --clearances`), read on start and on reload


def _run_info(opts: ServeOptions, state: PackState) -> RunInfo:
    """The audit run of one serving period: the service, its matching core and the packs it started with."""
    packs = tuple({"id": p.meta.id, "version": p.meta.version, "sha256": p.sha256} for p in state.current.packset.packs)
    return RunInfo(("compliance serve",), None, opts.backend, packs, __version__)


def read_token(path: str) -> bytes:
    """The bearer token in ``path`` (surrounding whitespace removed); an empty or unreadable file is an error."""
    try:
        token = Path(path).read_bytes().strip()
    except OSError as exc:
        raise InputError(
            [Problem(Location(path), "unreadable", f"cannot read the token file: {exc.strerror}")]
        ) from None
    if not token or b"\n" in token or len(token) < 16:
        raise InputError(
            [
                Problem(
                    Location(path),
                    "invalid-token",
                    "the token file must hold one token of at least 16 characters on one line",
                    help="e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))' > token`",
                )
            ]
        )
    return token


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def _uvicorn(app: Any, sock: socket.socket) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,  # ours is structured (access.py)
        lifespan="off",
        timeout_graceful_shutdown=30,
        server_header=False,
    )
    return uvicorn.Server(config)


def _say(opts: ServeOptions, stream: IO[str], text: str) -> None:
    if not opts.quiet:
        stream.write(text + "\n")
        stream.flush()


def _reloader(state: PackState, metrics: Metrics, access: AccessLog | None, err: IO[str]) -> Callable[..., None]:
    def reload() -> None:
        result = state.reload()
        metrics.reload(result.ok)
        problems = [f"{p.location}: {p.code} {p.message}" for p in result.problems]
        if access is not None:
            access.event("reload", ok=result.ok, generation=result.loaded.generation, problems=problems)
        if not result.ok:
            err.write("error: reload failed; the packs in use are kept:\n" + "".join(f"  {p}\n" for p in problems))
            err.flush()

    def on_signal(signum: int, frame: object) -> None:
        # Never load packs inside a signal handler: a thread does it while the server keeps answering.
        threading.Thread(target=reload, name="reload", daemon=True).start()

    return on_signal


def serve(opts: ServeOptions, *, err: IO[str] | None = None) -> int:
    """Run until SIGTERM or SIGINT; the exit status. Pack errors at start-up raise :class:`PackError`."""
    err = err or sys.stderr
    if opts.workers > 1:
        return _supervise(opts, err)
    state = PackState(opts.roots, backend=opts.backend, origin=opts.origin, clearances=opts.clearances)
    metrics = Metrics()
    try:
        sock = _bind(opts.host, opts.port)
    except OSError:
        state.close()
        raise
    try:
        writer = AuditWriter(opts.audit_log, _run_info(opts, state), key=load_key()).start() if opts.audit_log else None
    except BaseException:  # a broken chain or an unwritable log: nothing is left open
        sock.close()
        state.close()
        raise
    access = AccessLog(err) if opts.access_log else None
    app, service = create_app(
        state,
        opts.app,
        metrics,
        submit=writer.submit if writer else None,
        audit_alive=(lambda: writer.alive) if writer else (lambda: True),
        access=access,
    )
    server = _uvicorn(app, sock)
    previous = {
        signal.SIGHUP: signal.signal(signal.SIGHUP, _reloader(state, metrics, access, err)),
        signal.SIGUSR1: signal.signal(signal.SIGUSR1, lambda s, f: writer.rotate() if writer else None),
        **_after_uvicorn(),
    }
    host, port = sock.getsockname()[:2]
    _say(opts, err, f"compliance serve: listening on http://{_url_host(host)}:{port} (1 worker, pid {os.getpid()})")
    try:
        server.run(sockets=[sock])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        service.close()
        if writer is not None:
            writer.close()
        state.close()
        sock.close()
        _say(opts, err, "compliance serve: stopped" + (f"; audit log sealed ({opts.audit_log})" if writer else ""))
    return 0 if writer is None or writer.failure is None else 1


def _after_uvicorn() -> dict[signal.Signals, Any]:
    """uvicorn stops on SIGTERM / SIGINT, then raises the signal again with the handler it found installed; with
    the default handler that would end the process before the audit log is sealed. What it finds is this no-op."""

    def stopped(signum: int, frame: object) -> None:
        pass

    return {s: signal.signal(s, stopped) for s in (signal.SIGTERM, signal.SIGINT)}


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# -- several workers -------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker(opts: ServeOptions, sock: socket.socket, metrics: Metrics, receipts: Any, number: int) -> None:
    _die_with_parent()
    err = sys.stderr
    state = PackState(opts.roots, backend=opts.backend, origin=opts.origin, clearances=opts.clearances)
    access = AccessLog(err) if opts.access_log else None

    def submit(entry: Entry | MovementEntry) -> None:
        receipts.put(entry)

    app, service = create_app(
        state,
        opts.app,
        metrics,
        submit=submit if opts.audit_log else None,
        access=access,
        # A reload asked of one worker is passed to all, through the supervisor.
        on_reload=lambda: os.kill(os.getppid(), signal.SIGHUP),
    )
    signal.signal(signal.SIGHUP, _reloader(state, metrics, access, err))
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    _after_uvicorn()
    try:
        _uvicorn(app, sock).run(sockets=[sock])
    finally:
        service.close()
        state.close()
        if opts.audit_log:
            receipts.close()
            receipts.join_thread()  # every receipt this worker produced reaches the supervisor


def _supervise(opts: ServeOptions, err: IO[str]) -> int:
    ctx = multiprocessing.get_context("spawn")
    # Fail before starting workers: the packs must load, and an audit log must continue its chain.
    first = PackState(opts.roots, backend=opts.backend, origin=opts.origin, clearances=opts.clearances)
    run = _run_info(opts, first)
    first.close()
    metrics = Metrics(ctx)
    receipts = ctx.Queue() if opts.audit_log else None
    writer = AuditWriter(opts.audit_log, run, receipts, key=load_key()) if opts.audit_log else None
    sock = _bind(opts.host, opts.port)
    workers: list[BaseProcess] = []
    stopping = threading.Event()
    reloads = 0

    def start(number: int) -> BaseProcess:
        process = ctx.Process(
            target=_worker, args=(opts, sock, metrics, receipts, number), name=f"compliance-worker-{number}"
        )
        process.start()
        return process

    def on_stop(signum: int, frame: object) -> None:
        stopping.set()

    def on_hup(signum: int, frame: object) -> None:
        nonlocal reloads
        reloads += 1

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, on_stop),
        signal.SIGINT: signal.signal(signal.SIGINT, on_stop),
        signal.SIGHUP: signal.signal(signal.SIGHUP, on_hup),
        signal.SIGUSR1: signal.signal(signal.SIGUSR1, lambda s, f: writer.rotate() if writer else None),
    }
    status = 0
    try:
        workers = [start(n) for n in range(opts.workers)]
        if writer is not None:
            writer.start()  # after the workers started: this process had no threads when it spawned them
        host, port = sock.getsockname()[:2]
        _say(
            opts,
            err,
            f"compliance serve: listening on http://{_url_host(host)}:{port} "
            f"({opts.workers} workers, supervisor pid {os.getpid()})",
        )
        relayed = 0
        while not stopping.wait(0.2):
            if reloads != relayed:
                relayed = reloads
                _signal_all(workers, signal.SIGHUP)
            if writer is not None and not writer.alive:
                err.write(f"error: the audit log failed ({writer.failure}); stopping: no decision goes unrecorded\n")
                status = 1
                break
            for i, process in enumerate(workers):
                if not process.is_alive():
                    err.write(f"compliance serve: worker {i} exited ({process.exitcode}); starting another\n")
                    workers[i] = start(i)
    finally:
        _signal_all(workers, signal.SIGTERM)
        for process in workers:
            process.join(40)
            if process.is_alive():
                process.kill()
        if writer is not None:
            writer.close()
        sock.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _say(opts, err, "compliance serve: stopped" + (f"; audit log sealed ({opts.audit_log})" if writer else ""))
    return status


def _signal_all(workers: Sequence[BaseProcess], signum: int) -> None:
    for process in workers:
        if process.pid is not None and process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)
