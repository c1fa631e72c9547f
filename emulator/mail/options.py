"""The box's global inbound-mail options (Fax Output Format, Email Size Limit, Email Fax Details).

The admin guides list them among the inbound routing options, but the reconstructed configuration API has no place
for them (12-reconstructed-endpoints), so they are the emulator's: a fresh box takes them from its settings
(``--fax-output-format``, ``--email-size-limit``, ``--email-fax-details``) and ``PUT /_emulator/mail`` changes them at
run time. They are stored as a device setting: a reset gives the settings' values back, a snapshot keeps them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from emulator.device.config import DeviceSetting

NAME = "mail_options"
FORMATS = ("pdf", "tiff")
MAX_SIZE_LIMIT_KB = 1_048_576


@dataclass(frozen=True)
class MailOptions:
    fax_output_format: str = "pdf"
    email_size_limit: int = 10240  # KB; 0: no limit
    email_fax_details: bool = True

    @property
    def size_limit_bytes(self) -> int:
        return self.email_size_limit * 1024

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def checked(options: MailOptions) -> MailOptions:
    """``options`` if every value is one the box takes; ValueError naming the first that is not."""
    if options.fax_output_format not in FORMATS:
        raise ValueError("fax_output_format must be pdf or tiff")
    limit = options.email_size_limit
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_SIZE_LIMIT_KB:
        raise ValueError(f"email_size_limit must be a number of KB from 0 to {MAX_SIZE_LIMIT_KB} (0: no limit)")
    if not isinstance(options.email_fax_details, bool):
        raise ValueError("email_fax_details must be true or false")
    return options


def read_options(session: Session, defaults: MailOptions) -> MailOptions:
    row = session.get(DeviceSetting, NAME)
    if row is None:
        return defaults
    stored = json.loads(row.value)
    known = {key: value for key, value in stored.items() if key in MailOptions.__dataclass_fields__}
    try:
        return checked(replace(defaults, **known))
    except ValueError:  # a snapshot of another version, say: what cannot be read is the settings' value
        return defaults


def write_options(session: Session, options: MailOptions) -> None:
    text = json.dumps(checked(options).as_json(), sort_keys=True)
    row = session.get(DeviceSetting, NAME)
    if row is None:
        session.add(DeviceSetting(name=NAME, value=text))
    else:
        row.value = text
