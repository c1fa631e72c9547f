"""Phone book: a user's own contacts and the global list, through the contacts service."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.ffws.auth import Caller
from emulator.ffws.contacts import service as contacts
from emulator.ffws.contacts.models import GLOBAL_OWNER
from emulator.ffws.contacts.wire import CONTACT_FIELDS
from emulator.ffws.http import Work
from emulator.ffws.listing import ListQuery
from emulator.ui.forms import read_form
from emulator.ui.render import page
from emulator.ui.routing import Answer, back_to, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError

BY_NAME = ListQuery(None, 0, {}, "name")


# -- Phone book --------------------------------------------------------------------------------------------------
def _phone_book(
    request: Request, caller: Caller, work: UnitOfWork, owner: str, status: int = 200, error: str = ""
) -> Response:
    session = work.session
    books = {owner: contacts.list_contacts(session, caller, owner, BY_NAME)}
    if owner != GLOBAL_OWNER:
        books[GLOBAL_OWNER] = contacts.list_contacts(session, caller, GLOBAL_OWNER, BY_NAME)
    may_add_global = contacts.may_add_global(session, caller)
    owners = [owner] + ([GLOBAL_OWNER] if may_add_global and owner != GLOBAL_OWNER else [])
    return page(
        request, "phone_book.html", status=status, error=error, books=books, owner=owner, owners=owners,
        global_owner=GLOBAL_OWNER, may_add_global=may_add_global,
    )  # fmt: skip


@router.get("/phone-book")
def phone_book(request: Request, caller: UiCaller, work: Work, owner: str = "") -> Response:
    return _phone_book(request, caller, work, owner or caller.username)


@router.post("/phone-book")
def add_contact(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    owner = str(form.get("owner") or caller.username)
    try:
        values = read_form(form, CONTACT_FIELDS)
        contact = contacts.add_contact(work.session, caller, owner, values)
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(_phone_book(request, caller, work, caller.username, 400, exc.message)) from None
    return back_to(request, f"/phone-book?owner={caller.username}", f"Contact {contact.name} added.")


@router.post("/phone-book/{owner}/{contact_id}/delete")
def delete_contact(owner: str, contact_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    contacts.delete_contact(work.session, caller, owner, contact_id)
    return back_to(request, f"/phone-book?owner={caller.username}", "Contact deleted.")


@router.get("/phone-book/{owner}/{contact_id}")
def contact_page(owner: str, contact_id: str, request: Request, caller: UiCaller, work: Work) -> Response:
    contact = contacts.view_contact(work.session, caller, owner, contact_id)
    return page(request, "contact.html", contact=contact)


@router.post("/phone-book/{owner}/{contact_id}")
def edit_contact(owner: str, contact_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    try:
        values = read_form(form, CONTACT_FIELDS)
        contacts.edit_contact(work.session, caller, owner, contact_id, values)
    except FFWSError as exc:
        if exc.status != 400:
            raise
        contact = contacts.view_contact(work.session, caller, owner, contact_id)
        raise Answer(page(request, "contact.html", 400, contact=contact, error=exc.message)) from None
    return back_to(request, f"/phone-book?owner={caller.username}", "Contact saved.")
