"""Running the app under uvicorn on the configured address."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import sys
import threading

import uvicorn

from emulator.app import create_app
from emulator.settings import Settings

log = logging.getLogger("emulator")


def _bind(host: str, port: int) -> socket.socket:
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


def serve(settings: Settings) -> int:
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then restores the handlers it found and raises the signal
    # again, so with the default handlers a clean stop would die "killed by SIGTERM" (-15) or print a
    # KeyboardInterrupt traceback. These handlers make a stop exit 0, during start-up as after a graceful shutdown.
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _exit_cleanly)
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        sock = _bind(settings.host, settings.port)
    except OSError as exc:  # address in use, not ours, not an address: a clear line, not a traceback
        print(
            f"faxfinder-emulator: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    app = create_app(settings)
    app.state.box.start()
    # All that start-up built stays until exit: gc.freeze() takes it out of the collector's sight, so neither the
    # full collections while serving nor the ones while the interpreter shuts down walk it again (~0.5 s at exit).
    gc.freeze()
    gc.enable()
    port = sock.getsockname()[1]
    kind = "SIP channels" if settings.is_ip else "modems"
    print(
        f"faxfinder-emulator {settings.model} ({settings.line_count} {kind}) on http://{settings.host}:{port}/ffws/v1",
        flush=True,
    )
    config = uvicorn.Config(app, log_level=settings.log_level, access_log=False, server_header=False)
    server = uvicorn.Server(config)
    asyncio.run(server.serve(sockets=[sock]))
    return 0
