"""Schemathesis against the control plane's OpenAPI (``make fuzz``; not part of ``make test``).

Starts a real server on 127.0.0.1 with a temporary data dir and runs ``schemathesis run`` on
/_emulator/openapi.json: no answer may be a 5xx or break its own schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.process import ServerProcess


def main() -> int:
    budget = os.environ.get("FUZZ_SECONDS", "60")
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "data", "--manual-clock").start()
        try:
            command = [
                sys.executable, "-m", "schemathesis.cli", "run", f"{server.base_url}/_emulator/openapi.json",
                "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance",
                "--max-examples", os.environ.get("FUZZ_EXAMPLES", "50"),
                "--request-timeout", "10",
                "--exclude-path", "/_emulator/events",  # a stream that lasts until the client leaves
            ]  # fmt: skip
            return subprocess.run(command, timeout=float(budget) * 5, check=False).returncode
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
