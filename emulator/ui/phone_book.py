"""Phone book: a user's own contacts and groups and the global ones, through the contacts and groups services."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.ffws.auth import Caller
from emulator.ffws.contacts import service as contacts
from emulator.ffws.contacts.models import GLOBAL_OWNER, Contact
from emulator.ffws.contacts.wire import CONTACT_FIELDS
from emulator.ffws.groups import service as groups
from emulator.ffws.groups.wire import GROUP_FIELDS
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
    shown = [owner] + ([GLOBAL_OWNER] if owner != GLOBAL_OWNER else [])
    books = {book: contacts.list_contacts(session, caller, book, BY_NAME) for book in shown}
    group_books = {book: groups.list_groups(session, caller, book, BY_NAME) for book in shown}
    may_add_global = contacts.may_add_global(session, caller)
    owners = [owner] + ([GLOBAL_OWNER] if may_add_global and owner != GLOBAL_OWNER else [])
    return page(
        request, "phone_book.html", status=status, error=error, books=books, groups=group_books, owner=owner,
        owners=owners, global_owner=GLOBAL_OWNER, may_add_global=may_add_global, names=_names(books),
    )  # fmt: skip


def _names(books: dict[str, list[Contact]]) -> dict[int, str]:
    """Contact ID -> name, to show a group's members."""
    return {contact.id: contact.name for book in books.values() for contact in book}


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


# -- groups ------------------------------------------------------------------------------------------------------
def _members(form: FormData) -> list[str]:
    """The contacts ticked (``OWNER/ID``), as the member URLs the API takes."""
    return [f"/ffws/v1/contacts/{value}" for value in form.getlist("member") if isinstance(value, str)]


@router.post("/phone-book/groups")
def add_group(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    owner = str(form.get("owner") or caller.username)
    try:
        values = read_form(form, GROUP_FIELDS)
        group = groups.add_group(work.session, caller, owner, values, _members(form))
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(_phone_book(request, caller, work, caller.username, 400, exc.message)) from None
    return back_to(request, f"/phone-book?owner={caller.username}", f"Group {group.name} added.")


def _group_page(
    request: Request, caller: Caller, work: UnitOfWork, owner: str, group_id: str, status: int = 200, error: str = ""
) -> Response:
    session = work.session
    group = groups.view_group(session, caller, owner, group_id)
    shown = [owner] + ([GLOBAL_OWNER] if owner != GLOBAL_OWNER else [])
    books = {book: contacts.list_contacts(session, caller, book, BY_NAME) for book in shown}
    members = {(m.contact_owner, m.contact_id) for m in group.members}
    return page(
        request, "group.html", status, error=error, group=group, books=books, members=members,
        global_owner=GLOBAL_OWNER,
    )  # fmt: skip


# A group's pages are under /phone-book/groups/OWNER/ID/, deeper than any contact's (/phone-book/OWNER/ID).
@router.get("/phone-book/groups/{owner}/{group_id}/edit")
def group_page(owner: str, group_id: str, request: Request, caller: UiCaller, work: Work) -> Response:
    return _group_page(request, caller, work, owner, group_id)


@router.post("/phone-book/groups/{owner}/{group_id}/edit")
def edit_group(owner: str, group_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    """As PUT /contact_groups: the fields change, and the contacts ticked replace the members."""
    try:
        values = read_form(form, GROUP_FIELDS)
        groups.edit_group(work.session, caller, owner, group_id, values, _members(form))
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(_group_page(request, caller, work, owner, group_id, 400, exc.message)) from None
    return back_to(request, f"/phone-book?owner={caller.username}", "Group saved.")


@router.post("/phone-book/groups/{owner}/{group_id}/delete")
def delete_group(owner: str, group_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    groups.delete_group(work.session, caller, owner, group_id)
    return back_to(request, f"/phone-book?owner={caller.username}", "Group deleted.")
