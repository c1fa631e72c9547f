"""Form fields read with the API's own field rules (emulator.ffws.fields): the same limits, the same messages."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from emulator.ffws.fields import Bool, Choice, Field, Int

CHECKED = "on"


def read_form(form: FormData, fields: dict[str, Field], *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a form carries. A checkbox is a Bool field whose absence means false (the form shows every field);
    an empty number or choice means "not given", as it does in a request's XML."""
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in skip:
            continue
        if isinstance(field, Bool):
            values[name] = form.get(name) == CHECKED
            continue
        raw = form.get(name)
        if raw is None or not isinstance(raw, str):
            continue
        value = field.read(name, raw)
        if value is not None:
            values[name] = value
    return values


def widget(field: Field) -> dict[str, Any]:
    """How a template draws a field: its input type, choices and bounds."""
    if isinstance(field, Bool):
        return {"type": "checkbox"}
    if isinstance(field, Int):
        return {"type": "number", "min": field.minimum, "max": field.maximum}
    if isinstance(field, Choice):
        return {"type": "select", "choices": list(field.values)}
    return {"type": "text", "maxlength": getattr(field, "max_length", 255)}
