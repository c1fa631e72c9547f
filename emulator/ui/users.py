"""Users: add, edit, import and export (the FaxFinder's CSV), Delete All; through the users service."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from emulator.db.work import UnitOfWork
from emulator.ffws.auth import DATA_VIEW_DENIED, Caller, require_admin
from emulator.ffws.http import Work, get_box
from emulator.ffws.users import removal
from emulator.ffws.users import service as users
from emulator.ffws.users.wire import USER_FIELDS
from emulator.ui.forms import read_form, widget
from emulator.ui.render import page
from emulator.ui.routing import Answer, back_to, log, router
from emulator.ui.session import Form, UiCaller
from emulator.wire import FFWSError
from emulator.wire.errors import invalid

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
# A spreadsheet takes a cell that starts with one of these as a formula (=HYPERLINK(...) in a user's name, say): the
# export writes such a cell after a quote, which the spreadsheet shows as text and the import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_out(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_in(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


# -- Users -------------------------------------------------------------------------------------------------------
def _users_page(request: Request, caller: Caller, work: UnitOfWork, status: int = 200, error: str = "") -> Response:
    box = get_box(request)
    listed = users.list_users(work.session, caller)
    return page(
        request, "users.html", status=status, error=error, users=listed, fields=USER_FORM,
        cover_pages=box.cover_page_names(), columns=",".join(CSV_COLUMNS),
    )  # fmt: skip


@router.get("/users")
def users_page(request: Request, caller: UiCaller, work: Work) -> Response:
    return _users_page(request, caller, work)


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
    log.info("web: %s added user %s", caller.username, values["username"])
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
        cells = (kind, *row, cover, user.default_cover_page_name)  # a password is never given back
        writer.writerow([_csv_out(cell or "") for cell in cells])
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
        cells = dict(zip(CSV_COLUMNS, [_csv_in(c.strip()) for c in row], strict=False))
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
    log.info("web: %s imported %d user(s): %s", caller.username, len(rows), ", ".join(r["username"] for r in rows))
    return back_to(request, "/users", f"{len(rows)} user(s) imported.")


@router.post("/users/delete-all")
def delete_all_users(request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    deleted = removal.delete_all_users(work, caller)
    done = f"{deleted.users} user(s) deleted"
    if deleted.route_destinations:
        done += f", and {deleted.route_destinations} inbound route destination(s) that delivered to them"
    log.info("web: %s deleted every user but the administrators (%s)", caller.username, done)
    return back_to(request, "/users", done + ".")


# A user's own pages are one level below its name: /users/NAME alone is where the list's actions live (import,
# delete-all, export.csv), and NAME may be any of those.
@router.get("/users/{username}/edit")
def user_page(username: str, request: Request, caller: UiCaller, work: Work) -> Response:
    user = users.view_user(work.session, caller, username)
    box = get_box(request)
    return page(request, "user.html", user=user, fields=USER_FORM, cover_pages=box.cover_page_names())


@router.post("/users/{username}/edit")
def edit_user(username: str, request: Request, caller: UiCaller, form: Form, work: Work) -> Response:
    box = get_box(request)
    users.require_may_edit(caller, username)
    try:
        values = read_form(form, USER_FIELDS, skip=("username",))
        if not values.get("password"):
            values.pop("password", None)  # left empty: unchanged
        new_password = "password" in values
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
    log.info("web: %s saved user %s%s", caller.username, username, " with a new password" if new_password else "")
    return back_to(request, f"/users/{username}/edit", "Saved.")
