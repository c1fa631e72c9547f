"""Running the app under uvicorn on the configured address."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from emulator.app import create_app
from emulator.connections import GuardedLoop, Limits, Pool, guarded_protocol, open_files_limit
from emulator.documents.fonts import warn_if_no_unicode_font
from emulator.observe import logs
from emulator.settings import Settings

if TYPE_CHECKING:
    from emulator.box import Box

log = logging.getLogger("emulator")
GRACEFUL_SHUTDOWN = 5  # seconds


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP. Without it every answer
    # written in two parts (head, then body) waits for the client's delayed ACK: ~40 ms per keep-alive request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _exit_cleanly(signum: int, _frame: object) -> None:
    raise SystemExit(0)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the process: one SIGTERM stops the HTTP and the HTTPS server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_all(servers: list[_Server], sockets: list[socket.socket], box: Box) -> None:
    def stop() -> None:
        box.live.close()  # an open event stream never ends by itself: uvicorn would wait for it for ever
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
    await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in zip(servers, sockets, strict=True)))


def _certificate(settings: Settings) -> tuple[Path, Path]:
    if settings.certfile is not None and settings.keyfile is not None:
        for path in (settings.certfile, settings.keyfile):
            if not path.is_file():
                raise OSError(f"no such file: {path}")
        return settings.certfile, settings.keyfile
    from emulator.tls import self_signed

    return self_signed(settings.data_dir, settings.host)


def _listen(settings: Settings) -> list[socket.socket]:
    ports = [settings.port] + ([settings.tls_port] if settings.tls_port is not None else [])
    sockets = []
    try:
        for port in ports:
            sockets.append(bind(settings.host, port))
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise OSError(f"cannot listen on {settings.host}:{port}: {exc.strerror or exc}") from None
    return sockets


def _listen_smtp(settings: Settings) -> socket.socket | None:
    """The fax-by-e-mail listener's socket (--smtp-listen-port), bound before the app starts so that an address in
    use is one clear line."""
    if settings.smtp_listen_port is None:
        return None
    try:
        return bind(settings.host, settings.smtp_listen_port)
    except OSError as exc:
        where = f"{settings.host}:{settings.smtp_listen_port}"
        raise OSError(f"cannot listen on {where} (--smtp-listen-port): {exc.strerror or exc}") from None


def connection_options(settings: Settings) -> dict[str, Any]:
    """What both servers share: one pool of connections (they share the process's file descriptors), the same
    deadlines, and uvicorn's own keep-alive timeout. uvicorn's limit_concurrency is not used: it counts half-open
    connections and answers 503 to everyone once they fill it (see emulator.connections)."""
    limits = Limits(settings.header_timeout, settings.body_timeout, open_files_limit(settings.max_connections))
    return {
        "http": guarded_protocol(Pool(limits.max_connections), limits),
        "timeout_keep_alive": settings.keep_alive_timeout,
        "log_level": settings.log_level,
        "access_log": False,
        "server_header": False,
        # A request still running this long after a stop was asked for is cut off (the event streams are ended at
        # once; this is for anything else that would hold the exit).
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
    }


def serve(settings: Settings) -> int:
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and raises the signal
    # again, so with the default handlers a clean stop would die "killed by SIGTERM" (-15) or print a
    # KeyboardInterrupt traceback. These handlers make a stop during start-up exit 0; once serving, the event loop's
    # handlers stop every server gracefully.
    _stop_cleanly_on_signals()
    _configure_logging(settings)
    warn_if_no_unicode_font(settings.cover_font)
    sockets: list[socket.socket] = []
    try:
        _claim(settings)
        sockets = _listen(settings)  # address in use, not ours, not an address: a clear line, not a traceback
        smtp = _listen_smtp(settings)
        tls = _certificate(settings) if settings.tls_port is not None else None
    except OSError as exc:
        for sock in sockets:
            sock.close()
        print(f"faxfinder-emulator: {exc}", file=sys.stderr)
        return 1
    if settings.workers > 1:
        from emulator.workers import supervise

        _announce(settings, sockets, smtp)
        return supervise(settings, sockets, smtp, tls)
    run_worker(settings, sockets, smtp, tls, announce=True)
    return 0


def run_worker(
    settings: Settings,
    sockets: list[socket.socket],
    smtp: socket.socket | None,
    tls: tuple[Path, Path] | None,
    *,
    announce: bool,
) -> None:
    """Serve the box on sockets already bound: the one process, or one of its workers."""
    _stop_cleanly_on_signals()
    app = _started_app(settings, sockets, smtp, tls is not None)
    # All that start-up built stays until exit: gc.freeze() takes it out of the collector's sight, so neither the
    # full collections while serving nor the ones while the interpreter shuts down walk it again (~0.5 s at exit).
    gc.freeze()
    gc.enable()
    common = connection_options(settings)
    common["log_config"] = None  # uvicorn's own lines go through the handler above, in the same format
    servers = [_Server(uvicorn.Config(app, **common))]
    if tls is not None:
        # One app, one box, one state: the HTTPS server shares them and leaves the app's start and stop to the first.
        config = uvicorn.Config(app, lifespan="off", ssl_certfile=str(tls[0]), ssl_keyfile=str(tls[1]), **common)
        servers.append(_Server(config))
    if announce:
        _announce(settings, sockets, smtp)
    with asyncio.Runner(loop_factory=lambda: GuardedLoop(settings.header_timeout)) as runner:
        runner.run(_serve_all(servers, sockets, app.state.box))


_claimed: list[object] = []  # the lock file of a SQLite data dir, held open while the process lives


def _claim(settings: Settings) -> None:
    """A SQLite box is one process's: a second process on its data dir is refused (PostgreSQL boxes take several,
    emulator.cluster)."""
    if not settings.effective_database_url.startswith("sqlite"):
        return
    try:
        import fcntl
    except ImportError:  # (Windows: not checked)
        return
    from emulator.paths import private_dir

    handle = open(private_dir(settings.data_dir) / "serve.lock", "a")  # noqa: SIM115 - held until the process ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise OSError(
            f"another faxfinder-emulator already serves {settings.data_dir} (a SQLite box is one process's: give "
            "several workers a PostgreSQL --database-url)"
        ) from None
    _claimed.append(handle)


def _stop_cleanly_on_signals() -> None:
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _exit_cleanly)


def _configure_logging(settings: Settings) -> None:
    logs.configure(settings.log_level, settings.log_format)
    if settings.log_level != "debug":  # aiosmtpd's line for every SMTP connection and command
        logging.getLogger("mail.log").setLevel(logging.WARNING)


def _started_app(settings: Settings, sockets: list[socket.socket], smtp: socket.socket | None, tls: bool) -> Any:
    app = create_app(settings)
    box = app.state.box
    box.mail.listen_socket = smtp  # served once the app starts
    box.listening_ports = {sock.getsockname()[1] for sock in sockets}  # never fetched as an attachment
    if tls:
        box.tls_port = sockets[1].getsockname()[1]  # links name it (--tls-port 0 picks one)
    box.start()
    return app


def _announce(settings: Settings, sockets: list[socket.socket], smtp: socket.socket | None) -> None:
    kind = "SIP channels" if settings.is_ip else "modems"
    urls = [f"http://{settings.host}:{sockets[0].getsockname()[1]}/ffws/v1"]
    if len(sockets) > 1:
        urls.append(f"https://{settings.host}:{sockets[1].getsockname()[1]}/ffws/v1")
    if smtp is not None:
        urls.append(f"smtp://{settings.host}:{smtp.getsockname()[1]} (fax by e-mail)")
    workers = f" ({settings.workers} workers)" if settings.workers > 1 else ""
    print(f"faxfinder-emulator {settings.model} ({settings.line_count} {kind}) on {' and '.join(urls)}{workers}",
          flush=True)  # fmt: skip
    target = settings.smtp_target
    if target is not None:
        print(f"faxfinder-emulator: mail delivered to {target.shown}", flush=True)  # (never its password)
