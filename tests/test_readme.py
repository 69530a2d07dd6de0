"""The README is the user's manual: its commands, settings and contract must stay true."""

from __future__ import annotations

import re

from helpers import ROOT
from newsmark import contract
from newsmark.settings import DEFAULT_PORT, setting_docs

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_two_commands_that_exist():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["scripts/serve", "scripts/test"]
    for command in commands:
        assert (ROOT / command).is_file()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci


def test_every_setting_is_documented():
    for env, default, _ in setting_docs():
        assert f"`{env}`" in README, f"{env} is missing from the README"
        if env != "NEWSMARK_DATA_DIR":
            assert re.search(rf"`{env}` \| `?{re.escape(default)}`? \|", README), f"{env}'s default differs"


def test_default_port_and_limits_are_the_codes():
    assert f"127.0.0.1:{DEFAULT_PORT}" in README
    for limit in (contract.MAX_EXACT, contract.MAX_NOTE, contract.MAX_URL, contract.MAX_ARTICLE_TEXT):
        assert f"{limit:,}" in README
    for tag in contract.TAGS:
        assert f"**{tag}**" in README
