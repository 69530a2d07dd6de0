"""The viewer: server-rendered pages over the store, at ``/``.

Pages are Jinja templates (every value escaped by autoescaping); the little
script there is (``static/viewer.js``: edit, delete and undo in place, jumping
between highlights) is a file of its own, so the Content Security Policy can
forbid inline script. Edits go through the JSON API with the session cookie
and the CSRF token (see :mod:`.session`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import __version__, browse, contract
from ..highlight import Span, paragraphs
from ..schemas import ViewerQuerySchema, ViewerVersionQuerySchema
from . import charts, service, session
from .jsonio import query

bp = Blueprint(
    "viewer", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)

_query = ViewerQuerySchema()
_version = ViewerVersionQuerySchema()
FILTERS = ("url", "tag", "annotator", "q", "since", "until")
EXPORTS = (
    ("JSON", {"format": "json"}),
    ("JSONL", {"format": "jsonl"}),
    ("CSV", {"format": "csv"}),
    ("CSV for Excel", {"format": "csv", "excel": "true"}),
    ("W3C Web Annotation", {"format": "w3c"}),
    ("Claims × actors (CSV)", {"format": "csv-claims"}),
)


@bp.app_context_processor
def _common() -> dict[str, Any]:
    signed_in = session.current(service().access)
    return {
        # Only a signed-in page gets the CSRF token (an error page may go to anyone).
        "csrf": signed_in.csrf if signed_in else "",
        "signed_in": signed_in is not None,
        "version": __version__,
        "tags": contract.TAGS,
        "max_query": contract.MAX_QUERY,
    }


@bp.get("/")
def annotations() -> str:
    args = _viewer_args()
    store = service().store
    flt = browse.filter_from_query(args)
    page = browse.listing(store, flt, sort=args["sort"], page=args["page"], per_page=args["per"])
    return render_template(
        "annotations.html",
        page=page,
        args=args,
        filters=_filter_values(args),
        articles=browse.article_choices(store),
        coders=browse.coders(store),
        exports=[
            (label, "/api/export?" + urlencode({**_filter_values(args), **extra})) for label, extra in EXPORTS
        ],
        link=lambda **changes: _link("/", args, changes),
        sorts=contract.SORTS,
        per_page=contract.PER_PAGE,
    )


@bp.get("/articles")
def article_list() -> str:
    rows = browse.article_rows(service().store)
    return render_template("articles.html", rows=rows)


def article(key: str) -> str:
    """``key`` is the article id or its URL, as the extension's popup links to it."""
    version = query(_version, drop_empty=True).get("version")
    page = browse.article_page(service().store, key, version)
    text = page.article["text"] if page.article else ""
    spans = [
        Span(p.doc["id"], p.doc["tag"], p.doc["position"]["start"], p.doc["position"]["end"])
        for p in page.annotations
        if p.placed
    ]
    return render_template("article.html", page=page, paragraphs=paragraphs(text, spans))


bp.add_url_rule("/articles/<path:key>", view_func=article, methods=["GET"])


@bp.get("/charts")
def charts_page() -> str:
    args = _viewer_args()
    figures = browse.figures(service().store, browse.filter_from_query(args))
    base = _filter_values(args)

    def link(flt: dict[str, str]) -> str:
        return "/?" + urlencode({**base, **flt})

    tag_class = lambda row: f"tag-{row[0]}"  # noqa: E731
    drawn = {
        "tag": charts.bars(figures.by_tag, title="Annotations per tag", link=link, bar_class=tag_class),
        "article": charts.bars(figures.by_article, title="Annotations per article", link=link),
        "coder": charts.bars(figures.by_coder, title="Annotations per coder", link=link),
        "time": charts.columns(figures.over_time, title=f"Annotations per {figures.per}", link=link),
    }
    return render_template(
        "charts.html",
        figures=figures,
        drawn=drawn,
        args=args,
        filters=base,
        articles=browse.article_choices(service().store),
        coders=browse.coders(service().store),
    )


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> Response | tuple[str, int] | str:
    """The sign-in page; its form takes the token for those without the link."""
    access = service().access
    target = session.safe_next(request.values.get("next"))
    if request.method == "POST":
        if access.token_matches(request.form.get("token", "")):
            return session.sign_in(access, target)
        return signin_page("That token is not this service's token.", target), 401
    return signin_page(None, target)


@bp.post("/signout")
def signout() -> Response:
    """Ends the session on the server too: the cookie, or any copy of it, opens nothing any more."""
    return session.sign_out(service().access, "/signin")


def signin_page(problem: str | None, target: str = "/") -> str:
    return render_template("signin.html", problem=problem, target=target)


def _viewer_args() -> dict[str, Any]:
    # A form sends every field, the empty ones too: an empty field means "any".
    return query(_query, drop_empty=True)


def _filter_values(args: dict[str, Any]) -> dict[str, str]:
    return {k: str(args[k]) for k in FILTERS if args.get(k) is not None}


def _link(path: str, args: dict[str, Any], changes: dict[str, Any]) -> str:
    values = {**_filter_values(args), "sort": args["sort"], "per": args["per"], "page": args["page"]}
    values.update(changes)
    defaults = {"sort": contract.SORTS[0], "per": contract.PER_PAGE[1], "page": 1}
    kept = {k: v for k, v in values.items() if v is not None and v != "" and defaults.get(k) != v}
    return path + ("?" + urlencode(kept) if kept else "")


def quote_in_context(doc: dict[str, Any], context: int = 40, longest: int = 280) -> Markup:
    """The quote, shortened if long, with a little of the text around it (escaped)."""
    quote = doc["quote"]
    exact = quote["exact"]
    if len(exact) > longest:
        exact = exact[: longest // 2] + " … " + exact[-longest // 2 :]
    before = quote["prefix"][-context:]
    after = quote["suffix"][:context]
    return Markup(
        '<span class="ctx">{}</span><mark class="hl tag-{}">{}</mark><span class="ctx">{}</span>'
    ).format(("…" + before) if before else "", doc["tag"], exact, (after + "…") if after else "")


bp.add_app_template_filter(quote_in_context, "in_context")
