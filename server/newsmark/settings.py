"""Settings, declared once: name, environment variable, default and help.

Sources, later ones winning: the defaults here, environment variables, command
line flags. A test checks that the README documents every setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from . import contract

DEFAULT_PORT = 7767  # free of the usual development ports (5000, 8000, 8080, 8888)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip().lower() for v in value.split(",") if v.strip())


def _default_data_dir() -> Path:
    return Path(user_data_dir("newsmark", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(
        default_factory=_default_data_dir,
        metadata={"env": "NEWSMARK_DATA_DIR", "help": "where the database and token live"},
    )
    host: str = field(
        default="127.0.0.1",
        metadata={"env": "NEWSMARK_HOST", "help": "address to listen on (loopback by default)"},
    )
    port: int = field(default=DEFAULT_PORT, metadata={"env": "NEWSMARK_PORT", "help": "port to listen on"})
    article_hosts: tuple[str, ...] = field(
        default=contract.DEFAULT_ARTICLE_HOSTS,
        metadata={
            "env": "NEWSMARK_ARTICLE_HOSTS",
            "help": "comma-separated hosts whose https article URLs are accepted",
        },
    )
    allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata={
            "env": "NEWSMARK_ALLOWED_HOSTS",
            "help": "extra names accepted in the Host header, besides localhost, 127.0.0.1, [::1]",
        },
    )
    compact_min_bytes: int = field(
        default=4 * 1024 * 1024,
        metadata={
            "env": "NEWSMARK_COMPACT_MIN_BYTES",
            "help": "journal size that may trigger a compaction (it also waits for the journal "
            "to outgrow the data file)",
        },
    )
    max_import_mb: int = field(
        default=512,
        metadata={
            "env": "NEWSMARK_MAX_IMPORT_MB",
            "help": "largest file POST /api/import accepts, in MiB (other requests: 1 MiB)",
        },
    )
    extension_origins: tuple[str, ...] = field(
        default=(),
        metadata={
            "env": "NEWSMARK_EXTENSION_ORIGINS",
            "help": "comma-separated exact extension origins allowed by CORS; none means any "
            "chrome-extension:// or moz-extension:// origin",
        },
    )

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then environment variables, then ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw:
                values[f.name] = _parse(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    def host_names(self) -> tuple[str, ...]:
        """Every name the Host header may carry."""
        return LOOPBACK_HOSTS + self.allowed_hosts


def _parse(name: str, raw: str) -> Any:
    if name == "data_dir":
        return Path(raw).expanduser()
    if name in ("port", "compact_min_bytes", "max_import_mb"):
        return int(raw)
    if name in ("article_hosts", "allowed_hosts", "extension_origins"):
        return _csv(raw)
    return raw


def setting_docs() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for the CLI's help and the README."""
    rows = []
    for f in fields(Settings):
        default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
        if isinstance(default, tuple):
            default = ",".join(default) or "none"
        rows.append((f.metadata["env"], str(default), f.metadata["help"]))
    return rows
