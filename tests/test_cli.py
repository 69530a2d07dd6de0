"""The newsmark command without a running server: token, export, stats, and its errors."""

from __future__ import annotations

import json

import pytest

from helpers import ARTICLE_URL, body, validate
from newsmark import annotations, contract
from newsmark.annotations import Rules
from newsmark.cli import main
from newsmark.schemas import AnnotationCreateSchema
from newsmark.settings import DEFAULT_PORT, Settings
from newsmark.store import Store

OTHER = "https://lite.cnn.com/2024/02/03/world/other-story"


@pytest.fixture
def filled(data_dir):
    """A closed data folder with three annotations over two articles."""
    made = [
        body("Joe Biden", tag="actor"),
        body("85 targets", tag="figure", note="a count"),
        body("12 people", tag="figure", url=OTHER, text="Officials said 12 people were hurt."),
    ]
    with Store(data_dir) as store:
        for data in made:
            annotations.create(store, AnnotationCreateSchema().load(data), Rules())
    return made


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_token_is_made_once_and_printed(capsys, data_dir):
    code, first, _ = run(capsys, "token", "--data-dir", str(data_dir))
    assert code == 0 and len(first.strip()) >= 40
    assert run(capsys, "token", "--data-dir", str(data_dir))[1] == first


def test_data_dir_from_the_environment(capsys, data_dir, monkeypatch):
    monkeypatch.setenv("NEWSMARK_DATA_DIR", str(data_dir))
    code, out, _ = run(capsys, "token")
    assert code == 0 and (data_dir / "token").read_text().strip() == out.strip()


def test_export_to_file_with_filters(capsys, data_dir, filled, tmp_path):
    out_file = tmp_path / "all.json"
    code, _, err = run(capsys, "export", "--format", "json", "-o", str(out_file), "--data-dir", str(data_dir))
    assert code == 0 and "wrote" in err
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    validate(doc, "export")
    assert [a["id"] for a in doc["annotations"]] == [d["id"] for d in filled]
    assert not list(tmp_path.glob("*.part")), "no temporary file left behind"

    code, out, _ = run(capsys, "export", "--tag", "figure", "--url", OTHER, "--data-dir", str(data_dir))
    doc = json.loads(out)
    assert [a["id"] for a in doc["annotations"]] == [filled[2]["id"]]
    assert [a["url"] for a in doc["articles"]] == [OTHER]
    code, out, _ = run(capsys, "export", "-q", "A COUNT", "--data-dir", str(data_dir))
    assert [a["id"] for a in json.loads(out)["annotations"]] == [filled[1]["id"]]


def test_export_by_date_range(capsys, data_dir, monkeypatch):
    days = iter(["2024-02-01T09:00:00.000Z", "2024-02-02T23:59:59.999Z", "2024-02-03T00:00:00.000Z"])
    monkeypatch.setattr(contract, "utc_now", lambda: next(days))
    with Store(data_dir) as store:
        made = [
            annotations.create(store, AnnotationCreateSchema().load(body(exact)), Rules())[0]
            for exact in ("Joe Biden", "85 targets", "Lloyd Austin")
        ]
    args = ("export", "--format", "jsonl", "--data-dir", str(data_dir))
    code, out, _ = run(capsys, *args, "--since", "2024-02-02", "--until", "2024-02-02")
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [made[1]["id"]]
    code, out, _ = run(capsys, *args, "--since", "2024-02-02")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [made[1]["id"], made[2]["id"]]
    code, _, err = run(capsys, *args, "--since", "2024-02-03", "--until", "2024-02-01")
    assert code == 1 and "--until" in err
    with pytest.raises(SystemExit) as exited:
        main([*args, "--since", "20240203"])
    assert exited.value.code == 2 and "--since" in capsys.readouterr().err


def test_export_refuses_a_bad_url(capsys, data_dir, filled):
    code, _, err = run(capsys, "export", "--url", "not a url", "--data-dir", str(data_dir))
    assert code == 1 and "--url" in err


def test_stats(capsys, data_dir, filled):
    code, out, _ = run(capsys, "stats", "--data-dir", str(data_dir))
    assert code == 0
    assert "annotations:  3" in out and "figure      2" in out and "articles:     2 (2 versions)" in out


def test_folder_held_by_another_process_is_a_clear_error(capsys, data_dir, filled):
    with Store(data_dir):  # as a server would hold it, but with no server.json to reach it by
        code, _, err = run(capsys, "stats", "--data-dir", str(data_dir))
    assert code == 1 and "in use" in err and "--data-dir" in err


def test_settings_defaults_and_environment(monkeypatch, tmp_path):
    assert Settings().port == DEFAULT_PORT and Settings().host == "127.0.0.1"
    assert DEFAULT_PORT not in (5000, 8000, 8080, 8888)
    monkeypatch.setenv("NEWSMARK_ARTICLE_HOSTS", "lite.cnn.com, Example.org")
    monkeypatch.setenv("NEWSMARK_PORT", "7800")
    s = Settings.from_env(data_dir=tmp_path)
    assert s.article_hosts == ("lite.cnn.com", "example.org") and s.port == 7800 and s.data_dir == tmp_path


def test_article_hosts_setting_decides_what_is_accepted(data_dir):
    data = AnnotationCreateSchema().load(body("Joe Biden", url="https://example.org/2024/story"))
    with Store(data_dir) as store:
        with pytest.raises(annotations.Invalid):
            annotations.create(store, data, Rules())
        stored, created = annotations.create(store, data, Rules(article_hosts=("example.org",)))
        assert created and stored["url"] == "https://example.org/2024/story"
    assert ARTICLE_URL.startswith("https://lite.cnn.com/")


def test_unreadable_data_file_is_a_clear_error_and_left_alone(capsys, data_dir):
    data_dir.mkdir()
    damaged = b'{"annotations": {"1": {"id": '
    (data_dir / "newsmark.json").write_bytes(damaged)
    code, _, err = run(capsys, "stats", "--data-dir", str(data_dir))
    assert code == 1 and "not a readable TinyDB JSON file" in err
    assert (data_dir / "newsmark.json").read_bytes() == damaged
    code, _, err = run(capsys, "serve", "--port", "0", "--data-dir", str(data_dir))
    assert code == 1 and "restore it from a backup" in err
