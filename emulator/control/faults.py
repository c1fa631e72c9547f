"""Faults on demand: HTTP faults on /ffws/v1 and fax faults that force an outcome by fax number."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.faults import FAX_OUTCOMES

HTTP_FIELDS = ("method", "path", "status", "message", "delay_ms", "drop_connection")
FAX_FIELDS = ("fax_number", "outcome")


class FaultSpec(BaseModel):
    kind: Literal["http", "fax"] | None = Field(
        None,
        description="http: on /ffws/v1 requests; fax: on fax numbers. When absent, inferred from the fields given: "
        "fax_number or outcome make a fax fault, anything else an http fault.",
    )
    method: str = Field("*", description="HTTP method to match (* = any)")
    path: str = Field("*", description="glob on the request path, e.g. /ffws/v1/ofax*")
    status: int | None = Field(None, ge=400, le=599, description="answer with this status and an XML message")
    message: str = Field("", max_length=500, description="the <message> of that answer")
    delay_ms: int = Field(0, ge=0, le=120_000, description="wait this long before answering")
    drop_connection: bool = Field(False, description="close the connection without an answer")
    fax_number: str = Field("*", description="glob on the recipient's fax number (as sent, or digits only)")
    outcome: str = Field("", description="for fax faults: " + ", ".join(FAX_OUTCOMES))
    times: int | None = Field(None, ge=1, description="how many matches apply it (default: all)")
    probability: float = Field(1.0, ge=0, le=1)
    seed: int | None = Field(None, description="own random generator, for repeatable probabilities")

    def resolved_kind(self) -> str:
        """The kind given, or the one the fields given say; 400 when they say both."""
        if self.kind is not None:
            return self.kind
        http = [name for name in HTTP_FIELDS if name in self.model_fields_set]
        fax = [name for name in FAX_FIELDS if name in self.model_fields_set]
        if http and fax:
            raise ControlError(
                400,
                f"give kind: {', '.join(http)} belong to an http fault and {', '.join(fax)} to a fax fault",
            )
        return "fax" if fax else "http"

    def check(self) -> str:
        """Rules across fields, checked here rather than by a model validator so that the 400 names the problem
        (a validation error on the whole body would only say "invalid body"). Returns the fault's kind."""
        kind = self.resolved_kind()
        if kind == "fax" and self.outcome not in FAX_OUTCOMES:
            raise ControlError(400, "a fax fault needs an outcome: " + ", ".join(FAX_OUTCOMES))
        if kind == "http" and not (self.status or self.delay_ms or self.drop_connection):
            raise ControlError(400, "an http fault needs status, delay_ms or drop_connection")
        return kind


@control.route("POST", "/faults", status_code=201)
def add_fault(spec: FaultSpec, box: ControlBox) -> dict:
    """Add a fault; 201 with its id."""
    kind = spec.check()
    fault = box.faults.add(**{**spec.model_dump(), "kind": kind, "method": spec.method.upper()})
    return {"id": fault.id}


@control.route("GET", "/faults")
def list_faults(box: ControlBox) -> dict:
    """The active faults, with how many times each has fired."""
    return {"faults": [f.as_json() for f in box.faults.all()]}


@control.route("DELETE", "/faults")
def clear_faults(box: ControlBox) -> dict:
    """Remove every fault."""
    box.faults.clear()
    return {"status": "cleared"}


@control.route("DELETE", "/faults/{fault_id}", errors=(404,))
def remove_fault(fault_id: int, box: ControlBox) -> dict:
    """Remove one fault."""
    if not box.faults.remove(fault_id):
        raise ControlError(404, f"no fault {fault_id}")
    return {"status": "removed"}
