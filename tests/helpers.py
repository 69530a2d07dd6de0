"""Test helpers: annotation bodies built from real text, schema validation, a real server process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from newsmark.text import article_text

if TYPE_CHECKING:
    from newsmark.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_URL = "https://lite.cnn.com/2024/02/02/politics/us-strikes-iraq-syria/index.html"
TOKEN = "test-token-0123456789"

PARAGRAPHS = [
    "The US conducted major airstrikes on 85 targets across seven locations in Iraq and Syria on Friday.",
    "The retaliatory strikes – which lasted 30 minutes – came in response to a drone strike.",
    "President Joe Biden said the response “will continue at times and places of our choosing.”",
    "Defense Secretary Lloyd Austin said the strikes are “the start of our response.”",
]
TEXT = article_text(PARAGRAPHS)
SNAPSHOT = {
    "title": "US carries out retaliatory strikes",
    "byline": "By Natasha Bertrand, CNN",
    "timestamp_text": "Updated: 8:43 AM EST, Sat February 3, 2024",
    "text": TEXT,
}


# Text whose quotes and notes hold non-ASCII, emoji, quotes, commas and newlines (and markup).
TRICKY_PARAGRAPHS = [
    'Le ministre a dit « oui, 12 % » – puis: "non, pas ça", a-t-il ajouté 😀.',
    "Zweiter Absatz: Größe, Maße; 3,5 Mio. Euro.\u00a0Ende.",
]
TRICKY_TEXT = article_text(TRICKY_PARAGRAPHS)
TRICKY_URL = "https://lite.cnn.com/2024/02/03/world/tricky-text"
TRICKY_TITLE = 'Un titre, "cité"'
TRICKY_QUOTES = ["« oui, 12 % »", '"non, pas ça"', "😀.\n\nZweiter", "3,5 Mio. Euro."]
TRICKY_NOTES = [
    'commas, "quotes", and\na newline',
    "<script>alert(1)</script> & <img src=x onerror=alert(1)>",
    None,
    "emoji 🇺🇸 and tabs\tinside",
]


def code_tricky(store: Store) -> list[dict[str, Any]]:
    """Store the tricky annotations (one per quote, tags in turn); return them as stored."""
    from newsmark import annotations
    from newsmark.annotations import Rules
    from newsmark.schemas import AnnotationCreateSchema

    made = []
    for n, (exact, note) in enumerate(zip(TRICKY_QUOTES, TRICKY_NOTES, strict=True)):
        data = body(
            exact, text=TRICKY_TEXT, url=TRICKY_URL, tag=("actor", "claim", "figure")[n % 3], note=note
        )
        data["article"]["title"] = TRICKY_TITLE
        stored, _ = annotations.create(store, AnnotationCreateSchema().load(data), Rules())
        made.append(stored)
    return made


def body(
    exact: str,
    *,
    text: str = TEXT,
    occurrence: int = 0,
    tag: str = "claim",
    url: str = ARTICLE_URL,
    article: dict[str, Any] | bool | None = True,
    **overrides: Any,
) -> dict[str, Any]:
    """A POST /api/annotations body for the ``occurrence``-th place ``exact`` stands in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(exact, start + 1)
    end = start + len(exact)
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "url": url,
        "tag": tag,
        "quote": {"exact": exact, "prefix": text[max(0, start - 32) : start], "suffix": text[end : end + 32]},
        "position": {"start": start, "end": end},
        "note": None,
        "annotator": "coder-a",
    }
    if article is True:
        data["article"] = {**SNAPSHOT, "text": text}
    elif isinstance(article, dict):
        data["article"] = article
    data.update(overrides)
    return data


def _registry() -> Registry:
    resources = []
    for path in (ROOT / "schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def schema(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))


def validate(instance: Any, name: str, ref: str = "") -> None:
    """Raise if ``instance`` is not valid against ``schemas/<name>.schema.json`` (or a $defs entry)."""
    root = schema(name)
    target = {"$ref": root["$id"] + ref} if ref else root
    Draft202012Validator(target, registry=REGISTRY, format_checker=FormatChecker()).validate(instance)


class ServerProcess:
    """``newsmark serve`` as a real process on an ephemeral port."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []
        self.port = 0  # after the first start, a restart listens on the same port

    def start(self, timeout: float = 30) -> ServerProcess:
        self.output = []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsmark.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server exited: " + "".join(self.output))
            self.output.append(line)
            match = re.search(r"serving at (http://\S+/)", line)
            if match:
                self.url = match.group(1).rstrip("/")
                self.port = int(self.url.rsplit(":", 1)[1])
            if self.url and line.startswith("API token:"):  # the last line of the start-up message
                # Keep reading what the server prints, or a full pipe would block it.
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        raise RuntimeError("server did not start: " + "".join(self.output))

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    @property
    def viewer_link(self) -> str:
        """The sign-in link ``serve`` printed for the viewer."""
        for line in self.output:
            if line.startswith("viewer: open "):
                return line.removeprefix("viewer: open ").strip()
        raise AssertionError("serve printed no viewer link: " + "".join(self.output))

    def session(self) -> requests.Session:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {self.token}"
        return s

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no compaction; what is on disk is all there is."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self) -> str:
        """SIGTERM and wait; returns what the server printed."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        time.sleep(0.05)  # let the drain thread take the last lines
        return "".join(self.output)
