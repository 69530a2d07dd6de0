"""``newsmark serve``: the API on waitress, with a clean shutdown that compacts the store."""

from __future__ import annotations

import ipaddress
import logging
import os
import shlex
import shutil
import signal
import sys
import time
from typing import TextIO

from . import __version__
from .datafolder import (
    TOKEN_FILE,
    announce_server,
    load_or_create_token,
    new_nonce,
    remove_server_info,
    withdraw_server,
    write_server_info,
)
from .errors import StoreUnavailable
from .httpserver import create_server
from .settings import Settings
from .store import Store
from .web import create_app
from .web.gate import Gate


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # waitress warns whenever requests queue for a worker thread: normal under a
    # burst of saves from the extension, and not worth a line each.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def run(settings: Settings, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serve until SIGINT or SIGTERM. The store is open (and the folder locked) until then."""
    configure_logging()
    # Raises StoreLocked if another process has the folder.
    store = Store(settings.data_dir, compact_min_bytes=settings.compact_min_bytes)
    try:
        token = load_or_create_token(settings.data_dir)
        nonce = new_nonce()
        # The token file is read again whenever it changes: `newsmark token --rotate` takes effect at once.
        app = create_app(settings, store, token, settings.data_dir / TOKEN_FILE, nonce=nonce)
        try:
            server = create_server(
                app,
                # Bodies are refused from their headers (token, Host, each route's limit), unread.
                Gate(settings, app.extensions["newsmark"].access),
                host=settings.host,
                port=settings.port,
                threads=8,
                # Waitress's own cap (1 GiB by default) must not cut an import the setting allows.
                max_body_bytes=max(settings.max_import_mb, 1) * 1024 * 1024 + 1024 * 1024,
            )
        except OSError as exc:
            print(
                f"newsmark: cannot listen on {settings.host}:{settings.port}: {exc.strerror}. "
                "Choose another port with --port.",
                file=err,
            )
            return 1
        port = server.effective_port  # type: ignore[union-attr]
        url = url_for(settings.host, port)
        if not is_loopback(settings.host):
            print(
                f"WARNING: listening on {settings.host}, not loopback: other machines can reach "
                "the service. Requests still need the token and an allowed Host name "
                "(NEWSMARK_ALLOWED_HOSTS).",
                file=err,
            )
        # From here a SIGTERM stops the server cleanly (so the data file is written at the end).
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            _announce(settings, url, port, token, nonce, out)
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    finally:
        withdraw_server(os.getpid())
        remove_server_info(settings.data_dir)
        saved = _close(store, err)
    if saved:
        print("newsmark: stopped; data saved.", file=out, flush=True)
    return 0 if saved else 1


def _announce(settings: Settings, url: str, port: int, token: str, nonce: str, out: TextIO) -> None:
    """Write server.json (for the CLI) and print where the server is and how to reach it."""
    write_server_info(
        settings.data_dir,
        {
            "pid": os.getpid(),
            "host": settings.host,
            "port": port,
            "url": url,
            "version": __version__,
            "started": time.time(),
            "nonce": nonce,  # so the CLI can tell this server from whatever else answers there
        },
    )
    announce_server(settings.data_dir, os.getpid())
    # The commands spelled out for this folder: run without --data-dir they would use another.
    command = f"{command_name()} --data-dir {shlex.quote(str(settings.data_dir.resolve()))}"
    print(f"newsmark {__version__} serving at {url}", file=out)
    print(f"data folder: {settings.data_dir}", file=out)
    # As Jupyter does: the link signs the browser in (and keeps the token out of its address bar).
    print(f"viewer: open {url.rstrip('/')}/?token={token}", file=out)
    print(f"export: {command} export -o coded.json", file=out)
    print(f"API token: {command} token  (send it as 'Authorization: Bearer <token>')", file=out)
    out.flush()


def _close(store: Store, err: TextIO) -> bool:
    """Close the store; if its last compaction fails (a full disk), say what that means."""
    try:
        store.close()
    except StoreUnavailable as exc:
        print(f"newsmark: {exc}", file=err, flush=True)
        return False
    return True


def command_name() -> str:
    """How to run the newsmark command that runs now, from any folder."""
    argv0 = sys.argv[0]
    if os.path.basename(argv0) == "newsmark":
        full = os.path.abspath(argv0)
        found = shutil.which("newsmark")
        return "newsmark" if found and os.path.samefile(found, full) else shlex.quote(full)
    return f"{shlex.quote(sys.executable)} -m newsmark.cli"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
