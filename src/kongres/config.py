"""Configuration, layered: defaults → a TOML file → ``KONGRES_*`` environment variables.

The file is ``kongres.toml`` in the working directory, or the path in ``KONGRES_CONFIG``.
Every key can be set in the file (``database_url = "..."``) or in the environment
(``KONGRES_DATABASE_URL=...``); the environment wins. Secrets belong in the environment.

Every mistake (an unknown key, a value of the wrong kind, a missing file) is a ``ConfigError``
with a one-line message that names where the value came from.
"""

from __future__ import annotations

import copy
import difflib
import ipaddress
import json
import os
import secrets
import tempfile
import tomllib
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULTS: dict[str, Any] = {
    "debug": False,
    "data_dir": "var",
    "database_url": "",  # empty: SQLite in data_dir
    # How long a transaction waits for a row lock (PostgreSQL) before the person is told to try
    # again in a moment; SQLite's own busy timeout plays this role there.
    "lock_timeout_ms": 3000,
    # How a kept PostgreSQL connection is checked at the start of a request: "query" (Django's
    # SELECT 1) or "poll" (look at the socket, no query; kongres/core/postgresql/base.py).
    "database_health_check": "query",
    # empty: generated once and kept in data_dir. bandit's B105 takes "" for a password; the
    # exclusion covers B105 in this whole table (bandit's scope for a statement at module
    # level), which holds no secret by design: secrets come from the environment
    "secret_key": "",  # nosec B105
    "allowed_hosts": ["127.0.0.1", "localhost", "[::1]"],
    "site_url": "http://127.0.0.1:8000",
    "mail_url": "",  # smtp://user:password@host:port, console:, file:/path; empty: file in data_dir
    "mail_from": "kongres <noreply@localhost>",
    "time_zone": "Europe/Warsaw",
    "cache_url": "",  # redis://127.0.0.1:6379/0; empty: the database
    # Staff sessions (kongres.accounts.middleware): signed out after this many minutes without
    # activity (a check-in phone at the door: the shorter time), and this many hours after
    # signing in, whatever the activity.
    "session_idle_minutes": 30,
    "checkin_session_idle_minutes": 15,
    "session_max_hours": 12,
    # Every staff account must confirm a code from an authenticator app after its password
    # (without it: accounts with an app, and those with a role in an edition requiring it).
    "two_factor_required": False,
    # Mail providers that deliver name+tag@domain to name@domain: such addresses are one person
    # for the duplicate check of registrations.
    "email_tag_domains": [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "fastmail.com",
    ],
    # Behind a reverse proxy (deploy/): the addresses or networks (CIDR) of the proxies whose
    # X-Forwarded-For and X-Forwarded-Proto are believed; empty: no proxy, both are ignored.
    "trusted_proxies": [],
    # Origins besides site_url's from which forms may be sent (https://other.example.org).
    "csrf_trusted_origins": [],
    "https_redirect": False,  # redirect every http:// request to https://
    "hsts_seconds": 0,  # Strict-Transport-Security max-age; 0: no header
    "hsts_include_subdomains": False,
    "hsts_preload": False,
    # Personal data (review 2026-12, L6, M7): a participant's secret links open nothing this many
    # days after the edition's last day; the periodic purge erases the registrations of
    # editions over for this many days, and never-confirmed registrations this many days
    # after their hold ended.
    "link_valid_days": 90,
    "purge_after_days": 365,
    "purge_unconfirmed_after_days": 30,
    # The largest file staff may upload (an image of a news post, a logo, a speaker's photo),
    # in MB (review 2026-12, L11; kongres.core.validators). nginx refuses bodies over 10 MB.
    "upload_max_mb": 5,
    # Speakers' materials (kongres.materials): the largest slides file (PDF, PPTX, ODP) and
    # the largest self-hosted recording (MP4, WebM), in MB; the web server in front must let
    # such bodies through to the upload page.
    "material_max_mb": 50,
    "recording_max_mb": 500,
    # Where materials and recordings are stored: a Django storage class (empty: the file system
    # under data_dir/media/materials) and its options, e.g. for S3-compatible storage
    # materials_storage_backend = "storages.backends.s3.S3Storage" and
    # materials_storage_options = {bucket_name = "...", endpoint_url = "https://..."}
    # (in the environment: a JSON object). Secrets (keys) through the environment.
    "materials_storage_backend": "",
    "materials_storage_options": {},
    # Serve uploaded files (/media/) from the application itself: for `make demo` and a small
    # site without a web server in front. In production nginx serves them (deploy/nginx/).
    "serve_media": False,
    # Webhooks (kongres.webhooks): send to loopback and private addresses too (tests, a
    # receiver on the same network); a subscription failing this many days is turned off.
    "webhooks_allow_private": False,
    "webhooks_disable_after_days": 3,
    # Retention of the API's and the webhooks' records (kongres.privacy.retention): the answers
    # kept for an Idempotency-Key, and the webhook delivery log (delivered or given up).
    "api_idempotency_keep_days": 7,
    "webhook_log_keep_days": 30,
}

