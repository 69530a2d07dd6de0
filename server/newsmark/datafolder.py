"""Files in the data folder besides the database: the API token and the running server's address."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

TOKEN_FILE = "token"
SERVER_FILE = "server.json"


def load_or_create_token(folder: Path) -> str:
    """The folder's API token, made on first use (random, readable by the owner only)."""
    folder.mkdir(parents=True, exist_ok=True)
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
    path = folder / SERVER_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(info), encoding="utf-8")
    os.replace(tmp, path)


def read_server_info(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / SERVER_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def remove_server_info(folder: Path) -> None:
    (folder / SERVER_FILE).unlink(missing_ok=True)
