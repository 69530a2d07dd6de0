"""The Flask application: the JSON API and the viewer over the store, behind the security checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from .. import contract
from ..annotations import Rules
from ..settings import Settings
from ..store import Store
from .access import Access


@dataclass(frozen=True)
class Service:
    """What every request handler needs, kept on the app."""

    store: Store
    settings: Settings
    access: Access
    rules: Rules
    #: This start's secret from server.json: /api/health proves it knows it (see datafolder.nonce_proof).
    nonce: str | None = None


def create_app(
    settings: Settings,
    store: Store,
    token: str,
    token_file: Path | None = None,
    *,
    nonce: str | None = None,
) -> Flask:
    """Build the app for an open store. The caller owns the store and closes it.

    With ``token_file``, the token is what that file holds at each request (see :mod:`.access`).
    """
    from . import api, errors, jsonio, openapi, security, viewer

    app = Flask("newsmark", static_folder=None)  # the viewer blueprint serves its own
    app.config["MAX_CONTENT_LENGTH"] = contract.MAX_BODY_BYTES
    app.json = jsonio.OrjsonProvider(app)
    app.url_map.merge_slashes = False  # article URLs may sit in a path: keep their "//"
    access = Access(token, token_file)
    app.extensions["newsmark"] = Service(store, settings, access, Rules(settings.article_hosts), nonce)
    security.init_app(app, settings, access)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(viewer.bp)
    return app


def service() -> Service:
    return current_app.extensions["newsmark"]
