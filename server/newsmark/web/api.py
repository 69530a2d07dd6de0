"""The JSON API under ``/api``."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify

from .. import __version__, annotations, articles, export
from ..schemas import (
    AnnotationCreateSchema,
    AnnotationPatchSchema,
    ArticlePostSchema,
    ExportQuerySchema,
    ListQuerySchema,
    PageQuerySchema,
    VersionQuerySchema,
)
from ..store import AnnotationFilter
from . import service
from .jsonio import json_body, query

bp = Blueprint("api", __name__, url_prefix="/api")

_create = AnnotationCreateSchema()
_patch = AnnotationPatchSchema()
_article = ArticlePostSchema()
_list = ListQuerySchema()
_export = ExportQuerySchema()
_page = PageQuerySchema()
_version = VersionQuerySchema()


@bp.get("/health")
def health() -> Response:
    """Whether the service is up; needs no token and says nothing more."""
    svc = service()
    return jsonify({"status": "ok", "version": __version__, "annotations": svc.store.count_annotations()})


@bp.get("/stats")
def stats() -> Response:
    """Counts for ``newsmark stats`` while the server holds the data folder."""
    return jsonify(service().store.stats())


@bp.post("/annotations")
def create_annotation() -> tuple[Response, int]:
    svc = service()
    data = _create.load(json_body())
    doc, created = annotations.create(svc.store, data, svc.rules)
    return jsonify(doc), 201 if created else 200


@bp.get("/annotations")
def list_annotations() -> Response:
    args = query(_list)
    return jsonify(annotations.page(service().store, _filter(args), args["limit"], args.get("cursor")))


@bp.get("/annotations/<annotation_id>")
def get_annotation(annotation_id: str) -> Response:
    return jsonify(annotations.get(service().store, annotation_id))


@bp.patch("/annotations/<annotation_id>")
def patch_annotation(annotation_id: str) -> Response:
    changes = _patch.load(json_body())
    return jsonify(annotations.update(service().store, annotation_id, changes))


@bp.delete("/annotations/<annotation_id>")
def delete_annotation(annotation_id: str) -> tuple[str, int]:
    annotations.delete(service().store, annotation_id)
    return "", 204


@bp.post("/articles")
def post_article() -> tuple[Response, int]:
    """A snapshot of an article seen (e.g. edited since it was coded): 201 if its text is new."""
    svc = service()
    data = _article.load(json_body())
    url = data.pop("url")
    article, added = articles.record(svc.store, url, data, svc.rules.article_hosts)
    return jsonify(article), 201 if added else 200


@bp.get("/articles")
def list_articles() -> Response:
    args = query(_page)
    return jsonify(articles.page(service().store, args["limit"], args.get("cursor")))


def get_article(key: str) -> Response:
    """``key`` is the article id or its URL (which may keep its "//" in the path)."""
    args = query(_version)
    return jsonify(articles.view(service().store, key, args.get("version")))


bp.add_url_rule("/articles/<path:key>", view_func=get_article, methods=["GET"])


@bp.get("/export")
def export_annotations() -> Response:
    args = query(_export)
    fmt = args["format"]
    # The snapshot is taken now, before the response starts, so the total is its count.
    total, chunks = export.prepare(service().store, _filter(args), fmt, excel=args["excel"])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    response = Response(chunks, content_type=export.MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="newsmark-export-{stamp}.{fmt}"'
    response.headers[export.TOTAL_HEADER] = str(total)  # for a progress bar (the body's length is not known)
    return response


def _filter(args: dict) -> AnnotationFilter:
    return AnnotationFilter(
        url=args.get("url"), tag=args.get("tag"), annotator=args.get("annotator"), q=args.get("q")
    )
