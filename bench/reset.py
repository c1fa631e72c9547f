"""How long ``POST /_emulator/reset`` takes on a small database (target: median < 50 ms).

    python bench/reset.py [--rounds 30] [--warmup 3]

One emulator (SQLite in a temporary data dir, the manual clock, the default Argon2 cost) runs in-process behind
httpx's ASGI transport. Before every reset, untimed, it is given a small database: a few users, contacts and groups,
an inbound route, a changed setting, two faxes with PDF attachments (one sent, one pending), an inbound fax, a fault,
and the journal entries all that leaves. Only the reset request is timed; the figure printed is the median over the
rounds (with min and max), after a few warm-up rounds (the first reset hashes the fixture passwords once).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from reportlab.pdfgen.canvas import Canvas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.app import create_app  # noqa: E402
from emulator.box import Box  # noqa: E402
from emulator.settings import Settings  # noqa: E402

TARGET_MS = 50.0
ADMIN = ("admin", "admin")


def two_pages() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    for page in (1, 2):
        canvas.drawString(72, 700, f"Bench page {page}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


PDF = two_pages()


def fax(number: str, extra: str = "") -> str:
    content = base64.b64encode(PDF).decode()
    return (
        "<schedule_fax><recipient><name>R</name><fax_number>" + number + "</fax_number></recipient>"
        "<attachment><location>inline</location><name>a.pdf</name><content_type>application/pdf</content_type>"
        "<content_transfer_encoding>base64</content_transfer_encoding><content>" + content + "</content>"
        "</attachment>" + extra + "</schedule_fax>"
    )


async def populate(client: httpx.AsyncClient) -> None:
    async def ok(method: str, path: str, body: str | None = None, **kwargs: object) -> None:
        response = await client.request(method, path, content=body, auth=ADMIN, **kwargs)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")

    for n in range(3):
        await ok(
            "POST", "/ffws/v1/users", f"<user><name>U{n}</name><username>u{n}</username><password>p</password></user>"
        )
        await ok(
            "POST", "/ffws/v1/contacts/admin", f"<contact><name>C{n}</name><fax_number>555{n}</fax_number></contact>"
        )
    await ok("POST", "/ffws/v1/contact_groups/admin", "<contact_group><name>G</name></contact_group>")
    route = "<inbound_route><type>global</type><destination><type>user</type><value>u0</value></destination>"
    await ok("PUT", "/ffws/v1/inbound_routes", route + "</inbound_route>")
    status = "<global_contacts_status><non_admin_can_add>true</non_admin_can_add></global_contacts_status>"
    await ok("PUT", "/ffws/v1/global_contacts_status", status)
    await ok("POST", "/ffws/v1/ofax", fax("218-555-1000"))
    await ok("POST", "/ffws/v1/ofax", fax("218-555-2000", "<schedule_all_at>2030-01-01T00:00:00</schedule_all_at>"))
    await ok("POST", "/_emulator/inbound", json={"remote_id": "BENCH", "pages": 2})
    await ok("POST", "/_emulator/faults", json={"kind": "fax", "fax_number": "*9999", "outcome": "busy"})
    await ok("POST", "/_emulator/clock/advance", json={"seconds": 600})
    complete = await client.get("/ffws/v1/ofax", params={"class": "complete"}, auth=ADMIN)
    if "<state>sent</state>" not in complete.text:
        raise SystemExit("the first fax was not sent: " + complete.text)


async def measure(rounds: int, warmup: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="ffemu-bench-") as data_dir:
        box = Box(Settings(data_dir=Path(data_dir), manual_clock=True, log_level="warning"))
        box.start()
        app = create_app(box.settings, box)
        timings = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for number in range(warmup + rounds):
                await populate(client)
                started = time.perf_counter()
                response = await client.post("/_emulator/reset")
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"reset: {response.status_code} {response.text}")
                if number >= warmup:
                    timings.append(elapsed)
        box.stop()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    timings = asyncio.run(measure(args.rounds, args.warmup))
    median = statistics.median(timings)
    verdict = "meets" if median < TARGET_MS else "MISSES"
    print(
        f"reset on a small database: median {median:.1f} ms (min {min(timings):.1f}, max {max(timings):.1f}, "
        f"{len(timings)} rounds) — {verdict} the target of < {TARGET_MS:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
