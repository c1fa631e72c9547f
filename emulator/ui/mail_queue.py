"""Mail Queue (one of the FaxFinder's attested menus): the e-mail the box has queued, through the box's mail queue
(emulator.device.mail_queue); administrators only."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from emulator.ffws.auth import DATA_VIEW_DENIED, require_admin
from emulator.ffws.http import Work, get_box
from emulator.ui.render import page
from emulator.ui.routing import router
from emulator.ui.session import UiCaller


@router.get("/mail-queue")
def mail_queue(request: Request, caller: UiCaller, work: Work) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    queue = get_box(request).mail_queue
    return page(request, "mail_queue.html", supported=queue.supported, mails=queue.queued(work.session))
