"""Mail Queue (one of the FaxFinder's attested menus): the box's mail queue, as GET /_emulator/outbox reads it (every
queued mail composed first, so each shows whole), newest first; administrators only."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from emulator.ffws.auth import DATA_VIEW_DENIED, require_admin
from emulator.ffws.http import get_box
from emulator.ui.render import page
from emulator.ui.routing import router
from emulator.ui.session import UiCaller


@router.get("/mail-queue")
async def mail_queue(request: Request, caller: UiCaller) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    mail = get_box(request).mail
    await run_in_threadpool(mail.settle)
    mails = await run_in_threadpool(mail.outbox.mails)
    return page(request, "mail_queue.html", mails=list(reversed(mails)), delivers=mail.outbox.delivers)
