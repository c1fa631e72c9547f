"""The one catalogue of endpoints: method, path, models and provenance of every route the emulator serves.

Resource modules declare their routes here (``@device.route(...)`` for the FaxFinder surface under ``/ffws/v1``,
``@control.route(...)`` for ``/_emulator``). The app mounts from it (a route the emulated model lacks is simply not
mounted, so it answers 404), ``/_emulator/endpoints`` serves it, and README's endpoint table is generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.settings import MODELS

ALL = MODELS
ANALOG = ("FF240", "FF440", "FF840")
IP = ("FF240-IP",)
Provenance = Literal["attested", "reconstructed", "emulator"]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    models: tuple[str, ...]
    provenance: Provenance
    handler: Callable[..., Any] = field(compare=False, repr=False)
    summary: str = ""
    status_code: int | None = None
    errors: tuple[int, ...] = ()  # error statuses documented in the control plane's OpenAPI
    body: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # OpenAPI requestBody, if read by hand
    params: tuple[str, ...] = ()  # the query parameters it reads (any other is noted as tolerated)
    responses: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # OpenAPI answers beyond JSON

    def openapi_extra(self) -> dict[str, Any] | None:
        extra = {"requestBody": self.body} if self.body else {}
        if self.responses:
            extra["responses"] = self.responses
        return extra or None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "models": list(self.models),
            "provenance": self.provenance,
            "summary": self.summary,
        }


class Surface:
    """One URL prefix's routes, in declaration order (which is also matching order)."""

    def __init__(self, prefix: str, default_provenance: Provenance) -> None:
        self.prefix = prefix
        self.default_provenance = default_provenance
        self.endpoints: list[Endpoint] = []
        self.params_of: dict[Callable[..., Any], tuple[str, ...]] = {}  # handler → the query parameters it reads

    def route(
        self,
        method: str,
        path: str,
        *,
        provenance: Provenance | None = None,
        models: tuple[str, ...] = ALL,
        status_code: int | None = None,
        errors: tuple[int, ...] = (),
        body: dict[str, Any] | None = None,
        params: tuple[str, ...] = (),
        responses: dict[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            summary = (handler.__doc__ or "").strip().split("\n")[0]
            self.endpoints.append(
                Endpoint(
                    method,
                    self.prefix + path,
                    models,
                    provenance or self.default_provenance,
                    handler,
                    summary,
                    status_code,
                    errors,
                    body,
                    params,
                    responses,
                )
            )
            self.params_of[handler] = params
            return handler

        return register

    def for_model(self, model: str) -> list[Endpoint]:
        return [e for e in self.endpoints if model in e.models]


device = Surface("/ffws/v1", "attested")
control = Surface("/_emulator", "emulator")


def load_all() -> None:
    """Import every module that declares routes, so the catalogue is complete."""
    from emulator import control as _control  # noqa: F401
    from emulator import ffws as _ffws  # noqa: F401


def all_endpoints() -> list[Endpoint]:
    load_all()
    return device.endpoints + control.endpoints


def markdown_table() -> str:
    """README's endpoint table."""
    rows = [
        "| Method | Path | Models | Provenance | What it does |",
        "|---|---|---|---|---|",
    ]
    for e in all_endpoints():
        models = "all" if e.models == ALL else ", ".join(e.models)
        summary = e.summary.replace("|", "\\|")
        rows.append(f"| {e.method} | `{e.path}` | {models} | {e.provenance} | {summary} |")
    return "\n".join(rows) + "\n"
