"""The mail queue (Mail Queue of the box's web interface) and the inbound-mail options: /_emulator/outbox and
/_emulator/mail. A listing shows every queued mail composed (it composes those still waiting first)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.mail.models import STATES
from emulator.mail.options import FORMATS, MAX_SIZE_LIMIT_KB

if TYPE_CHECKING:
    from emulator.box import Box

EML = "message/rfc822"


def _mail_or_404(box: Box, mail_id: int) -> dict:
    found = box.mail.outbox.mail(mail_id)
    if found is None:
        raise ControlError(404, f"no mail {mail_id} (never queued, cleared, or no longer kept)")
    return found


def _eml(box: Box, mail_id: int) -> Response:
    box.mail.settle()
    data = box.mail.outbox.message(mail_id)
    if data is None:
        _mail_or_404(box, mail_id)
        raise ControlError(404, f"mail {mail_id} has no message (it could not be composed)")
    return Response(data, media_type=EML, headers={"content-disposition": f'attachment; filename="mail-{mail_id}.eml"'})


@control.route("GET", "/outbox", errors=(400,))
async def view_outbox(
    box: ControlBox,
    state: str | None = Query(None, description="only mails in this state: " + ", ".join(STATES)),  # noqa: B008
    kind: Literal["receipt", "inbound"] | None = None,
) -> dict:
    """The mail queue (oldest first): headers, text, attachments, delivery state and tries of every mail."""
    if state is not None and state not in STATES:
        raise ControlError(400, "state must be one of " + ", ".join(STATES))
    await run_in_threadpool(box.mail.settle)
    return {"mails": await run_in_threadpool(box.mail.outbox.mails, state, kind)}


@control.route("DELETE", "/outbox")
def clear_outbox(box: ControlBox) -> dict:
    """Forget every mail of the queue (a mail being sent meanwhile is still sent)."""
    return {"status": "cleared", "mails": box.mail.outbox.clear()}


@control.route("POST", "/outbox/flush")
def flush_outbox(box: ControlBox) -> dict:
    """Try every queued mail now, and queue again the ones the SMTP server refused (after fixing its settings)."""
    return {"status": "flushed", "mails": box.mail.flush(), "delivering": box.mail.delivery is not None}


@control.route("GET", "/outbox/{mail_id}.eml", errors=(404,))
async def view_outbox_message(mail_id: int, box: ControlBox) -> Response:
    """One mail as sent: the raw RFC 5322 message (message/rfc822)."""
    return await run_in_threadpool(_eml, box, mail_id)


@control.route("GET", "/outbox/{mail_id}", errors=(404,))
async def view_outbox_mail(
    mail_id: int,
    box: ControlBox,
    format: Literal["json", "eml"] = Query("json", description="eml: the raw message, as .eml"),  # noqa: A002, B008
) -> Response:
    """One mail: headers, text, attachments and delivery (?format=eml: the raw RFC 5322 message)."""
    if format == "eml":
        return await run_in_threadpool(_eml, box, mail_id)
    await run_in_threadpool(box.mail.settle)
    return JSONResponse(await run_in_threadpool(_mail_or_404, box, mail_id))


class MailOptionsChange(BaseModel):
    fax_output_format: Literal["pdf", "tiff"] | None = Field(
        None, description="Fax Output Format: " + "|".join(FORMATS)
    )
    email_size_limit: int | None = Field(
        None, ge=0, le=MAX_SIZE_LIMIT_KB, description="Email Size Limit in KB (0: no limit)"
    )
    email_fax_details: bool | None = Field(None, description="Email Fax Details: the fax's details in the text")


def _mail_view(box: Box) -> dict:
    mail = box.mail
    return {
        **mail.outbox.options().as_json(),
        "smtp_url": mail.target.shown if mail.target is not None else None,
        "smtp_listen_port": mail.listening_port,
        "outbox_size": box.settings.outbox_size,
    }


@control.route("GET", "/mail")
def view_mail_settings(box: ControlBox) -> dict:
    """Inbound-mail options (output format, size limit, fax details), the SMTP URL (no password), the listener."""
    return _mail_view(box)


@control.route("PUT", "/mail", errors=(400,))
def change_mail_settings(change: MailOptionsChange, box: ControlBox) -> dict:
    """Change the inbound-mail options sent (a reset gives back the settings' values; a snapshot keeps them)."""
    box.mail.outbox.change_options(change.model_dump(exclude_none=True))
    return _mail_view(box)
