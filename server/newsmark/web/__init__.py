"""The Flask application: the JSON API and the viewer over the store, behind the security checks."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .. import contract
from ..annotations import Rules
from ..settings import Settings
from ..store import Store


@dataclass(frozen=True)
class Service:
    """What every request handler needs, kept on the app."""

    store: Store
    settings: Settings
    token: str
    rules: Rules
    #: This start's secret from server.json: /api/health proves it knows it (see datafolder.nonce_proof).
    nonce: str | None = None


def create_app(settings: Settings, store: Store, token: str, *, nonce: str | None = None) -> Flask:
    """Build the app for an open store. The caller owns the store and closes it."""
    from . import api, errors, jsonio, openapi, security, viewer

    app = Flask("newsmark", static_folder=None)  # the viewer blueprint serves its own
    app.config["MAX_CONTENT_LENGTH"] = contract.MAX_BODY_BYTES
    app.json = jsonio.OrjsonProvider(app)
    app.url_map.merge_slashes = False  # article URLs may sit in a path: keep their "//"
    app.extensions["newsmark"] = Service(store, settings, token, Rules(settings.article_hosts), nonce)
    security.init_app(app, settings, token)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(viewer.bp)
    return app


def service() -> Service:
    return current_app.extensions["newsmark"]
