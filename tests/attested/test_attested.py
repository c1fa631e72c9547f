"""The attested corpus, replayed: every exchange of the guide's examples and of a real FF240.R1's log, in the
firmware profile it belongs to, compared byte for byte after the substitutions its corpus.toml gives (README.md in
this folder says how)."""

from __future__ import annotations

import base64
import difflib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import FFClient, make_box
from tests.ffws.clients import pdf_bytes

HERE = Path(__file__).parent
HOST = "faxfinder.test"
_VARIABLE = re.compile(r"\$\{([a-z0-9_]+)(?::(\d+))?\}")
_TYPOGRAPHIC_DECLARATION = re.compile(r"<\?xml version=[”\"]1\.0[”\"]\s*encoding=[”\"]UTF-8[”\"]\?>")


@dataclass
class Corpus:
    folder: Path
    meta: dict[str, Any]

    @property
    def normalise(self) -> list[str]:
        return self.meta.get("normalise", [])

    def examples(self) -> list[dict[str, Any]]:
        return self.meta["example"]

    def read(self, stem: str, kind: str) -> str:
        return (self.folder / f"{stem}.{kind}").read_text(encoding="utf-8")


def corpora() -> list[Corpus]:
    return [Corpus(toml.parent, tomllib.loads(toml.read_text())) for toml in sorted(HERE.glob("*/corpus.toml"))]


def cases() -> Iterator[Any]:
    for corpus in corpora():
        for example in corpus.examples():
            yield pytest.param(corpus, example, id=f"{corpus.folder.name}/{example['stem']}")


@dataclass
class Message:
    """A request or an answer as written in a corpus file."""

    start: str
    headers: dict[str, str]
    body: str

    @classmethod
    def parse(cls, text: str) -> Message:
        head, _, body = text.partition("\n\n")
        start, *lines = head.split("\n")
        headers = dict(line.split(": ", 1) for line in lines if line)
        return cls(start, {k.lower(): v for k, v in headers.items()}, body)


