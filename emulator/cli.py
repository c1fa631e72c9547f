"""The command line: ``faxfinder-emulator serve`` and friends.

Every flag of ``serve`` comes from a field of :class:`emulator.settings.Settings`, so each has its ``FFEMU_*``
environment twin; a flag given on the command line wins over the environment.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from emulator import __version__
from emulator.settings import Settings


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def env_name(name: str) -> str:
    """The environment twin of a setting: ``data_dir`` -> ``FFEMU_DATA_DIR``."""
    return "FFEMU_" + name.upper()


def default_text(field: FieldInfo) -> str:
    """A setting's default as a user would type it (also used by README's settings table)."""
    default = field.default
    if default is None:
        return "none"
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, datetime):
        return default.isoformat()
    return str(default)


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    for name, field in Settings.model_fields.items():
        help_text = f"{field.description} [env {env_name(name)}; default {default_text(field)}]"
        annotation = field.annotation
        kwargs: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": help_text}
        if annotation is bool:
            parser.add_argument(_flag(name), action=argparse.BooleanOptionalAction, **kwargs)
            continue
        choices = [a for a in get_args(annotation) if isinstance(a, str)]
        if choices:
            kwargs["choices"] = choices
        parser.add_argument(_flag(name), metavar=_metavar(annotation, name), **kwargs)


def _metavar(annotation: Any, name: str) -> str:
    args = set(get_args(annotation)) or {annotation}
    if int in args:
        return "N"
    if float in args:
        return "X"
    if datetime in args:
        return "YYYY-MM-DDTHH:MM:SS"
    if Path in args:
        return "PATH"
    return name.upper()


def build_parser(*, serve_only: bool = False) -> argparse.ArgumentParser:
    """The whole command line; with ``serve_only``, ``serve`` alone (what running the emulator needs to parse)."""
    parser = argparse.ArgumentParser(
        prog="faxfinder-emulator",
        description="A faithful emulator of the Multi-Tech FaxFinder Web Services API (FFWS, /ffws/v1).",
        epilog="Every setting is a flag of serve with an FFEMU_* environment twin (an explicit flag wins over its "
        "twin, which wins over the default): see faxfinder-emulator serve --help.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the emulator (migrates and seeds the database on first start)",
        description="Run the emulator. Every flag has an FFEMU_* environment twin; a flag wins over its twin.",
    )
    _add_settings_flags(serve)
    if serve_only:
        return parser
    from emulator.remote import add_remote_commands

    add_remote_commands(commands)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    explicit = {name: getattr(args, name) for name in Settings.model_fields if hasattr(args, name)}
    return Settings(**explicit)


def _where(args: argparse.Namespace, loc: tuple[int | str, ...]) -> str:
    """Name a bad setting the way the user gave it: the flag, or the environment twin it came from."""
    if not loc:
        return "settings"
    name = str(loc[0])
    return _flag(name) if hasattr(args, name) else env_name(name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # Starting the emulator parses `serve` only: the remote commands' parsers (each reading its FFEMU_* defaults)
    # would be start-up time spent on nothing. Errors and `serve --help` read the same either way.
    parser = build_parser(serve_only=argv[:1] == ["serve"])
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "serve":
        try:
            settings = settings_from(args)
        except ValidationError as exc:
            for error in exc.errors():
                print(f"faxfinder-emulator: {_where(args, error['loc'])}: {error['msg']}", file=sys.stderr)
            return 2
        from emulator.server import serve

        return serve(settings)
    return args.run(args)
