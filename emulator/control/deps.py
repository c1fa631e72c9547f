"""What every control route needs: the box. The token and the body's size are checked before any route runs, by
the ASGI gate (emulator.control.gate), so that a refused caller's body is never read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

if TYPE_CHECKING:
    from emulator.box import Box


def control_box(request: Request) -> Box:
    return request.app.state.box


ControlBox = Annotated["Box", Depends(control_box)]
