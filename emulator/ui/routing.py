"""The web pages' router and what every page route shares."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from emulator.ui.render import FLASH_COOKIE, prefix
from emulator.ui.session import FLASH_AGE, sessions, set_cookie

router = APIRouter(include_in_schema=False)
log = logging.getLogger("emulator.ui")  # what people do on the pages: logins, changes to users and settings


def back_to(request: Request, where: str, done: str = "") -> RedirectResponse:
    """After a form: the page to show (303, so a reload does not post again), and what was done, which that page
    says once. The message travels in a short-lived cookie signed by the box, never in the address: a link cannot
    make a page say anything."""
    response = RedirectResponse(prefix(request) + where, status_code=303)
    if done:
        set_cookie(request, response, FLASH_COOKIE, sessions(request).flash(done), max_age=FLASH_AGE)
    return response


class Answer(Exception):
    """A page given instead of the usual one (a form shown again with what was wrong). Raised, not returned, so that
    the request's unit of work rolls back whatever the form had begun."""

    def __init__(self, response: Response) -> None:
        super().__init__(getattr(response, "status_code", 0))
        self.response = response