@dataclass
class Replay:
    corpus: Corpus
    client: FFClient
    variables: dict[str, str] = field(default_factory=lambda: {"host": HOST})

    # -- text ---------------------------------------------------------------------------------------------------------
    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            name, size = match.group(1), match.group(2)
            if name == "pdf_base64":
                return base64.b64encode(pdf_bytes(1)).decode()
            if name == "filler_base64":
                data = b"%PDF-1.7\n" + b"0" * (int(size) - 9)
                return base64.b64encode(data).decode()
            return self.variables[name]

        return _VARIABLE.sub(value, text)

    def substitute(self, text: str, example: dict[str, Any]) -> str:
        for pair in example.get("substitutions", []):
            text = text.replace(pair["source"], pair["emulator"])
        return self.expand(text)

    def normalised(self, text: str) -> str:
        if "declaration" in self.corpus.normalise:
            text = _TYPOGRAPHIC_DECLARATION.sub('<?xml version="1.0" encoding="UTF-8"?>', text)
        if "indentation" in self.corpus.normalise:
            text = "\n".join(line.strip() for line in text.strip().split("\n"))
        return text

    # -- requests -----------------------------------------------------------------------------------------------------
    def send(self, method: str, target: str, body: str | None, headers: dict[str, str]) -> httpx.Response:
        url = urlsplit(target)
        if not url.scheme:
            target = f"https://{HOST}{target}"
        headers = dict(headers)
        if "authorization" not in headers:
            credentials = self.corpus.meta.get("credentials", {"username": "admin", "password": "admin"})
            token = base64.b64encode(f"{credentials['username']}:{credentials['password']}".encode()).decode()
            headers["authorization"] = f"Basic {token}"
        content = None if body is None else body.encode()
        return self.client.request(method, target, content, auth=None, headers=headers)

    def send_file(self, stem: str, example: dict[str, Any]) -> httpx.Response:
        request = Message.parse(self.substitute(self.corpus.read(stem, "request"), example))
        method, target, _version = request.start.split(" ")
        return self.send(method, target, self.normalised(request.body) if request.body else None, request.headers)

    def run_setup(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            if "use" in step:
                self.run_setup(self.corpus.meta["recipe"][step["use"]])
                continue
            first, last = step.get("repeat", [None, None])
            for i in range(first, last + 1) if first is not None else [None]:
                if i is not None:
                    self.variables["i"] = str(i)
                self.run_step(step)

    def run_step(self, step: dict[str, Any]) -> None:
        if "request_file" in step:
            response = self.send_file(step["request_file"], step)
        else:
            method, path = step["request"].split(" ", 1)
            if "json" in step:
                response = self.client.request(method, path, json=step["json"])
            else:
                body = step.get("body") or (
                    self.corpus.read(step["body_file"], "request") if "body_file" in step else None
                )
                if body is not None and "body_file" in step:
                    body = Message.parse(body).body
                for old, new in step.get("body_replace", []):
                    body = body.replace(old, new)
                body = self.normalised(self.expand(body)) if body is not None else None
                response = self.send(method, self.expand(path), body, {"content-type": "application/xml"})
        assert response.status_code == step.get("expect", 200), response.text
        self.capture(step, response.text)

    def capture(self, step: dict[str, Any], text: str) -> None:
        for name, pattern in step.get("capture", {}).items():
            found = re.search(pattern, text)
            assert found, f"{pattern!r} not in {text}"
            self.variables[name] = found.group(1)


def shown(response: httpx.Response, expected: Message) -> str:
    """The answer in the expected file's form: its status line as detailed as the source's, its headers, its body."""
    code = str(response.status_code)
    if expected.start.startswith("HTTP/1.1"):
        start = f"HTTP/1.1 {code} {response.reason_phrase}"
    elif expected.start.endswith("xx"):
        start = f"HTTP {code[0]}xx"
    else:
        start = f"HTTP {code}"
    headers = "".join(f"{name}: {response.headers.get(name, '(absent)')}\n" for name in expected.headers)
    return f"{start}\n{headers}\n{response.text}"


@pytest.mark.parametrize(("corpus", "example"), list(cases()))
def test_the_attested_exchange_is_reproduced(template_dir, tmp_path, corpus: Corpus, example: dict[str, Any]):
    settings = {"firmware": corpus.meta["profile"], "model": example.get("model", "FF240-IP")}
    settings |= corpus.meta.get("settings", {}) | example.get("settings", {})
    if "start_time" in example:
        settings["start_time"] = example["start_time"]
    client = FFClient(make_box(template_dir, tmp_path / "box", **settings))
    client.box.reset()  # the clock at this example's start (the template's data dir has its own)
    try:
        replay = Replay(corpus, client)
        replay.run_setup(example.get("setup", []))
        response = replay.send_file(example["stem"], example)
        replay.capture(example, response.text)
        expected = Message.parse(replay.substitute(corpus.read(example["stem"], "response"), example))
        assert_matches(replay, example, expected, response)
    finally:
        client.close()


def written(message: Message) -> str:
    return f"{message.start}\n" + "".join(f"{k}: {v}\n" for k, v in message.headers.items()) + f"\n{message.body}"


def assert_matches(replay: Replay, example: dict[str, Any], expected: Message, response: httpx.Response) -> None:
    got = replay.normalised(shown(response, expected))
    want = replay.normalised(written(expected))
    if example.get("match") == "lines":
        actual, wanted = Message.parse(got), Message.parse(want)
        assert (actual.start, actual.headers) == (wanted.start, wanted.headers)
        lines = iter(actual.body.split("\n"))
        for line in wanted.body.strip("\n").split("\n"):
            assert any(line.strip() == seen.strip() for seen in lines), f"{line!r} not in the answer:\n{response.text}"
        return
    if example["status"] == "exact":
        assert got == want
        return
    diff = [
        line
        for line in difflib.unified_diff(want.split("\n"), got.split("\n"), lineterm="", n=0)
        if line[:1] in "-+" and not line.startswith(("---", "+++"))
    ]
    assert diff == example["diff"], f"{example['stem']} differs otherwise than its corpus says: {diff}"


def test_every_example_of_the_corpus_has_its_files_and_a_status():
    for corpus in corpora():
        for example in corpus.examples():
            assert (corpus.folder / f"{example['stem']}.request").is_file()
            assert (corpus.folder / f"{example['stem']}.response").is_file()
            assert example["status"] in ("exact", "differs")
            assert example["status"] == "exact" or (example.get("reason") and example.get("diff"))
            for pair in example.get("substitutions", []):
                assert pair.get("why"), f"{example['stem']}: a substitution without its reason"


def test_readme_gives_the_corpus_counts():
    readme = (HERE.parents[1] / "README.md").read_text()
    for corpus in corpora():
        statuses = [example["status"] for example in corpus.examples()]
        row = (
            f"| `{corpus.meta['profile']}` | {len(statuses)} | {statuses.count('exact')} | {statuses.count('differs')}"
        )
        assert row in readme, f"README's corpus table lacks {row!r}"
