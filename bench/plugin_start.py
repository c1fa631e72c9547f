"""How long a pytest-xdist worker waits for its box (target: under 0.5 s).

    python bench/plugin_start.py [--runs 7]

What the plugin's ``faxfinder`` fixture does in a worker, each run in a fresh Python process (as a worker is, with
this script as the run's controller): ask the run's box host for a box (the host forks
it from the emulator it has imported and copies the run's template data dir) and reset it to its fixtures (the
fixture's first call). The time counted starts once pytest is imported (a worker has imported it before any
fixture), before the plugin's factory is, and ends when the reset has answered. The first worker of a run also
starts the host (the emulator's imports and the migration, once per run): reported apart. For scale, a box started
in the worker's own process on an empty data dir (imports, migration and seeding: what every worker paid before
the host). Medians over ``--runs`` runs (with min and max).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5

WORKER = """
import time
import pytest  # (a worker has, before any fixture)
start = time.perf_counter()
import sys
from pathlib import Path
from emulator.testing.factory import Factory

class Temporary:  # (what the factory uses of pytest's tmp_path_factory)
    def __init__(self, base):
        self.base = base
    def getbasetemp(self):
        return self.base
    def mktemp(self, name):
        path = self.base / name
        path.mkdir(parents=True)
        return path

factory = Factory(Temporary(Path(sys.argv[1])), xdist_worker=True)
factory()
elapsed = time.perf_counter() - start
factory.close()
print(elapsed)
"""

IN_PROCESS = """
import time
start = time.perf_counter()
import sys
from pathlib import Path
from emulator.testing.server import EmulatorServer
server = EmulatorServer(Path(sys.argv[1]))
server.start()
handle = server.handle()
handle.reset()
elapsed = time.perf_counter() - start
handle.close()
server.stop()
print(elapsed)
"""


def run(script: str, directory: Path) -> float:
    command = [sys.executable, "-c", script, str(directory)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the worker failed:\n{result.stderr}")
    return float(result.stdout.split()[-1])


def summary(times: list[float]) -> dict[str, float]:
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ffemu-bench-") as tmp:
        run(IN_PROCESS, Path(tmp) / "warm-up")  # (files in the page cache)
        first = run(WORKER, Path(tmp) / "popen-gw0")  # (starts the run's host)
        workers = [run(WORKER, Path(tmp) / f"popen-gw{n}") for n in range(1, arguments.runs + 1)]
        in_process = [run(IN_PROCESS, Path(tmp) / f"in-process{n}") for n in range(arguments.runs)]
    report = {
        "worker_box_s": summary(workers),
        "first_worker_box_with_host_start_s": first,
        "in_process_box_on_an_empty_data_dir_s": summary(in_process),
        "target_s": TARGET_S,
    }
    print(json.dumps(report, indent=2))
    verdict = "ok" if report["worker_box_s"]["median"] < TARGET_S else "over the target"
    print(f"a worker's box: {report['worker_box_s']['median']:.3f} s (median), {verdict}", file=sys.stderr)


if __name__ == "__main__":
    main()
