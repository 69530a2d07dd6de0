"""A line of newsmark.json damaged by hand: no answer, export or page ever carries it as valid.

Every read path checks before it answers: the API and the viewer say 503 damaged_data and
name the document, the CLI exits 1 naming it and where it lives, and writes no file.
``newsmark check`` lists the damage; ``export --skip-damaged`` exports the rest, naming
what it left out, and that export imports.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from helpers import ARTICLE_URL, TOKEN, ServerProcess, body, validate
from newsmark import annotations
from newsmark.annotations import Rules
from newsmark.cli import main
from newsmark.schemas import AnnotationCreateSchema
from newsmark.settings import Settings
from newsmark.storage import DamagedDocument, dumps_docs
from newsmark.store import AnnotationFilter, Store
from newsmark.web import create_app

OTHER = "https://lite.cnn.com/2024/02/03/world/other-story"
OTHER_TEXT = "Officials said 12 people were hurt."
FORMATS = [("json", []), ("jsonl", []), ("csv", []), ("csv", ["--excel"]), ("w3c", [])]


class Damaged:
    """A closed data folder of four annotations, one of whose lines is no longer JSON."""

    def __init__(self, data_dir: Path) -> None:
        made = [
            body("Joe Biden", tag="actor", note="President"),
            body("85 targets", tag="figure"),
            body("Lloyd Austin", tag="actor", annotator="coder-b"),
            body("12 people", tag="figure", url=OTHER, text=OTHER_TEXT),
        ]
        with Store(data_dir) as store:
            for data in made:
                annotations.create(store, AnnotationCreateSchema().load(data), Rules())
        self.data_dir = data_dir
        self.file = data_dir / "newsmark.json"
        self.id = made[0]["id"]
        self.good = [d["id"] for d in made[1:]]
        lines = self.file.read_bytes().split(b"\n")
        [self.line] = [n for n, line in enumerate(lines, 1) if f'"id":"{self.id}"'.encode() in line]
        broken = lines[self.line - 1].replace(b'"note":"President"', b'"note":"President')
        assert broken != lines[self.line - 1]
        lines[self.line - 1] = broken  # still one line from { to }: the file is read as before
        self.file.write_bytes(b"\n".join(lines))

    @property
    def where(self) -> str:
        return f"{self.file}, line {self.line}"

    def named_in(self, text: str) -> bool:
        return self.id in text and self.where in text


@pytest.fixture
def damaged(data_dir: Path) -> Damaged:
    return Damaged(data_dir)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- over HTTP: the API and the viewer ------------------------------------------------------

REFUSED = [
    "/api/annotations",
    "/api/annotations?limit=1",
    f"/api/annotations?url={ARTICLE_URL}",
    "/api/annotations?tag=actor",
    "/api/annotations?q=president",
    "/api/export",
    "/api/export?format=jsonl",
    "/api/export?format=csv",
    "/api/export?format=csv&excel=true",
    "/api/export?format=w3c",
    f"/api/export?format=json&url={ARTICLE_URL}",
    "/api/stats",
]
VIEWER_PAGES = ["/", "/charts", "/articles", f"/articles/{ARTICLE_URL}", "/?tag=actor"]


def test_every_read_over_http_is_a_clear_503_before_any_byte(damaged, tmp_path, capsys):
    server = ServerProcess(damaged.data_dir).start()
    try:
        s = server.session()
        for path in [*REFUSED, f"/api/annotations/{damaged.id}"]:
            r = s.get(server.url + path)
            assert r.status_code == 503, (path, r.status_code, r.text[:200])
            error = r.json()["error"]  # a whole JSON answer, never a cut body
            assert error["code"] == "damaged_data" and damaged.named_in(error["message"]), path
            assert "newsmark check" in error["message"]
        # What does not touch the damaged document still answers.
        assert s.get(f"{server.url}/api/health").status_code == 200
        assert [
            a["id"] for a in s.get(f"{server.url}/api/annotations", params={"url": OTHER}).json()["items"]
        ] == [damaged.good[-1]]
        assert s.get(f"{server.url}/api/annotations/{damaged.good[0]}").status_code == 200

        viewer = requests.Session()
        assert viewer.get(server.viewer_link, allow_redirects=False).status_code in (302, 303)  # signs in
        for page in VIEWER_PAGES:
            r = viewer.get(server.url + page)
            assert r.status_code == 503 and r.headers["Content-Type"].startswith("text/html"), page
            assert damaged.named_in(r.text), page

        # The server's GET /api/damaged is what newsmark check shows.
        found = s.get(f"{server.url}/api/damaged").json()
        assert [(d["table"], d["id"], d["line"]) for d in found["damaged"]] == [
            ("annotations", damaged.id, damaged.line)
        ]

        # The CLI through the server: exit 1, the document named, no file.
        folder = str(damaged.data_dir)
        for fmt, extra in FORMATS:
            out = tmp_path / f"remote.{fmt}"
            code, stdout, err = run(
                capsys, "export", "--format", fmt, *extra, "-o", str(out), "--data-dir", folder
            )
            assert code == 1 and damaged.named_in(err) and "503" in err, err
            assert not out.exists() and not list(tmp_path.glob("*.part"))
        code, stdout, _ = run(capsys, "--data-dir", folder, "check")
        assert code == 1 and damaged.named_in(stdout)
        rest = tmp_path / "rest.json"
        code, _, err = run(capsys, "export", "--skip-damaged", "-o", str(rest), "--data-dir", folder)
        assert code == 0 and "skipped 1 damaged document(s)" in err and damaged.named_in(err), err
        assert [a["id"] for a in json.loads(rest.read_bytes())["annotations"]] == damaged.good
    finally:
        server.stop()


# -- the CLI on the folder itself -----------------------------------------------------------


@pytest.mark.parametrize(("fmt", "extra"), FORMATS)
def test_cli_export_exits_1_naming_the_document_and_writes_no_file(capsys, damaged, tmp_path, fmt, extra):
    out = tmp_path / f"codes.{fmt}"
    folder = str(damaged.data_dir)
    code, stdout, err = run(capsys, "export", "--format", fmt, *extra, "-o", str(out), "--data-dir", folder)
    assert code == 1 and damaged.named_in(err), err
    assert "newsmark check" in err and "--skip-damaged" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    code, stdout, err = run(capsys, "export", "--format", fmt, *extra, "--data-dir", folder)
    assert code == 1 and stdout == "" and damaged.named_in(err)


def test_cli_stats_names_the_document(capsys, damaged):
    code, _, err = run(capsys, "stats", "--data-dir", str(damaged.data_dir))
    assert code == 1 and damaged.named_in(err)


def test_check_lists_the_damage_and_says_how_to_recover(capsys, damaged, data_dir):
    code, out, _ = run(capsys, "check", "--data-dir", str(data_dir))
    assert code == 1
    assert damaged.named_in(out) and "damaged:      1 document(s)" in out and "To recover" in out
    assert "--skip-damaged" in out


def test_check_of_a_sound_folder_exits_0(capsys, tmp_path):
    folder = tmp_path / "sound"
    with Store(folder) as store:
        annotations.create(store, AnnotationCreateSchema().load(body("Joe Biden")), Rules())
    code, out, _ = run(capsys, "check", "--data-dir", str(folder))
    assert code == 0 and "no damaged documents" in out and "documents:    3 read" in out


def test_export_skipping_damage_names_it_and_imports_into_a_new_folder(capsys, damaged, tmp_path):
    rest = tmp_path / "rest.json"
    folder = str(damaged.data_dir)
    code, _, err = run(capsys, "export", "--skip-damaged", "-o", str(rest), "--data-dir", folder)
    assert code == 0 and "skipped 1 damaged document(s), not in the export" in err and damaged.named_in(err)
    exported = json.loads(rest.read_bytes())
    validate(exported, "export")
    assert [a["id"] for a in exported["annotations"]] == damaged.good
    fresh = tmp_path / "fresh"
    code, out, err = run(capsys, "import", str(rest), "--data-dir", str(fresh))
    assert code == 0 and "3 added" in out, err
    with Store(fresh) as store:
        assert store.damaged() == [] and store.count_annotations() == 3
    for fmt, extra in FORMATS:
        code, stdout, err = run(
            capsys, "export", "--skip-damaged", "--format", fmt, *extra, "--data-dir", folder
        )
        assert code == 0 and damaged.id not in stdout and all(i in stdout for i in damaged.good), fmt


def test_a_damaged_article_is_refused_too_and_skipped_when_asked(data_dir):
    Damaged(data_dir)
    lines = (data_dir / "newsmark.json").read_bytes().split(b"\n")
    first = lines.index(b'"articles":{') + 1
    n = next(n for n in range(first, len(lines)) if ARTICLE_URL.encode() in lines[n])
    lines[n] = lines[n].replace(b'"title":"', b'"title":', 1)  # the article of the first URL
    (data_dir / "newsmark.json").write_bytes(b"\n".join(lines))
    with Store(data_dir) as store:
        tables = sorted(d.table for d in store.damaged())
        assert tables == ["annotations", "articles"]
        c = create_app(Settings(data_dir=data_dir), store, TOKEN).test_client()
        c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        r = c.get("/api/export")
        assert r.status_code == 503 and "of table 'articles'" in r.get_json()["error"]["message"]
        r = c.get("/api/export?skip_damaged=true")
        assert r.status_code == 200 and r.headers["X-Newsmark-Skipped-Damaged"] == "2"
        exported = json.loads(r.data)
        assert [a["url"] for a in exported["articles"]] == [OTHER]
        assert len(exported["annotations"]) == 3


def test_the_check_after_open_finds_the_damage_and_pages_still_refuse_it(damaged):
    """A store checks every loaded document once, soon after it opens; then pages cost no parse."""
    with Store(damaged.data_dir) as store:
        docs = store.annotations._read_table()
        deadline = time.monotonic() + 30
        while not docs._checked and time.monotonic() < deadline:
            time.sleep(0.01)
        assert docs._checked
        assert [(d.table, d.ident, d.line) for d in store.damaged()] == [
            ("annotations", damaged.id, damaged.line)
        ]
        with pytest.raises(DamagedDocument) as refused:
            store.page_annotations(AnnotationFilter(url=ARTICLE_URL), limit=10)
        assert damaged.named_in(str(refused.value))
        items, _, total = store.page_annotations(AnnotationFilter(url=OTHER), limit=10)
        assert total == 1 and json.loads(dumps_docs(items))[0]["id"] == damaged.good[-1]


def test_a_store_closed_at_once_stops_its_check(damaged):
    store = Store(damaged.data_dir)
    store.close()  # joins the check, which stops at its next slice
    assert store._checker is not None and not store._checker.is_alive()
