"""What every control route needs: the box, and the token check when FFEMU_CONTROL_TOKEN is set."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from emulator.control.errors import ControlError

if TYPE_CHECKING:
    from emulator.box import Box


def control_box(request: Request) -> Box:
    box: Box = request.app.state.box
    token = box.settings.control_token
    if token:
        given = request.headers.get("x-emulator-token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ControlError(401, "missing or wrong X-Emulator-Token")
    return box


ControlBox = Annotated["Box", Depends(control_box)]
