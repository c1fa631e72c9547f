"""An empty control token is refused at start-up (issue 10, finding 10: `FFEMU_CONTROL_TOKEN=` used to leave the
control plane open without a word). Through the real console script, as a user starts it; unset still means no
token (tests/control/test_control_gate_process.py serves one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.settings import Settings

CONSOLE_SCRIPT = Path(sys.executable).parent / "faxfinder-emulator"
EMPTY = "an empty control token is refused: give a token, or leave it unset for an open control plane"
SPACED = "the control token must not begin or end with whitespace (a header cannot carry it)"


def serve(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FFEMU_")}
    command = [str(CONSOLE_SCRIPT), "serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *argv]
    return subprocess.run(command, capture_output=True, text=True, env={**clean, **(env or {})}, timeout=60)


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--control-token", ""], {}, f"--control-token: {EMPTY}"),
        ([], {"FFEMU_CONTROL_TOKEN": ""}, f"FFEMU_CONTROL_TOKEN: {EMPTY}"),
        (["--control-token", "   "], {}, f"--control-token: {EMPTY}"),
        ([], {"FFEMU_CONTROL_TOKEN": "s3cret\r"}, f"FFEMU_CONTROL_TOKEN: {SPACED}"),
        (["--control-token", ""], {"FFEMU_CONTROL_TOKEN": "good"}, f"--control-token: {EMPTY}"),  # the flag wins
    ],
    ids=["flag-empty", "env-empty", "flag-blank", "env-trailing-cr", "flag-beats-env"],
)
def test_an_unusable_token_stops_serve_with_one_clear_line(tmp_path, argv, env, expected):
    result = serve(tmp_path, *argv, env=env)
    assert result.returncode == 2
    assert result.stderr == f"faxfinder-emulator: {expected}\n"
    assert result.stdout == ""
    assert not (tmp_path / "data").exists()  # refused before anything was made or listened on


def test_unset_means_no_token_and_a_real_token_is_kept(monkeypatch: pytest.MonkeyPatch):
    for name in [n for n in os.environ if n.startswith("FFEMU_")]:
        monkeypatch.delenv(name)
    assert Settings().control_token is None
    assert Settings(control_token="s3cret").control_token == "s3cret"
    assert Settings(control_token="two words").control_token == "two words"  # inner spaces travel in a header
