"""Running the app under uvicorn on the configured address."""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn

from emulator.app import create_app
from emulator.settings import Settings

log = logging.getLogger("emulator")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    app.state.box.start()
    sock = _bind(settings.host, settings.port)
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
