"""The subjects and texts of mails, as data (fixtures/mail/*.txt): ``Subject: …``, an empty line, then the text (a
part of a text has no Subject line). ``${name}`` takes a value; an unknown name stays as written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any


@dataclass(frozen=True)
class MailTemplate:
    subject: Template
    body: Template

    def render(self, values: dict[str, Any]) -> tuple[str, str]:
        text = {key: str(value) for key, value in values.items()}
        subject = " ".join(self.subject.safe_substitute(text).split())  # one line, whatever the values hold
        return subject, self.body.safe_substitute(text)


def load_template(path: Path) -> MailTemplate:
    raw = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    subject = ""
    if raw.startswith("Subject:"):
        first, _, raw = raw.partition("\n")
        subject = first.removeprefix("Subject:").strip()
        raw = raw.removeprefix("\n")
    return MailTemplate(Template(subject), Template(raw))


class Templates:
    """Every template of a folder, read when first used (and kept)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, MailTemplate] = {}

    def __getitem__(self, name: str) -> MailTemplate:
        template = self._loaded.get(name)
        if template is None:
            template = self._loaded[name] = load_template(self.folder / f"{name}.txt")
        return template
