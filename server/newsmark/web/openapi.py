"""``GET /api/openapi.json``: the OpenAPI 3 document, generated from the marshmallow schemas."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, jsonify

from .. import __version__, schemas
from .api import ExportQuery

bp = Blueprint("openapi", __name__, url_prefix="/api")

_ERR = {"$ref": "#/components/responses/Error"}


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, **_json(schema)}


_PAGE = {
    "type": "object",
    "required": ["items", "next", "total"],
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Annotation"}},
        "next": {"type": ["string", "null"], "description": "cursor of the next page"},
        "total": {"type": "integer"},
    },
}

_PATHS: dict[str, dict[str, Any]] = {
    "/api/health": {
        "get": {
            "summary": "Whether the service is up (no token needed)",
            "security": [],
            "parameters": [{"in": "query", "schema": "HealthQuery"}],
            "responses": {
                "200": {"description": "status, version and annotation count (with a challenge: proof)"},
                "422": _ERR,
            },
        }
    },
    "/api/annotations": {
        "post": {
            "summary": "Store an annotation (idempotent by id)",
            "requestBody": {"required": True, **_json("AnnotationCreate")},
            "responses": {
                "201": _ok("stored", "Annotation"),
                "200": _ok("the same id and content were stored before", "Annotation"),
                **{code: _ERR for code in ("400", "401", "403", "409", "413", "415", "422")},
            },
        },
        "get": {
            "summary": "List annotations, filtered, a page at a time",
            "parameters": [{"in": "query", "schema": "ListQuery"}],
            "responses": {"200": _ok("a page", _PAGE), "422": _ERR},
        },
    },
    "/api/annotations/{id}": {
        "parameters": [{"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}],
        "get": {
            "summary": "One annotation",
            "responses": {"200": _ok("found", "Annotation"), "404": _ERR},
        },
        "patch": {
            "summary": "Change the tag, the note, and the fields of the tag (attributed_to, entity, value, "
            "value_high, unit, qualifier)",
            "description": "A new tag clears the old tag's fields and fills its own (an actor's entity: its "
            "quote; a figure: parsed from its quote unless the same request gives its fields). An actor that "
            "stops being one is taken out of every claim attributed to it, in the same transaction.",
            "requestBody": {"required": True, **_json("AnnotationPatch")},
            "responses": {"200": _ok("changed", "Annotation"), "404": _ERR, "422": _ERR},
        },
        "delete": {
            "summary": "Delete (into the trash); an actor is taken out of the claims attributed to it",
            "responses": {"204": {"description": "deleted"}, "404": _ERR},
        },
    },
    "/api/annotations/{id}/restore": {
        "parameters": [{"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}],
        "post": {
            "summary": "Undo a delete: the very annotation deleted (same id, times, fields), from the trash",
            "responses": {
                "200": _ok("restored", "Annotation"),
                "404": _ERR,  # not in the trash: never deleted, restored already, or purged (30 days)
                "409": _ERR,  # an annotation with this id is stored again
            },
        },
    },
    "/api/articles": {
        "post": {
            "summary": "Keep a snapshot of an article (a new version if its text is new)",
            "requestBody": {"required": True, **_json("ArticlePost")},
            "responses": {
                "201": _ok("a new version was added", "Article"),
                "200": _ok("the text was known", "Article"),
                **{code: _ERR for code in ("400", "401", "403", "413", "415", "422")},
            },
        },
        "get": {
            "summary": "Articles coded, with counts per tag",
            "parameters": [{"in": "query", "schema": "PageQuery"}],
            "responses": {"200": {"description": "a page of articles"}},
        },
    },
    "/api/articles/lookup": {
        "post": {
            "summary": "Which of a listing page's article URLs were seen, and their counts per tag",
            "description": "Each URL is normalised as at create (no query, no fragment), so "
            "…/index.html?x=1#y finds the article stored at …/index.html. Reads only.",
            "requestBody": {"required": True, **_json("ArticleLookup")},
            "responses": {
                "200": _ok("one entry per URL, keyed by the URL as sent", "ArticleLookupAnswer"),
                **{code: _ERR for code in ("400", "401", "403", "413", "415", "422")},
            },
        }
    },
    "/api/articles/{key}": {
        "parameters": [
            {
                "in": "path",
                "name": "key",
                "required": True,
                "description": "article id, or the article URL",
                "schema": {"type": "string"},
            }
        ],
        "get": {
            "summary": "One article: the latest version, or ?version=",
            "parameters": [{"in": "query", "schema": "VersionQuery"}],
            "responses": {"200": _ok("the article", "Article"), "404": _ERR},
        },
    },
    "/api/entities": {
        "get": {
            "summary": "The study's actors by entity: counts, aliases, claims attributed, articles",
            "parameters": [{"in": "query", "schema": "EntitiesQuery"}],
            "responses": {"200": _ok("the entities, the most frequent first", "Entities"), "422": _ERR},
        }
    },
    "/api/entities/rename": {
        "post": {
            "summary": "Rename or merge entities: every actor carrying one of from gets to, at once",
            "parameters": [{"in": "query", "schema": "EntityRenameQuery"}],
            "requestBody": {"required": True, **_json("EntityRename")},
            "responses": {
                "200": _ok("what was (or, with dry_run, would be) changed", "EntityRenameReport"),
                "404": _ERR,  # no actor carries any of the names in from
                **{code: _ERR for code in ("400", "401", "403", "413", "415", "422")},
            },
        }
    },
    "/api/import": {
        "post": {
            "summary": "Merge a JSON export or W3C Web Annotations (all or nothing; idempotent)",
            "parameters": [{"in": "query", "schema": "ImportQuery"}],
            "requestBody": {
                "required": True,
                "description": "a JSON export (schemas/export.schema.json) or W3C Web Annotations: an "
                "AnnotationCollection with embedded pages, an AnnotationPage, an Annotation or a list",
                **_json({"type": ["object", "array"]}),
            },
            "responses": {
                "200": _ok("what was (or, with dry_run, would be) added, updated, kept", "ImportReport"),
                **{code: _ERR for code in ("400", "401", "403", "413", "415", "422")},
            },
        }
    },
    "/api/export": {
        "get": {
            "summary": "Export annotations with their articles",
            "description": "json (schemas/export.schema.json), jsonl, csv and w3c hold one record per "
            "annotation; csv-claims one row per claim and actor it is attributed to (a claim attributed "
            "to no one: one row, actor cells empty). The filters select the annotations (for csv-claims, "
            "the claims).",
            "parameters": [{"in": "query", "schema": "ExportQuery"}],
            "responses": {
                "200": {
                    "description": "the export, streamed",
                    "headers": {
                        "Content-Disposition": {
                            "description": 'attachment; filename="newsmark-export-<UTC time>.<json|jsonl|csv|'
                            'jsonld>" (w3c is JSON-LD: .jsonld); for csv-claims '
                            'filename="newsmark-claims-<UTC time>.csv"',
                            "schema": {"type": "string"},
                        },
                        "X-Newsmark-Total": {
                            "description": "how many annotations the export holds (csv-claims: claims)",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        "X-Newsmark-Skipped-Damaged": {
                            "description": "with skip_damaged: how many damaged documents were left out",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                    },
                },
                "503": _ERR,  # damaged_data: a document the export needs is damaged
            },
        }
    },
    "/api/damaged": {
        "get": {
            "summary": "Documents of the data file that are not valid JSON, and where each lives",
            "responses": {
                "200": {
                    "description": "{damaged: [{table, doc_id, id, file, line, reason}], documents: count}"
                }
            },
        }
    },
}


@cache
def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="newsmark",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        security=[{"token": []}],
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    for name, schema in (
        ("Annotation", schemas.AnnotationSchema),
        ("AnnotationCreate", schemas.AnnotationCreateSchema),
        ("AnnotationPatch", schemas.AnnotationPatchSchema),
        ("Article", schemas.ArticleSchema),
        ("ArticlePost", schemas.ArticlePostSchema),
        ("ArticleLookup", schemas.ArticleLookupSchema),
        ("ArticleLookupAnswer", schemas.ArticleLookupAnswerSchema),
        ("Error", schemas.ErrorSchema),
        ("ImportReport", schemas.ImportReportSchema),
        ("Entities", schemas.EntitiesSchema),
        ("EntityRename", schemas.EntityRenameSchema),
        ("EntityRenameReport", schemas.EntityRenameReportSchema),
    ):
        spec.components.schema(name, schema=schema)
    spec.components.response("Error", _ok("the error, its reason and the fields at fault", "Error"))
    query_schemas = {
        "ListQuery": schemas.ListQuerySchema,
        "PageQuery": schemas.PageQuerySchema,
        "VersionQuery": schemas.VersionQuerySchema,
        "ExportQuery": ExportQuery,
        "HealthQuery": schemas.HealthQuerySchema,
        "ImportQuery": schemas.ImportQuerySchema,
        "EntitiesQuery": schemas.EntitiesQuerySchema,
        "EntityRenameQuery": schemas.EntityRenameQuerySchema,
    }
    for path, operations in copy.deepcopy(_PATHS).items():
        for op in operations.values():
            if isinstance(op, dict):
                for param in op.get("parameters", []):
                    if isinstance(param.get("schema"), str) and param["in"] == "query":
                        param["schema"] = query_schemas[param["schema"]]
        shared = operations.pop("parameters", None)
        spec.path(path=path, operations=operations, parameters=shared)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(build_spec())
