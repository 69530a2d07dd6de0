"""Files in the data folder besides the database: the API token and the running server's address.

Besides, each running server leaves a note of its folder in the user's state folder
(:func:`servers_dir`), so that a command run on another folder can say where the
server is.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from platformdirs import user_state_dir

from .storage.datafile import FOLDER_MODE, write_private
from .store import folder_in_use

TOKEN_FILE = "token"
SERVER_FILE = "server.json"


def load_or_create_token(folder: Path) -> str:
    """The folder's API token, made on first use (random, readable by the owner only)."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path = folder / TOKEN_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)  # someone widened it: the token is a password
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return token


def rotate_token(folder: Path) -> str:
    """Replace the folder's token with a new random one and return it.

    The new file is written beside the old one (private, never through an existing name or a
    symlink) and renamed over it, so a reader sees the old token or the new one, never half of
    one. A running server notices the new file at its next request (see ``web/access.py``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = folder / f"{TOKEN_FILE}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / TOKEN_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)
    return token


def read_token(folder: Path) -> str | None:
    try:
        return (folder / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def write_server_info(folder: Path, info: dict[str, Any]) -> None:
    """Say where the server listens (and its nonce, a secret like the token: the file is 0600)."""
    path = folder / SERVER_FILE
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, json.dumps(info).encode())
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_server_info(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / SERVER_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def remove_server_info(folder: Path) -> None:
    (folder / SERVER_FILE).unlink(missing_ok=True)


def new_nonce() -> str:
    """A secret for one start of the server, kept in server.json (0600) beside the token."""
    return secrets.token_urlsafe(32)


def nonce_proof(nonce: str, challenge: str) -> str:
    """What a server answers to ``challenge`` to show it knows the nonce of this start.

    The client checks it before sending the token: whatever else listens at the
    recorded address cannot make it, and the nonce itself never crosses the wire.
    """
    return hmac.new(nonce.encode(), b"newsmark health " + challenge.encode(), hashlib.sha256).hexdigest()


def server_running(folder: Path) -> dict[str, Any] | None:
    """The folder's server.json if its server is running (it holds the folder's lock)."""
    info = read_server_info(folder)
    if info is None or not _alive(info.get("pid")):
        return None
    return info if folder_in_use(folder) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours, but alive
    return True


def servers_dir() -> Path:
    """Where running servers leave a note of their data folder (the user's state folder)."""
    return Path(user_state_dir("newsmark", appauthor=False)) / "servers"


def announce_server(folder: Path, pid: int) -> None:
    """Leave a note that a server runs on ``folder``; a hint for other commands, so best effort."""
    notes = servers_dir()
    note = notes / f"{pid}.json"
    with contextlib.suppress(OSError):
        notes.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        write_private(note, json.dumps({"data_dir": str(folder.resolve()), "pid": pid}).encode())


def withdraw_server(pid: int) -> None:
    with contextlib.suppress(OSError):
        (servers_dir() / f"{pid}.json").unlink(missing_ok=True)


def servers_elsewhere(folder: Path) -> list[dict[str, Any]]:
    """The servers this user runs on other data folders than ``folder`` (their server.json)."""
    here = folder.resolve()
    found: dict[Path, dict[str, Any]] = {}
    try:
        notes = sorted(servers_dir().glob("*.json"))
    except OSError:
        return []
    for note in notes:
        try:
            where = Path(json.loads(note.read_text(encoding="utf-8"))["data_dir"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        info = server_running(where)
        if info is None or str(info.get("pid")) != note.stem:
            with contextlib.suppress(OSError):
                note.unlink()  # left by a server that crashed
            continue
        if where != here:
            found[where] = {**info, "data_dir": str(where)}
    return list(found.values())
