"""Configuration, layered: defaults → a TOML file → ``KONGRES_*`` environment variables.

The file is ``kongres.toml`` in the working directory, or the path in ``KONGRES_CONFIG``.
Every key can be set in the file (``database_url = "..."``) or in the environment
(``KONGRES_DATABASE_URL=...``); the environment wins. Secrets belong in the environment.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "debug": False,
    "data_dir": "var",
    "database_url": "",  # empty: SQLite in data_dir
    "secret_key": "",  # empty: generated once and kept in data_dir
    "allowed_hosts": ["127.0.0.1", "localhost", "[::1]"],
    "site_url": "http://127.0.0.1:8000",
    "mail_url": "",  # smtp://user:password@host:port, console:, file:/path; empty: file in data_dir
    "mail_from": "kongres <noreply@localhost>",
    "time_zone": "Europe/Warsaw",
    "cache_url": "",  # redis://127.0.0.1:6379/0; empty: local memory
}

BOOLEANS = {"debug"}
LISTS = {"allowed_hosts"}


class ConfigError(Exception):
    pass


def _coerce(key: str, value: Any) -> Any:
    if key in BOOLEANS and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"KONGRES_{key.upper()} must be true or false, not {value!r}")
    if key in LISTS and isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the configuration as a plain dict of the keys in ``DEFAULTS``."""
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)

    path = Path(environ.get("KONGRES_CONFIG", "kongres.toml"))
    if path.is_file():
        try:
            with path.open("rb") as handle:
                from_file = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from error
        unknown = set(from_file) - set(DEFAULTS)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
        config.update({key: _coerce(key, value) for key, value in from_file.items()})
    elif "KONGRES_CONFIG" in environ:
        raise ConfigError(f"KONGRES_CONFIG names {path}, which does not exist")

    for key in DEFAULTS:
        env_key = f"KONGRES_{key.upper()}"
        if env_key in environ:
            config[key] = _coerce(key, environ[env_key])

    config["data_dir"] = Path(config["data_dir"]).resolve()
    return config


def secret_key_from(data_dir: Path) -> str:
    """The secret key kept in ``data_dir``, generated on first use (mode 0600)."""
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
