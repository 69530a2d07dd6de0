"""The JSON API under ``/api``."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request
from marshmallow import fields, validate

from .. import __version__, annotations, articles, entities, export, importing
from ..browse import filter_from_query
from ..datafolder import nonce_proof
from ..schemas import (
    AnnotationCreateSchema,
    AnnotationPatchSchema,
    ArticleLookupSchema,
    ArticlePostSchema,
    EntitiesQuerySchema,
    EntityRenameQuerySchema,
    EntityRenameSchema,
    ExportQuerySchema,
    HealthQuerySchema,
    ImportQuerySchema,
    ListQuerySchema,
    PageQuerySchema,
    VersionQuerySchema,
)
from . import service
from .jsonio import json_body, json_stream, query

bp = Blueprint("api", __name__, url_prefix="/api")


class ExportQuery(ExportQuerySchema):
    """The export's query: the list's filters, and every format the export writes (csv-claims too)."""

    format = fields.Str(load_default="json", validate=validate.OneOf(export.ALL_FORMATS))
    excel = fields.Bool(
        load_default=False,
        metadata={"description": "csv, csv-claims: a byte order mark first, formula-like text cells quoted"},
    )


_create = AnnotationCreateSchema()
_patch = AnnotationPatchSchema()
_article = ArticlePostSchema()
_lookup = ArticleLookupSchema()
_list = ListQuerySchema()
_export = ExportQuery()
_page = PageQuerySchema()
_version = VersionQuerySchema()
_import = ImportQuerySchema()
_health = HealthQuerySchema()
_entities = EntitiesQuerySchema()
_rename = EntityRenameSchema()
_rename_query = EntityRenameQuerySchema()


@bp.get("/health")
def health() -> Response:
    """Whether the service is up; needs no token and says nothing more.

    With ``?challenge=``, also the proof that this is the server of the data folder whose
    server.json the caller read (an HMAC of the challenge keyed by this start's nonce):
    the CLI checks it before it sends the token to the recorded address.
    """
    svc = service()
    args = query(_health)
    answer = {"status": "ok", "version": __version__, "annotations": svc.store.count_annotations()}
    if "challenge" in args and svc.nonce is not None:
        answer["proof"] = nonce_proof(svc.nonce, args["challenge"])
    return jsonify(answer)


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
    return jsonify(
        annotations.page(service().store, filter_from_query(args), args["limit"], args.get("cursor"))
    )


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


@bp.post("/annotations/<annotation_id>/restore")
def restore_annotation(annotation_id: str) -> Response:
    """Undo a delete: the very annotation that was deleted, back from the trash."""
    return jsonify(annotations.restore(service().store, annotation_id))


@bp.get("/entities")
def list_entities() -> Response:
    """The study's actors by entity, with counts and aliases, the most frequent first."""
    args = query(_entities)
    return jsonify(entities.listing(service().store, args.get("q")))


@bp.post("/entities/rename")
def rename_entities() -> Response:
    """Rename (or merge) entities: every actor carrying one of ``from`` gets ``to``, atomically."""
    args = query(_rename_query)
    data = _rename.load(json_body())
    return jsonify(entities.rename(service().store, data["from_"], data["to"], dry_run=args["dry_run"]))


@bp.post("/articles")
def post_article() -> tuple[Response, int]:
    """A snapshot of an article seen (e.g. edited since it was coded): 201 if its text is new."""
    svc = service()
    data = _article.load(json_body())
    url = data.pop("url")
    article, added = articles.record(svc.store, url, data, svc.rules.article_hosts)
    return jsonify(article), 201 if added else 200


@bp.post("/articles/lookup")
def lookup_articles() -> Response:
    """Whether each of a listing page's article URLs was seen, and its counts per tag.

    A POST, not a GET: 200 URLs do not fit in a query string. It reads, never writes.
    """
    sent = json_body()
    urls = _lookup.load(sent)["urls"]
    # Loaded without error, so ``sent["urls"]`` is a list of strings, in the same order.
    return jsonify(articles.lookup(service().store, list(zip(sent["urls"], urls, strict=True))))


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
    # The snapshot is taken now, before the response starts, so the total is its count
    # and a damaged document is a 503 before the first byte (see errors.py), never a cut body.
    total, chunks, skipped = export.prepare(
        service().store,
        filter_from_query(args),
        fmt,
        excel=args["excel"],
        skip_damaged=args["skip_damaged"],
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    response = Response(chunks, content_type=export.MEDIA_TYPES[fmt])
    name = export.file_name(fmt, stamp)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers[export.TOTAL_HEADER] = str(total)  # for a progress bar (the body's length is not known)
    if args["skip_damaged"]:
        response.headers[export.SKIPPED_HEADER] = str(len(skipped))  # which: GET /api/damaged
    return response


@bp.get("/damaged")
def damaged_documents() -> Response:
    """The documents of the data file that are not valid JSON, and where each lives (``newsmark check``)."""
    store = service().store
    found = store.damaged()
    return jsonify({"damaged": [d.as_dict() for d in found], "documents": store.document_count()})


@bp.post("/import")
def import_file() -> Response:
    """Merge a JSON export or W3C Web Annotations: all of it, or (422) nothing."""
    svc = service()
    args = query(_import)
    # Only this route takes big bodies: a study's export. The token was checked before
    # any of the body is read (security.py), so no one else can make the server read it.
    request.max_content_length = svc.settings.max_import_mb * 1024 * 1024
    # Read as it arrives, never whole: see importing.parse_file.
    return jsonify(importing.run_file(svc.store, json_stream(), dry_run=args["dry_run"]))
