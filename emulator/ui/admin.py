"""Users, Phone book, Inbound Routing, Fax and System Configuration: each through its /ffws/v1 service, so a page
allows and refuses what the API does (with the API's words)."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.device import config
from emulator.ffws.about.routes import BUILD_DATE, FIRMWARE_VERSION
from emulator.ffws.auth import DATA_CHANGE_DENIED, DATA_VIEW_DENIED, Caller, require_admin
from emulator.ffws.configuration import inbound_routes as routes
from emulator.ffws.configuration import service as configuration
from emulator.ffws.configuration.settings import SPECS, WRITE_ONLY
from emulator.ffws.contacts import service as contacts
from emulator.ffws.contacts.models import GLOBAL_OWNER
from emulator.ffws.contacts.wire import CONTACT_FIELDS
from emulator.ffws.http import Work, get_box
from emulator.ffws.listing import ListQuery
from emulator.ffws.users import service as users
from emulator.ffws.users.wire import USER_FIELDS
from emulator.ui.forms import read_form, widget
from emulator.ui.render import page
from emulator.ui.routing import Answer, back_to, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError
from emulator.wire.errors import invalid

BY_NAME = ListQuery(None, 0, {}, "name")
MAX_CSV = 1024 * 1024  # bytes of a users file (thousands of users)
CSV_COLUMNS = (
    "Type", "Username", "Password", "Full Name", "Email", "Phone", "Fax", "Organization", "Include Cover Page",
    "Default",
)  # fmt: skip
CSV_FIELDS = {  # column -> user field
    "Username": "username", "Password": "password", "Full Name": "name", "Email": "email_address",
    "Phone": "phone_number", "Fax": "fax_number", "Organization": "organization",
    "Include Cover Page": "default_cover_page_enabled", "Default": "default_cover_page_name",
}  # fmt: skip
USER_FORM = {name: widget(field) for name, field in USER_FIELDS.items()}


def _fields(name: str) -> dict[str, dict[str, Any]]:
    return {key: widget(field) for key, field in SPECS[name].items()}


# -- Users -------------------------------------------------------------------------------------------------------
def _users_page(
    request: Request, caller: Caller, work: UnitOfWork, status: int = 200, error: str = "", done: str = ""
) -> Response:
    box = get_box(request)
    listed = users.list_users(work.session, caller)
    return page(
        request, "users.html", status=status, error=error, done=done, users=listed, fields=USER_FORM,
        cover_pages=box.cover_page_names(), columns=",".join(CSV_COLUMNS),
    )  # fmt: skip


@router.get("/users")
def users_page(request: Request, caller: UiCaller, work: Work, done: str = "") -> Response:
    return _users_page(request, caller, work, done=done)


@router.post("/users")
def add_user(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    box = get_box(request)
    users.require_may_add(caller)
    try:
        values = read_form(form, USER_FIELDS)
        users.add_user(work, caller, values, box.auth.passwords.hash, box.cover_page_names())
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(_users_page(request, caller, work, 400, exc.message)) from None
    return back_to(request, "/users", f"User {values['username']} added.")


@router.get("/users/export.csv")
def export_users(request: Request, caller: UiCaller, work: Work) -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for user in users.list_users(work.session, caller):
        kind = "Administrator" if user.is_admin else "User"
        cover = "Yes" if user.default_cover_page_enabled else "No"
        row = (user.username, "", user.name, user.email_address, user.phone_number, user.fax_number, user.organization)
        writer.writerow((kind, *row, cover, user.default_cover_page_name))  # a password is never given back
    headers = {"content-disposition": 'attachment; filename="users.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_rows(text: str) -> list[dict[str, Any]]:
    """The users of an import file (the FaxFinder's columns; a header row is optional), each checked by the user
    rules before anything is written."""
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["type", "username"]:
        rows = rows[1:]
    found = []
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(CSV_COLUMNS, [c.strip() for c in row], strict=False))
        try:
            if cells.get("Type", "").lower() not in ("user", ""):
                raise invalid("Type", "only User rows can be imported (the box has one administrator, admin)")
            raw = {CSV_FIELDS[k]: v for k, v in cells.items() if k in CSV_FIELDS}
            flag = raw.get("default_cover_page_enabled", "").lower()
            raw["default_cover_page_enabled"] = "true" if flag in ("yes", "y", "true", "1", "on") else "false"
            values = {k: USER_FIELDS[k].read(k, v) for k, v in raw.items()}
            found.append({k: v for k, v in values.items() if v is not None})
        except FFWSError as exc:
            raise FFWSError(400, f"line {number}: {exc.message}") from None
    if not found:
        raise FFWSError(400, "the file holds no user")
    return found


@router.post("/users/import")
async def import_users(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    """Every row or none: one unit of work; the passwords are hashed before it opens."""
    box = get_box(request)
    users.require_may_add(caller)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise FFWSError(400, "choose a CSV file to import")
        data = await upload.read(MAX_CSV + 1)
        if len(data) > MAX_CSV:
            raise FFWSError(400, f"the file is larger than {MAX_CSV // 1024} KiB")
        text = data.decode("utf-8-sig", errors="replace")
        rows = _csv_rows(text)
        hashes = await run_in_threadpool(lambda: [box.auth.passwords.hash(r.get("password") or "") for r in rows])
        for row, hashed in zip(rows, hashes, strict=True):
            with_password = {**row, "password": row.get("password", "")}
            try:
                await run_in_threadpool(
                    users.add_user, work, caller, with_password, lambda _p, h=hashed: h, box.cover_page_names()
                )
            except FFWSError as exc:
                raise FFWSError(exc.status, f"{row.get('username', '?')}: {exc.message}") from None
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(await run_in_threadpool(_users_page, request, caller, work, 400, exc.message)) from None
    return back_to(request, "/users", f"{len(rows)} user(s) imported.")


@router.post("/users/delete-all")
def delete_all_users(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    count = users.delete_users(work, caller)
    return back_to(request, "/users", f"{count} user(s) deleted.")


@router.get("/users/{username}")
def user_page(username: str, request: Request, caller: UiCaller, work: Work, done: str = "") -> Response:
    user = users.view_user(work.session, caller, username)
    box = get_box(request)
    return page(request, "user.html", user=user, fields=USER_FORM, cover_pages=box.cover_page_names(), done=done)


@router.post("/users/{username}")
def edit_user(username: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    box = get_box(request)
    users.require_may_edit(caller, username)
    try:
        values = read_form(form, USER_FIELDS, skip=("username",))
        if not values.get("password"):
            values.pop("password", None)  # left empty: unchanged
        users.edit_user(work, caller, username, values, box.auth.passwords.hash, box.cover_page_names())
    except FFWSError as exc:
        if exc.status != 400:
            raise
        user = users.view_user(work.session, caller, username)
        cover_pages = box.cover_page_names()
        response = page(
            request, "user.html", 400, user=user, fields=USER_FORM, cover_pages=cover_pages, error=exc.message
        )
        raise Answer(response) from None
    return back_to(request, f"/users/{username}", "Saved.")


# -- Phone book --------------------------------------------------------------------------------------------------
def _phone_book(
    request: Request, caller: Caller, work: UnitOfWork, owner: str, status: int = 200, error: str = "", done: str = ""
) -> Response:
    session = work.session
    books = {owner: contacts.list_contacts(session, caller, owner, BY_NAME)}
    if owner != GLOBAL_OWNER:
        books[GLOBAL_OWNER] = contacts.list_contacts(session, caller, GLOBAL_OWNER, BY_NAME)
    may_add_global = caller.is_admin or config.global_list_open(session)
    owners = [owner] + ([GLOBAL_OWNER] if may_add_global and owner != GLOBAL_OWNER else [])
    return page(
        request, "phone_book.html", status=status, error=error, done=done, books=books, owner=owner, owners=owners,
        global_owner=GLOBAL_OWNER, may_add_global=may_add_global,
    )  # fmt: skip


@router.get("/phone-book")
def phone_book(request: Request, caller: UiCaller, work: Work, owner: str = "", done: str = "") -> Response:
    return _phone_book(request, caller, work, owner or caller.username, done=done)


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


# -- Inbound Routing ---------------------------------------------------------------------------------------------
def _routing(request: Request, work: UnitOfWork, status: int = 200, error: str = "", done: str = "") -> Response:
    box = get_box(request)
    return page(
        request, "routing.html", status=status, error=error, done=done, routes=routes.all_routes(work.session),
        types=routes.ROUTE_TYPES, destination_types=routes.DESTINATION_TYPES, lines=box.settings.line_count,
    )  # fmt: skip


@router.get("/inbound-routing")
def inbound_routing(request: Request, caller: UiCaller, work: Work, done: str = "") -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    return _routing(request, work, done=done)


def _destinations(text: str) -> list[dict[str, str]]:
    """One destination a line: ``user:admin``, ``email:ops@example.com``, ``printer:NAME``, ``share:PATH``,
    ``trash``."""
    found = []
    for line in text.splitlines():
        if line.strip():
            kind, _, value = line.strip().partition(":")
            found.append({"type": routes.DESTINATION_FIELDS["type"].read("destination type", kind), "value": value})
    return found


@router.post("/inbound-routing")
def add_route(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    try:
        values = read_form(form, routes.ROUTE_FIELDS)
        destinations = _destinations(str(form.get("destinations") or ""))
        route = routes.save_route(work.session, None, values, destinations, box.settings.line_count)
    except FFWSError as exc:
        if exc.status != 400:
            raise
        raise Answer(_routing(request, work, 400, exc.message)) from None
    return back_to(request, "/inbound-routing", f"Route {route.id} added.")


@router.post("/inbound-routing/{route_id}/delete")
def delete_route(route_id: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    configuration.delete_route(work.session, route_id)
    return back_to(request, "/inbound-routing", f"Route {route_id} deleted.")


# -- Fax and System Configuration ----------------------------------------------------------------------------
FAX_SETTINGS = ("sip_settings", "t38_settings")
SYSTEM_SETTINGS = ("t37_settings", "global_contacts_status")


def _settings(session: Session, names: tuple[str, ...]) -> list[dict[str, Any]]:
    shown = []
    for name in names:
        value = config.read_setting(session, name)
        value = {k: ("" if k in WRITE_ONLY else v) for k, v in value.items()}
        shown.append(
            {"name": name, "title": name.replace("_", " ").capitalize(), "value": value, "fields": _fields(name)}
        )
    return shown


@router.get("/fax-configuration")
def fax_configuration(request: Request, caller: UiCaller, work: Work, done: str = "", error: str = "") -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    box = get_box(request)
    session = work.session
    if box.profile.is_ip:
        return page(
            request,
            "configuration.html",
            title="Fax Configuration",
            settings=_settings(session, FAX_SETTINGS),
            action="fax-configuration",
            done=done,
            modems=None,
        )
    modems = config.read_modems(session, box.settings.line_count)
    return page(
        request,
        "configuration.html",
        title="Fax Configuration",
        settings=[],
        modems=modems,
        modem_fields=_fields("modem_settings"),
        action="fax-configuration",
        done=done,
    )


@router.get("/system")
def system_configuration(request: Request, caller: UiCaller, work: Work, done: str = "") -> Response:
    require_admin(caller, DATA_VIEW_DENIED)
    box = get_box(request)
    about = {
        "Model": box.settings.model, "Firmware version": FIRMWARE_VERSION, "Build date": BUILD_DATE,
        "Lines": box.settings.line_count, "Firmware profile (emulator)": box.firmware.name,
    }  # fmt: skip
    settings = _settings(work.session, SYSTEM_SETTINGS)
    return page(
        request,
        "configuration.html",
        title="System Configuration",
        settings=settings,
        about=about,
        action="system",
        done=done,
        modems=None,
    )


def _save_setting(request: Request, caller: Caller, work: UnitOfWork, name: str, form: FormData) -> None:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    values = read_form(form, SPECS[name])
    lines, cover_pages = box.settings.line_count, box.cover_page_names()
    configuration.edit_setting(work, name, values, box.auth.passwords.hash, lines=lines, cover_pages=cover_pages)


def _settings_error(request: Request, where: str, exc: FFWSError) -> Exception:
    if exc.status != 400:
        return exc
    return Answer(page(request, "refused.html", 400, status_code=400, message=exc.message, back=where))


@router.post("/fax-configuration/modem/{number}")
def save_modem(number: int, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    require_admin(caller, DATA_CHANGE_DENIED)
    box = get_box(request)
    if not 1 <= number <= box.settings.line_count or box.profile.is_ip:
        raise FFWSError(404, "Not Found")
    try:
        values = read_form(form, SPECS["modem_settings"])
        configuration.edit_modem(work, number, values, lines=box.settings.line_count)
    except FFWSError as exc:
        raise _settings_error(request, "/fax-configuration", exc) from None
    return back_to(request, "/fax-configuration", f"Modem {number} saved.")


def _save_named(
    request: Request, caller: Caller, work: UnitOfWork, form: FormData, name: str, allowed: tuple[str, ...], where: str
) -> Response:
    if name not in allowed or name not in SPECS:
        raise FFWSError(404, "Not Found")
    if name in FAX_SETTINGS and not get_box(request).profile.is_ip:
        raise FFWSError(404, "Not Found")
    try:
        _save_setting(request, caller, work, name, form)
    except FFWSError as exc:
        raise _settings_error(request, where, exc) from None
    return back_to(request, where, f"{name.replace('_', ' ').capitalize()} saved.")


@router.post("/fax-configuration/{name}")
def save_fax_setting(name: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    return _save_named(request, caller, work, form, name, FAX_SETTINGS, "/fax-configuration")


@router.post("/system/{name}")
def save_system_setting(name: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    return _save_named(request, caller, work, form, name, SYSTEM_SETTINGS, "/system")
