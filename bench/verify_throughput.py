"""Throughput of ``GET /ffws/v1/verify`` against a bare FastAPI app, and cold start of ``faxfinder-emulator serve``.

    python bench/verify_throughput.py [--requests 3000] [--rounds 3] [--cold-runs 7]

Throughput: one sequential keep-alive client (``http.client``, the cheapest client in the standard library, so the
figures are the servers' cost and not the client's) sends ``GET /ffws/v1/verify`` with Basic admin/admin to

* the emulator, ``faxfinder-emulator serve`` (uvicorn, default settings, default Argon2 cost), and
* a bare FastAPI app on the same uvicorn and the same uvicorn settings, answering the same bytes without auth,

each in its own process on 127.0.0.1. Both are warmed up, then measured in alternating rounds; the best round of
each is reported, and the ratio emulator / bare (target >= 0.8). The CPU time each server process spent per request
(from /proc) is reported too: unlike requests per second, it barely moves when other work shares the machine.

Cold start: wall time from spawning ``faxfinder-emulator serve`` to the first 200 from ``/ffws/v1/verify``, on a
data dir that is already migrated and seeded (target <= 0.6 s), and on fresh ones (migration and Argon2 seeding
included); median of several runs, with the CPU time of the server process over the same span. For scale: the bare
app's cold start, and ``python -c "import emulator.server"``.

Everything runs on 127.0.0.1 and stops by itself: each server is ended with SIGTERM (SIGKILL after a few seconds)
and every wait is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from servers import AUTH, HOST, VERIFY, cpu_seconds, emulator_argv, free_port, running, spawn, stop, wait_for_200

EXPECTED = b'<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <message>Verified</message>\n</response>\n'
TARGET_RATIO = 0.8
TARGET_COLD = 0.6

# The bare app: the same uvicorn and uvicorn settings as emulator/server.py, the same bytes, no auth. It lets
# uvicorn bind its own socket (the textbook way), so a regression in how we bind ours shows up here.
BARE_APP = f"""
import sys
import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

BODY = {EXPECTED!r}
app = FastAPI()


@app.get("{VERIFY}")
async def verify():
    return Response(BODY, media_type="application/xml")


