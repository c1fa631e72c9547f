"""The command line: every setting is a documented ``serve`` flag with an ``FFEMU_*`` twin; a flag wins over its twin,
which wins over the default; a bad value is one clear line and exit status 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import reportlab
from pydantic import SecretStr

from emulator.cli import build_parser, default_text, env_name, main, settings_from
from emulator.settings import Settings

CONSOLE_SCRIPT = Path(sys.executable).parent / "faxfinder-emulator"

FONTS = Path(reportlab.__file__).parent / "fonts"  # TrueType fonts every machine has (--cover-font must load)

# name -> (environment text, flag arguments, value from the environment, value from the flag). Every setting needs a
# row (test_every_setting_has_a_sample), so a new setting cannot miss its flag or its twin.
SAMPLES: dict[str, tuple[str, list[str], Any, Any]] = {
    "host": ("0.0.0.0", ["--host", "::1"], "0.0.0.0", "::1"),
    "port": ("9001", ["--port", "9002"], 9001, 9002),
    "model": ("FF440", ["--model", "FF840"], "FF440", "FF840"),
    "lines": ("6", ["--lines", "3"], 6, 3),
    "workers": ("3", ["--workers", "2"], 3, 2),
    "firmware": ("guide-1.1", ["--firmware", "ff240-r1-2025"], "guide-1.1", "ff240-r1-2025"),
    "public_url": (
        "https://env.example.com",
        ["--public-url", "https://flag.example.com:8443"],
        "https://env.example.com",
        "https://flag.example.com:8443",
    ),
    "links": ("device", ["--links", "followable"], "device", "followable"),
    "data_dir": ("/srv/env-data", ["--data-dir", "/srv/flag-data"], Path("/srv/env-data"), Path("/srv/flag-data")),
    "database_url": (
        "sqlite:///env.db",
        ["--database-url", "sqlite:///flag.db"],
        "sqlite:///env.db",
        "sqlite:///flag.db",
    ),
    "time_scale": ("2.5", ["--time-scale", "60"], 2.5, 60.0),
    "manual_clock": ("true", ["--no-manual-clock"], True, False),
    "start_time": (
        "2030-05-06T07:08:09",
        ["--start-time", "2031-01-02T03:04:05"],
        datetime(2030, 5, 6, 7, 8, 9),
        datetime(2031, 1, 2, 3, 4, 5),
    ),
    "timezone": ("Europe/Berlin", ["--timezone", "America/Chicago"], "Europe/Berlin", "America/Chicago"),
    "seed": ("7", ["--seed", "42"], 7, 42),
    "control_token": ("env-token", ["--control-token", "flag-token"], "env-token", "flag-token"),
    "allowed_hosts": ("faxbox", ["--allowed-hosts", ".example.com,*"], "faxbox", ".example.com,*"),
    "control_max_body": ("2048", ["--control-max-body", "4096"], 2048, 4096),
    "snapshot_max_body": ("1000000", ["--snapshot-max-body", "2000000"], 1_000_000, 2_000_000),
    "disk_quota": ("0", ["--disk-quota", "1048576"], 0, 1_048_576),
    "journal_size": ("10", ["--journal-size", "20"], 10, 20),
    "strict": ("true", ["--no-strict"], True, False),
    "external_attachments": ("false", ["--external-attachments"], False, True),
    "external_timeout": ("1.5", ["--external-timeout", "30"], 1.5, 30.0),
    "external_allow": ("docs.example.org", ["--external-allow", "10.0.0.0/8"], "docs.example.org", "10.0.0.0/8"),
    "external_deny": (".example.com", ["--external-deny", "127.0.0.2"], ".example.com", "127.0.0.2"),
    "tls_port": ("8443", ["--tls-port", "9443"], 8443, 9443),
    "certfile": ("/env/cert.pem", ["--certfile", "/flag/cert.pem"], Path("/env/cert.pem"), Path("/flag/cert.pem")),
    "keyfile": ("/env/key.pem", ["--keyfile", "/flag/key.pem"], Path("/env/key.pem"), Path("/flag/key.pem")),
    "header_timeout": ("2.5", ["--header-timeout", "20"], 2.5, 20.0),
    "body_timeout": ("5", ["--body-timeout", "90"], 5.0, 90.0),
    "keep_alive_timeout": ("2", ["--keep-alive-timeout", "15"], 2, 15),
    "max_connections": ("50", ["--max-connections", "5000"], 50, 5000),
    "argon2_time_cost": ("3", ["--argon2-time-cost", "4"], 3, 4),
    "argon2_memory_kib": ("1024", ["--argon2-memory-kib", "2048"], 1024, 2048),
    "log_level": ("debug", ["--log-level", "warning"], "debug", "warning"),
    "log_format": ("json", ["--log-format", "text"], "json", "text"),
    "max_attachment_pages": ("50", ["--max-attachment-pages", "60"], 50, 60),
    "max_fax_pages": ("70", ["--max-fax-pages", "80"], 70, 80),
    "max_page_pixels": ("1000000", ["--max-page-pixels", "2000000"], 1_000_000, 2_000_000),
    "max_image_pixels": ("3000000", ["--max-image-pixels", "4000000"], 3_000_000, 4_000_000),
    "max_tiff_frames": ("9", ["--max-tiff-frames", "10"], 9, 10),
    "conversion_cpu_seconds": ("1.5", ["--conversion-cpu-seconds", "2.5"], 1.5, 2.5),
    "conversion_memory_mib": ("512", ["--conversion-memory-mib", "1024"], 512, 1024),
    "smtp_url": (
        "smtp://env.example.com",
        ["--smtp-url", "smtps://user:pw@flag.example.com:2465"],
        SecretStr("smtp://env.example.com"),
        SecretStr("smtps://user:pw@flag.example.com:2465"),
    ),
    "smtp_listen_port": ("2525", ["--smtp-listen-port", "0"], 2525, 0),
    "fax_output_format": ("tiff", ["--fax-output-format", "pdf"], "tiff", "pdf"),
    "email_size_limit": ("0", ["--email-size-limit", "512"], 0, 512),
    "email_fax_details": ("false", ["--email-fax-details"], False, True),
    "outbox_size": ("10", ["--outbox-size", "20"], 10, 20),
    "cover_font": (
        str(FONTS / "Vera.ttf"),
        ["--cover-font", str(FONTS / "VeraBd.ttf")],
        FONTS / "Vera.ttf",
        FONTS / "VeraBd.ttf",
    ),
}
# Settings that are only valid together: the partner comes from the environment in every case below.
PARTNERS = {
    "certfile": ("FFEMU_KEYFILE", "/partner/key.pem"),
    "keyfile": ("FFEMU_CERTFILE", "/partner/cert.pem"),
    "workers": ("FFEMU_DATABASE_URL", "postgresql+psycopg://partner@db/faxfinder"),
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own FFEMU_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("FFEMU_"):
            monkeypatch.delenv(name)


def parsed(*argv: str) -> Settings:
    return settings_from(build_parser().parse_args(["serve", *argv]))


def run_cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FFEMU_")}
    env = {**clean, "COLUMNS": "100", **(env or {})}
    return subprocess.run([str(CONSOLE_SCRIPT), *argv], capture_output=True, text=True, env=env, timeout=60)


def words(text: str) -> str:
    """argparse rewraps help text: compare it with runs of whitespace collapsed."""
    return " ".join(text.split())


# -- help ----------------------------------------------------------------------------------------------------------
def test_top_level_help_names_the_commands_and_the_rule() -> None:
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    out = words(result.stdout)
    for command in ("serve", "health"):
        assert f" {command} " in out
    assert "FFEMU_*" in out and "faxfinder-emulator serve --help" in out
    assert "an explicit flag wins over its twin, which wins over the default" in out


def test_serve_help_documents_every_setting_with_its_twin_and_default() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0, result.stderr
    out = words(result.stdout)
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        assert f"{flag} " in out, f"serve --help lacks {flag}"
        if field.annotation is bool:
            assert f"--no-{flag[2:]}" in out
        assert words(f"{field.description} [env {env_name(name)}; default {default_text(field)}]") in out, name


def test_every_setting_has_a_sample() -> None:
    assert set(SAMPLES) == set(Settings.model_fields), "add the new setting to SAMPLES"


# -- precedence: flag > FFEMU_* twin > default ----------------------------------------------------------------------
def _with_partner(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name in PARTNERS:
        monkeypatch.setenv(*PARTNERS[name])


@pytest.mark.parametrize("name", SAMPLES)
def test_env_twin_sets_the_setting(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env_text, _, from_env, _ = SAMPLES[name]
    _with_partner(name, monkeypatch)
    monkeypatch.setenv(env_name(name), env_text)
    assert getattr(parsed(), name) == from_env


@pytest.mark.parametrize("name", SAMPLES)
def test_flag_sets_the_setting(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, flag_args, _, from_flag = SAMPLES[name]
    _with_partner(name, monkeypatch)
    assert getattr(parsed(*flag_args), name) == from_flag


@pytest.mark.parametrize("name", SAMPLES)
def test_explicit_flag_beats_its_env_twin(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env_text, flag_args, from_env, from_flag = SAMPLES[name]
    assert from_env != from_flag  # otherwise this test could not tell who won
    _with_partner(name, monkeypatch)
    monkeypatch.setenv(env_name(name), env_text)
    assert getattr(parsed(*flag_args), name) == from_flag


def test_defaults_apply_without_flag_or_twin() -> None:
    settings = parsed()
    for name, field in Settings.model_fields.items():
        if name != "lines":
            assert getattr(settings, name) == field.default, name
    assert settings.lines == 2  # by model: the FF240-IP has 2 SIP channels
    assert parsed("--model", "FF840").lines == 8


def test_a_flag_beats_a_twin_of_another_setting_only_where_it_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FFEMU_MODEL", "FF440")
    monkeypatch.setenv("FFEMU_PORT", "9100")
    settings = parsed("--port", "9200")
    assert (settings.model, settings.port, settings.lines) == ("FF440", 9200, 4)


# -- invalid values --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["serve", "--lines", "25"], {}, "--lines: Input should be less than or equal to 24"),
        (["serve", "--model", "FF999"], {}, "argument --model: invalid choice: 'FF999'"),
        (["serve"], {"FFEMU_LINES": "30"}, "FFEMU_LINES: Input should be less than or equal to 24"),
    ],
    ids=["lines-25", "model-FF999", "env-lines-30"],
)
def test_invalid_value_is_one_clear_error_and_status_2(argv: list[str], env: dict[str, str], expected: str) -> None:
    result = run_cli(*argv, env=env)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--port", "abc"], "--port: Input should be a valid integer"),
        (["--port", "70000"], "--port: Input should be less than or equal to 65535"),
        (["--lines", "0"], "--lines: Input should be greater than or equal to 1"),
        (["--time-scale", "0"], "--time-scale: Input should be greater than 0"),
        (["--start-time", "yesterday"], "--start-time: Input should be a valid datetime"),
        (["--log-level", "loud"], "argument --log-level: invalid choice: 'loud'"),
        (["--argon2-memory-kib", "4"], "--argon2-memory-kib: Input should be greater than or equal to 8"),
        (["--certfile", "cert.pem"], "--certfile and --keyfile go together"),
        (["--manual-clock=yes"], "argument --manual-clock"),
        (["--smtp-url", "http://user:hunter2@mail"], "--smtp-url: expected smtp://[USER[:PASSWORD]@]HOST[:PORT]"),
        (["--smtp-url", "smtp://mail?tls=1"], "--smtp-url: unknown option 'tls' (only starttls=true|false)"),
        (["--smtp-url", "smtp://mail:99999"], "--smtp-url: the port must be a number from 1 to 65535"),
        (["--smtp-url", "smtps://mail?starttls=true"], "--smtp-url: smtps:// is TLS from the start"),
        (["--fax-output-format", "gif"], "argument --fax-output-format: invalid choice: 'gif'"),
        (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    ],
)
def test_invalid_flags_exit_2_naming_the_flag(argv: list[str], expected: str, capsys: pytest.CaptureFixture) -> None:
    try:
        status = main(["serve", *argv])
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "hunter2" not in err  # a refused --smtp-url is never repeated: it may hold a password
