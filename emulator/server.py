"""Running the app under uvicorn on the configured address."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys

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


def serve(settings: Settings) -> int:
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