config = uvicorn.Config(
    app, host="{HOST}", port=int(sys.argv[1]), log_level="warning", access_log=False, server_header=False
)
uvicorn.Server(config).run()
"""


def console_script() -> str:
    """``faxfinder-emulator`` beside this interpreter (the virtualenv's), else on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "faxfinder-emulator"
    found = str(beside) if beside.exists() else shutil.which("faxfinder-emulator")
    if not found:
        sys.exit("faxfinder-emulator is not installed (make install)")
    return found


def get_verify(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", VERIFY, headers={"Authorization": AUTH})
    response = conn.getresponse()
    body = response.read()
    if response.status == 200 and body != EXPECTED:
        raise SystemExit(f"unexpected body from {conn.host}:{conn.port}: {body!r}")
    return response.status


# How the servers are polled until they answer: every 2 ms (finer than the cold starts it times), checking the body.
POLL = {"probe": get_verify, "interval": 0.002}


def bare_argv(port: int) -> list[str]:
    return [sys.executable, "-c", BARE_APP, str(port)]


# -- throughput --------------------------------------------------------------------------------------------------
@dataclass
class Throughput:
    rps: float = 0.0  # best round
    cpu_us: list[float] = field(default_factory=list)  # server CPU per request, every round


def measure_round(process: subprocess.Popen, port: int, count: int, result: Throughput) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        cpu_before, start = cpu_seconds(process.pid), time.perf_counter()
        for _ in range(count):
            if get_verify(conn) != 200:
                raise SystemExit(f"non-200 answer from port {port}")
        elapsed = time.perf_counter() - start
        result.cpu_us.append((cpu_seconds(process.pid) - cpu_before) / count * 1e6)
        result.rps = max(result.rps, count / elapsed)
    finally:
        conn.close()


def throughput(work: Path, count: int, rounds: int) -> dict[str, Throughput]:
    emulator_port, bare_port = free_port(), free_port()
    emulator = emulator_argv(work / "throughput", emulator_port, "--log-level", "warning", command=[console_script()])
    results = {"emulator": Throughput(), "bare": Throughput()}
    with (
        running(emulator, emulator_port, work / "emulator.log", **POLL) as emulator_process,
        running(bare_argv(bare_port), bare_port, work / "bare.log", **POLL) as bare_process,
    ):
        servers = {"emulator": (emulator_process, emulator_port), "bare": (bare_process, bare_port)}
        for process, port in servers.values():  # warm-up: caches, first-call paths, Argon2 once
            measure_round(process, port, max(200, count // 10), Throughput())
        for _ in range(rounds):
            for name, (process, port) in servers.items():
                measure_round(process, port, count, results[name])
    return results


# -- cold start --------------------------------------------------------------------------------------------------
def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(argv: list[str], port: int, log_path: Path) -> tuple[float, float]:
    """(wall seconds to the first 200, CPU seconds of the server process over its whole short life)."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    process = spawn(argv, log_path)
    try:
        wait_for_200(port, process, **POLL)
        wall = time.perf_counter() - start
    finally:
        stop(process)
    return wall, children_cpu() - cpu_before


def cold_starts(work: Path, runs: int) -> dict[str, list[tuple[float, float]]]:
    def emulator(data_dir: Path) -> tuple[float, float]:
        port = free_port()
        return cold_start(emulator_argv(data_dir, port, command=[console_script()]), port, data_dir.with_suffix(".log"))

    def bare() -> tuple[float, float]:
        port = free_port()
        return cold_start(bare_argv(port), port, work / "bare-cold.log")

    emulator(work / "existing")  # migrate and seed once; not counted
    return {
        "migrated": [emulator(work / "existing") for _ in range(runs)],
        "fresh": [emulator(work / f"fresh-{i}") for i in range(max(3, runs // 2))],
        "bare": [bare() for _ in range(runs)],
    }


def import_time() -> float:
    """Seconds to import emulator.server in a fresh interpreter (measured inside it: exit time not included)."""
    code = "import time; t = time.perf_counter(); import emulator.server; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


# -- report ------------------------------------------------------------------------------------------------------
def row(label: str, value: str, target: str = "") -> None:
    print(f"| {label:<52} | {value:>9} | {target:<15} |")


def verdict(value: float, target: float, at_least: bool) -> str:
    ok = value >= target if at_least else value <= target
    return f"{'>=' if at_least else '<='} {target} {'ok' if ok else 'MISSED'}"


def report(rates: dict[str, Throughput], cold: dict[str, list[tuple[float, float]]], imports: float) -> None:
    ratio = rates["emulator"].rps / rates["bare"].rps
    cpu = {name: min(r.cpu_us) for name, r in rates.items()}
    wall = {kind: statistics.median(w for w, _ in runs) for kind, runs in cold.items()}
    cold_cpu = {kind: statistics.median(c for _, c in runs) for kind, runs in cold.items()}
    print(f"| {'measure':<52} | {'value':>9} | {'target':<15} |\n|{'-' * 54}|{'-' * 11}|{'-' * 17}|")
    row("GET /ffws/v1/verify, emulator (req/s)", f"{rates['emulator'].rps:.0f}")
    row("GET /ffws/v1/verify, bare FastAPI (req/s)", f"{rates['bare'].rps:.0f}")
    row("ratio emulator / bare", f"{ratio:.2f}", verdict(ratio, TARGET_RATIO, at_least=True))
    row("server CPU per request, emulator (us)", f"{cpu['emulator']:.0f}")
    row("server CPU per request, bare FastAPI (us)", f"{cpu['bare']:.0f}")
    row(
        "cold start, migrated data dir (median s)",
        f"{wall['migrated']:.3f}",
        verdict(wall["migrated"], TARGET_COLD, False),
    )
    row("  CPU of the server over that span (median s)", f"{cold_cpu['migrated']:.3f}")
    row("cold start, fresh data dir (median s)", f"{wall['fresh']:.3f}")
    row("  CPU of the server over that span (median s)", f"{cold_cpu['fresh']:.3f}")
    row("cold start, bare FastAPI app (median s)", f"{wall['bare']:.3f}")
    row("  CPU of the server over that span (median s)", f"{cold_cpu['bare']:.3f}")
    row('python -c "import emulator.server" (median s)', f"{imports:.3f}")
    for kind, runs in cold.items():
        print(f"cold start runs, {kind} (wall/cpu s): {' '.join(f'{w:.2f}/{c:.2f}' for w, c in runs)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per measured round (default 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per server (default 3)")
    parser.add_argument("--cold-runs", type=int, default=7, help="cold starts per kind (default 7)")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ffemu-bench-") as tmp:
        work = Path(tmp)
        rates = throughput(work, args.requests, args.rounds)
        cold = cold_starts(work, args.cold_runs)
        imports = statistics.median(import_time() for _ in range(3))
    print(
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (figures assume an idle machine)"
    )
    report(rates, cold, imports)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
