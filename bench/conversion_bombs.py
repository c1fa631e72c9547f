"""Conversion bombs against a real server: what each costs the server, and how long until it is refused.

    python bench/conversion_bombs.py [--cases feeds,frames,pixels,cpu] [--timeout 300] [--checkout DIR]

Cases (issue 10, item 1): ``feeds`` a text/plain attachment of 26,000,000 form feeds (34.7 MB of base64, about the
largest body a request may have), ``frames`` a TIFF of 100,000 frames of 1 x 1 pixels, ``pixels`` a 657 kB PNG of
13,000 x 13,000 RGBA pixels, ``cpu`` a text of 1,500,000 lines (25,000 pages) with the page budgets raised and
``--conversion-cpu-seconds 1``. Each case gets a fresh ``serve --manual-clock`` process (VmHWM is a process-lifetime
high-water mark) and data dir: one small warm-up fax is converted and sent, the server's VmRSS is read, the bomb is
scheduled (with a one-page fax after it), and one ``POST /_emulator/clock/advance`` of 600 s is timed, bounded by
``--timeout``, while ``/_emulator/health`` is polled every 0.2 s (its slowest answer is reported; 10 s means it did
not answer). Reported: the advance's wall time, the server's VmHWM above its idle VmRSS, the largest VmHWM of its
conversion workers still alive, the slowest health answer, the bomb's state and message, and the other fax's state.

``--checkout DIR`` runs the server from another source tree (e.g. ``git archive HEAD~1 | tar -x -C DIR``) with this
interpreter, for figures from before; the budget flags of the ``cpu`` case are then left out (an older tree does not
know them). Everything runs on 127.0.0.1 and stops by itself: every wait is bounded and servers end with SIGKILL.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from servers import AUTH, HOST, free_port, wait_for_200

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.documents_builders import blank_png_bytes, many_frames_tiff_bytes  # noqa: E402

CHEAP_ARGON2 = ["--argon2-time-cost", "1", "--argon2-memory-kib", "8"]
CPU_BUDGETS = ["--conversion-cpu-seconds", "1", "--max-attachment-pages", "1000000", "--max-fax-pages", "1000000"]


def _text_lines(count: int) -> bytes:
    return "".join(f"line {n}\n" for n in range(1, count + 1)).encode()


CASES = {
    "feeds": ("feeds.txt", "text/plain", lambda: b"\f" * 26_000_000),
    "frames": ("frames.tif", "image/tiff", lambda: many_frames_tiff_bytes(100_000)),
    "pixels": ("huge.png", "image/png", lambda: blank_png_bytes(13_000, 13_000)),
    "cpu": ("long.txt", "text/plain", lambda: _text_lines(1_500_000)),
}


def fax(name: str, content_type: str, data: bytes, number: str = "555-0100") -> bytes:
    return (
        "<schedule_fax><cover_page><enabled>false</enabled></cover_page>"
        f"<recipient><fax_number>{number}</fax_number></recipient><attachment><location>inline</location>"
        f"<name>{name}</name><content_type>{content_type}</content_type>"
        f"<content>{base64.b64encode(data).decode()}</content></attachment></schedule_fax>"
    ).encode()


def request(port: int, method: str, path: str, body: bytes | None = None, timeout: float = 60) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Authorization": AUTH}
        if path.startswith("/_emulator"):
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def grandchildren(pid: int) -> list[int]:
    def children(of: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{of}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found

    return [g for c in children(pid) for g in children(c)]


def entries(port: int) -> dict[str, tuple[str, str]]:
    _, body = request(port, "GET", "/ffws/v1/ofax?all_users=true&complete_limit=100")
    pattern = r"/ofax/(\w+/\w+)</fax_entry_url>.*?<state>(\w+)</state>.*?<schedule_message>([^<]*)<"
    return {key: (state, message) for key, state, message in re.findall(pattern, body.decode(), re.S)}


def run_case(case: str, args: argparse.Namespace, workdir: Path) -> dict:
    name, content_type, make = CASES[case]
    port = free_port()
    extra = CPU_BUDGETS if case == "cpu" and args.checkout is None else []
    data_dir = workdir / f"data-{case}"
    argv = [sys.executable, "-m", "emulator", "serve", "--host", HOST, "--port", str(port)]
    argv += ["--data-dir", str(data_dir), "--manual-clock", "--log-level", "warning", *CHEAP_ARGON2, *extra]
    log = (workdir / f"{case}.log").open("wb")
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log, cwd=args.checkout or ROOT)
    try:
        wait_for_200(port, process)
        assert request(port, "POST", "/ffws/v1/ofax", fax("warm.txt", "text/plain", b"warm up\n"))[0] == 201
        request(port, "POST", "/_emulator/clock/advance", json.dumps({"seconds": 600}).encode())
        idle = status_mb(process.pid, "VmRSS")
        status, answer = request(port, "POST", "/ffws/v1/ofax", fax(name, content_type, make()), timeout=120)
        assert status == 201, answer[:300]
        assert request(port, "POST", "/ffws/v1/ofax", fax("small.txt", "text/plain", b"hello\n", "555-0101"))[0] == 201
        slowest = [0.0]
        done = threading.Event()

        def poll_health() -> None:
            while not done.is_set():
                started = time.monotonic()
                try:
                    request(port, "GET", "/_emulator/health", timeout=10)
                    slowest[0] = max(slowest[0], time.monotonic() - started)
                except OSError:
                    slowest[0] = 10.0
                done.wait(0.2)

        poller = threading.Thread(target=poll_health, daemon=True)
        poller.start()
        started = time.monotonic()
        try:
            request(port, "POST", "/_emulator/clock/advance", json.dumps({"seconds": 600}).encode(), args.timeout)
            advance = f"{time.monotonic() - started:.2f} s"
        except OSError:
            advance = f"> {args.timeout:g} s (timed out)"
        peak = status_mb(process.pid, "VmHWM")
        workers = [status_mb(w, "VmHWM") for w in grandchildren(process.pid)]
        done.set()
        poller.join(15)
        try:
            states = entries(port)
        except OSError:
            states = {}
        return {
            "case": case,
            "advance": advance,
            "server peak above idle": f"{peak - idle:.0f} MB (idle {idle:.0f} MB)",
            "largest worker peak": f"{max(workers):.0f} MB" if workers else "-",
            "slowest health": f"{slowest[0]:.2f} s",
            "bomb": states.get("00000002/0000", ("?", "?")),
            "other fax": states.get("00000003/0000", ("?", "?"))[0],
        }
    finally:
        process.kill()
        process.wait(10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--timeout", type=float, default=300.0, help="bound of each advance, in seconds")
    parser.add_argument("--checkout", type=Path, help="run the server from this source tree instead")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; server from {args.checkout or ROOT}")
    with tempfile.TemporaryDirectory(prefix="bombs-") as tmp:
        for case in args.cases.split(","):
            print(json.dumps(run_case(case, args, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