BOOLEANS = {
    "debug",
    "https_redirect",
    "hsts_include_subdomains",
    "hsts_preload",
    "serve_media",
    "two_factor_required",
    "webhooks_allow_private",
}
LISTS = {"allowed_hosts", "email_tag_domains", "trusted_proxies", "csrf_trusted_origins"}
INTEGERS = {
    "lock_timeout_ms",
    "session_idle_minutes",
    "checkin_session_idle_minutes",
    "session_max_hours",
    "link_valid_days",
    "purge_after_days",
    "purge_unconfirmed_after_days",
    "upload_max_mb",
    "material_max_mb",
    "recording_max_mb",
    "webhooks_disable_after_days",
    "api_idempotency_keep_days",
    "webhook_log_keep_days",
}
TABLES = {"materials_storage_options"}  # a TOML table, or a JSON object in the environment
COUNTS = {"hsts_seconds"}  # whole numbers, 0 allowed
CHOICES = {"database_health_check": ("query", "poll")}
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration mistake; the message is one line, meant for the operator."""


def _coerce(key: str, value: Any, source: str) -> Any:
    """``value`` for ``key`` as the type its default has; ``source`` names where it came from
    (``kongres.toml: debug`` or ``KONGRES_DEBUG``) for the error message."""
    if key in BOOLEANS:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
            return value.strip().lower() in TRUE
        raise ConfigError(f"{source} must be true or false, not {value!r}")
    if key in LISTS:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return [item.strip() for item in value if item.strip()]
        raise ConfigError(f"{source} must be a list of strings or a comma-separated string")
    if key in INTEGERS:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise ConfigError(f"{source} must be a whole number above 0, not {value!r}")
    if key in TABLES:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError as error:
                raise ConfigError(f"{source} must be a JSON object: {error}") from error
        if isinstance(value, dict):
            return value
        raise ConfigError(f"{source} must be a table (a JSON object), not {value!r}")
    if key in COUNTS:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ConfigError(f"{source} must be a whole number, 0 or more, not {value!r}")
    if not isinstance(value, str):
        raise ConfigError(f"{source} must be a string, not {value!r}")
    if key in CHOICES and value.strip() not in CHOICES[key]:
        allowed = " or ".join(repr(choice) for choice in CHOICES[key])
        raise ConfigError(f"{source} must be {allowed}, not {value!r}")
    return value.strip()


def _unknown_keys_message(path: Path, unknown: set[str]) -> str:
    parts = []
    for key in sorted(unknown):
        close = difflib.get_close_matches(key, DEFAULTS, n=1)
        parts.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
    return f"{path}: unknown key{'s' if len(parts) > 1 else ''} {', '.join(parts)}"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            from_file = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from error
    unknown = set(from_file) - set(DEFAULTS)
    if unknown:
        raise ConfigError(_unknown_keys_message(path, unknown))
    return {key: _coerce(key, value, f"{path}: {key}") for key, value in from_file.items()}


def _check(config: dict[str, Any]) -> None:
    if not config["data_dir"]:
        raise ConfigError("data_dir must not be empty")
    if not config["site_url"].startswith(("http://", "https://")):
        raise ConfigError(
            f"site_url must start with http:// or https://, not {config['site_url']!r}"
        )
    for proxy in config["trusted_proxies"]:
        try:
            ipaddress.ip_network(proxy)
        except ValueError as error:
            raise ConfigError(
                f"trusted_proxies: {proxy!r} is not an address or a network (CIDR): {error}"
            ) from error
    for origin in config["csrf_trusted_origins"]:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ConfigError(
                f"csrf_trusted_origins: {origin!r} must be an origin like https://kongres.example.org"
            )
    for key in ("hsts_seconds", "https_redirect"):
        if config[key] and not config["site_url"].startswith("https://"):
            raise ConfigError(f"{key} needs a site_url that starts with https://")
    try:
        zoneinfo.ZoneInfo(config["time_zone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"time_zone {config['time_zone']!r} is not a known time zone (e.g. Europe/Warsaw)"
        ) from error


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the configuration as a plain dict of the keys in ``DEFAULTS``; ``data_dir`` is an
    absolute ``Path``."""
    environ = os.environ if environ is None else environ
    config = copy.deepcopy(DEFAULTS)  # the caller may change its lists

    if "KONGRES_CONFIG" in environ:
        path = Path(environ["KONGRES_CONFIG"])
        if not path.exists():
            raise ConfigError(f"KONGRES_CONFIG names {path}, which does not exist")
        if not path.is_file():
            raise ConfigError(f"KONGRES_CONFIG names {path}, which is not a file")
        config.update(_read_file(path))
    elif Path("kongres.toml").is_file():
        config.update(_read_file(Path("kongres.toml")))

    for key in DEFAULTS:
        env_key = f"KONGRES_{key.upper()}"
        if env_key in environ:
            config[key] = _coerce(key, environ[env_key], env_key)

    _check(config)
    config["data_dir"] = Path(config["data_dir"]).expanduser().resolve()
    return config


def secret_key_from(data_dir: Path) -> str:
    """The secret key kept in ``data_dir/secret_key``, generated on first use (mode 0600).

    The new key is written to a temporary file and linked into place, so that two processes
    starting at once agree on one key and neither can read a half-written file."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process was first: use its key
            except OSError:  # a file system without hard links
                _write_exclusive(path, Path(temporary).read_text())
        finally:
            os.unlink(temporary)
    try:
        key = path.read_text().strip()
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from error
    if not key:
        raise ConfigError(f"{path} is empty: delete it to have a new key generated")
    return key


def _write_exclusive(path: Path, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
