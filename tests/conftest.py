from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from helpers import TOKEN, ServerProcess
from newsmark.settings import Settings
from newsmark.store import Store
from newsmark.web import create_app

# Running servers leave a note in the user's state folder (datafolder.servers_dir) so that the
# CLI can point to them: the tests' servers leave theirs in a folder of their own.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="newsmark-test-state-")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture
def app(store: Store, data_dir: Path) -> Flask:
    return create_app(Settings(data_dir=data_dir), store, TOKEN)


@pytest.fixture
def anon(app: Flask) -> FlaskClient:
    """A client that sends no token."""
    return app.test_client()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client that sends the right token, as the extension does."""
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return c


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "server-data").start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        proc.stop()
