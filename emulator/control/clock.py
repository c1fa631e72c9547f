"""The emulated clock: read it, switch manual/scaled, change the scale, advance it (running what falls due)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.wire.times import format_time


class ClockView(BaseModel):
    now: str = Field(description="Emulated device-local time, YYYY-MM-DDTHH:MM:SS")
    time_scale: float
    manual: bool


class ClockChange(BaseModel):
    manual: bool | None = None
    time_scale: float | None = Field(None, gt=0, le=100000)


class Advance(BaseModel):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


class Advanced(ClockView):
    transitions: int = Field(description="How many queue transitions ran on the way")


def _view(box) -> dict:  # noqa: ANN001
    return {
        "now": format_time(box.clock.now(), box.zone),
        "time_scale": box.clock.time_scale,
        "manual": box.clock.manual,
    }


@control.route("GET", "/clock")
def view_clock(box: ControlBox) -> ClockView:
    """The emulated time, the scale and whether the clock is manual."""
    return ClockView(**_view(box))


@control.route("PUT", "/clock")
def change_clock(change: ClockChange, box: ControlBox) -> ClockView:
    """Switch between manual and scaled real time, or change the scale, without a jump in emulated time."""
    box.configure_clock(manual=change.manual, time_scale=change.time_scale)
    return ClockView(**_view(box))


@control.route("POST", "/clock/advance", errors=(400,))
def advance_clock(advance: Advance, box: ControlBox) -> Advanced:
    """Move time forward by N seconds; every queue transition due on the way runs, in order, before the answer."""
    try:
        transitions = box.advance(advance.seconds)
    except ValueError as exc:  # past the emulated clock's range: nothing moved
        raise ControlError(400, str(exc)) from None
    return Advanced(transitions=transitions, **_view(box))
