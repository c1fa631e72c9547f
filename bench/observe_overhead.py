"""What the request path pays for the logs, the metrics and the live stream: the cost of publishing one exchange's
event (ExchangeRecorded) to its subscribers, in CPU microseconds, in-process.

    python bench/observe_overhead.py [--requests 20000]

Measured with a text log line written (to /dev/null), a JSON one, and with logging above info (the metrics' tallies
and the live stream with no listener only). CPU time, so the figure barely moves when the machine is busy.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from emulator.box import Box
from emulator.events import ExchangeRecorded
from emulator.observe import logs
from emulator.settings import Settings


def per_request(box: Box, event: ExchangeRecorded, count: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for _ in range(count):
            box.bus.publish([event])
        best = min(best, (time.process_time() - started) / count * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    box = Box(Settings(data_dir=Path(tempfile.mkdtemp())))
    event = ExchangeRecorded(1, "GET", "/ffws/v1/verify", "/ffws/v1/verify", 200, "admin", 1.2, None)
    with open("/dev/null", "w") as sink:  # noqa: PTH123
        for log_format in ("text", "json"):
            logs.configure("info", log_format)
            logging.getLogger().handlers[0].setStream(sink)
            print(f"{log_format} log line: {per_request(box, event, args.requests):.1f} us a request")
        logging.getLogger().setLevel("WARNING")
        print(f"no log line (level warning): {per_request(box, event, args.requests):.1f} us a request")


if __name__ == "__main__":
    main()
