import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kongres.config import DEFAULTS, ConfigError, load_config, secret_key_from


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path, monkeypatch):
    """No kongres.toml from the developer's working directory leaks into these tests."""
    monkeypatch.chdir(tmp_path)


def _toml(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_with_nothing_set(tmp_path):
    config = load_config({})

    assert config["debug"] is False
    assert config["database_url"] == ""
    assert config["secret_key"] == ""
    assert config["allowed_hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert config["site_url"] == "http://127.0.0.1:8000"
    assert config["time_zone"] == "Europe/Warsaw"
    assert config["data_dir"] == tmp_path / "var"
    assert config["data_dir"].is_absolute()
    assert set(config) == set(DEFAULTS)


def test_defaults_are_not_shared_between_calls():
    load_config({})["allowed_hosts"].append("evil.example")
    assert load_config({})["allowed_hosts"] == ["127.0.0.1", "localhost", "[::1]"]


def test_file_named_by_kongres_config(tmp_path):
    path = _toml(
        tmp_path,
        'debug = true\ndatabase_url = "postgres://db/kongres"\n'
        'allowed_hosts = ["kongres.example.org"]\nsite_url = "https://kongres.example.org"\n'
        'data_dir = "/srv/kongres"\n',
    )

    config = load_config({"KONGRES_CONFIG": str(path)})

    assert config["debug"] is True
    assert config["database_url"] == "postgres://db/kongres"
    assert config["allowed_hosts"] == ["kongres.example.org"]
    assert config["site_url"] == "https://kongres.example.org"
    assert config["data_dir"] == Path("/srv/kongres")
    assert config["mail_from"] == DEFAULTS["mail_from"]


def test_kongres_toml_in_the_working_directory_is_read(tmp_path):
    _toml(tmp_path, 'time_zone = "Europe/London"\n', name="kongres.toml")
    assert load_config({})["time_zone"] == "Europe/London"


def test_environment_overrides_file(tmp_path):
    path = _toml(tmp_path, 'debug = true\nmail_from = "plik <a@example.org>"\n')

    config = load_config(
        {
            "KONGRES_CONFIG": str(path),
            "KONGRES_DEBUG": "no",
            "KONGRES_MAIL_FROM": "env <b@example.org>",
        }
    )

    assert config["debug"] is False
    assert config["mail_from"] == "env <b@example.org>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
        ("", False),
    ],
)
def test_booleans_from_the_environment(value, expected):
    assert load_config({"KONGRES_DEBUG": value})["debug"] is expected


def test_boolean_as_a_string_in_the_file(tmp_path):
    path = _toml(tmp_path, 'debug = "yes"\n')
    assert load_config({"KONGRES_CONFIG": str(path)})["debug"] is True


def test_lists_from_the_environment_are_split_on_commas():
    config = load_config({"KONGRES_ALLOWED_HOSTS": " kongres.example.org, www.example.org ,,"})
    assert config["allowed_hosts"] == ["kongres.example.org", "www.example.org"]


def test_list_as_a_string_in_the_file(tmp_path):
    path = _toml(tmp_path, 'allowed_hosts = "a.example.org,b.example.org"\n')
    assert load_config({"KONGRES_CONFIG": str(path)})["allowed_hosts"] == [
        "a.example.org",
        "b.example.org",
    ]


def test_bad_boolean_is_an_error_naming_its_source(tmp_path):
    with pytest.raises(ConfigError, match=r"^KONGRES_DEBUG must be true or false, not 'maybe'$"):
        load_config({"KONGRES_DEBUG": "maybe"})
    path = _toml(tmp_path, "debug = 2\n")
    with pytest.raises(ConfigError, match=r"settings\.toml: debug must be true or false, not 2$"):
        load_config({"KONGRES_CONFIG": str(path)})


def test_wrong_kind_of_value_in_the_file(tmp_path):
    path = _toml(tmp_path, "database_url = 5\n")
    with pytest.raises(ConfigError, match=r"settings\.toml: database_url must be a string, not 5$"):
        load_config({"KONGRES_CONFIG": str(path)})
    path = _toml(tmp_path, "allowed_hosts = [1, 2]\n")
    with pytest.raises(ConfigError, match=r"allowed_hosts must be a list of strings"):
        load_config({"KONGRES_CONFIG": str(path)})


def test_unknown_key_in_the_file(tmp_path):
    path = _toml(tmp_path, "debugg = true\ncolour = 'blue'\n")

    with pytest.raises(ConfigError) as caught:
        load_config({"KONGRES_CONFIG": str(path)})

    message = str(caught.value)
    assert message == f"{path}: unknown keys 'colour', 'debugg' (did you mean 'debug'?)"
    assert "\n" not in message


def test_table_in_the_file_is_an_unknown_key(tmp_path):
    path = _toml(tmp_path, '[database]\nurl = "x"\n')
    with pytest.raises(
        ConfigError, match=r"unknown key 'database' \(did you mean 'database_url'\?\)$"
    ):
        load_config({"KONGRES_CONFIG": str(path)})


def test_missing_config_file(tmp_path):
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigError) as caught:
        load_config({"KONGRES_CONFIG": str(missing)})

    assert str(caught.value) == f"KONGRES_CONFIG names {missing}, which does not exist"


def test_config_naming_a_folder(tmp_path):
    with pytest.raises(ConfigError, match=r"which is not a file$"):
        load_config({"KONGRES_CONFIG": str(tmp_path)})


def test_invalid_toml_is_one_line(tmp_path):
    path = _toml(tmp_path, "debug = \n")

    with pytest.raises(ConfigError) as caught:
        load_config({"KONGRES_CONFIG": str(path)})

    message = str(caught.value)
    assert message.startswith(f"{path}: not valid TOML: ")
    assert "line 1" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KONGRES_SITE_URL": "kongres.example.org"}, "site_url must start with http"),
        ({"KONGRES_TIME_ZONE": "Mars/Olympus"}, "time_zone 'Mars/Olympus' is not a known"),
        ({"KONGRES_DATA_DIR": ""}, "data_dir must not be empty"),
    ],
)
def test_values_that_cannot_work(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env)


def test_secret_key_generated_once_with_mode_0600(tmp_path):
    data_dir = tmp_path / "data"

    key = secret_key_from(data_dir)

    path = data_dir / "secret_key"
    assert len(key) >= 50
    assert path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key_from(data_dir) == key
    assert sorted(p.name for p in data_dir.iterdir()) == ["secret_key"]  # no temporary left


def test_secret_key_is_different_per_install(tmp_path):
    assert secret_key_from(tmp_path / "a") != secret_key_from(tmp_path / "b")


def test_secret_key_kept_file_is_reused(tmp_path):
    (tmp_path / "secret_key").write_text("kept-key\n")
    assert secret_key_from(tmp_path) == "kept-key"


def test_secret_key_empty_file_is_an_error(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigError, match=r"secret_key is empty: delete it"):
        secret_key_from(tmp_path)


def test_secret_key_from_the_environment_wins(tmp_path):
    config = load_config({"KONGRES_SECRET_KEY": "from-env", "KONGRES_DATA_DIR": str(tmp_path)})
    assert config["secret_key"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_command_line_shows_a_configuration_error_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kongres", "check"],
        env={**os.environ, "KONGRES_CONFIG": str(tmp_path / "nope.toml")},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert result.returncode == 1
    assert result.stderr == (
        f"kongres: configuration error: KONGRES_CONFIG names {tmp_path / 'nope.toml'}, "
        "which does not exist\n"
    )


def test_secret_key_processes_starting_at_once_agree(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    data_dir = tmp_path / "shared"
    with ProcessPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(secret_key_from, [data_dir] * 32))

    assert len(set(keys)) == 1
    assert keys[0] == (data_dir / "secret_key").read_text()


def test_database_health_check_and_lock_timeout(tmp_path):
    assert load_config({})["database_health_check"] == "query"
    assert load_config({})["lock_timeout_ms"] == 3000
    config = load_config(
        {"KONGRES_DATABASE_HEALTH_CHECK": "poll", "KONGRES_LOCK_TIMEOUT_MS": " 500 "}
    )
    assert (config["database_health_check"], config["lock_timeout_ms"]) == ("poll", 500)
    path = _toml(tmp_path, 'database_health_check = "query"\nlock_timeout_ms = 250\n')
    config = load_config({"KONGRES_CONFIG": str(path)})
    assert (config["database_health_check"], config["lock_timeout_ms"]) == ("query", 250)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"KONGRES_DATABASE_HEALTH_CHECK": "ping"},
            "KONGRES_DATABASE_HEALTH_CHECK must be 'query' or 'poll', not 'ping'",
        ),
        (
            {"KONGRES_LOCK_TIMEOUT_MS": "3s"},
            "KONGRES_LOCK_TIMEOUT_MS must be a whole number above 0, not '3s'",
        ),
        (
            {"KONGRES_LOCK_TIMEOUT_MS": "0"},
            "KONGRES_LOCK_TIMEOUT_MS must be a whole number above 0, not 0",
        ),
    ],
)
def test_database_health_check_and_lock_timeout_mistakes(env, message):
    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("check", "engine"),
    [
        ("", "django.db.backends.postgresql"),
        ("query", "django.db.backends.postgresql"),
        ("poll", "kongres.core.postgresql"),
    ],
)
def test_settings_use_the_polling_backend_only_when_asked(tmp_path, check, engine):
    env = {
        **os.environ,
        "KONGRES_DATA_DIR": str(tmp_path),
        "KONGRES_DATABASE_URL": "postgres://kongres@127.0.0.1:5432/kongres",
        "KONGRES_LOCK_TIMEOUT_MS": "1234",
        "DJANGO_SETTINGS_MODULE": "kongres.settings",
    }
    env.pop("KONGRES_DATABASE_HEALTH_CHECK", None)
    if check:
        env["KONGRES_DATABASE_HEALTH_CHECK"] = check
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kongres import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.KONGRES_LOCK_TIMEOUT_MS)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout.split() == [engine, "1234"]


def test_session_limits_default_and_come_from_the_file_or_the_environment(tmp_path):
    config = load_config({})
    assert (
        config["session_idle_minutes"],
        config["checkin_session_idle_minutes"],
        config["session_max_hours"],
    ) == (30, 15, 12)
    path = _toml(tmp_path, "session_idle_minutes = 20\nsession_max_hours = 8\n")
    config = load_config({"KONGRES_CONFIG": str(path), "KONGRES_CHECKIN_SESSION_IDLE_MINUTES": "5"})
    assert (
        config["session_idle_minutes"],
        config["checkin_session_idle_minutes"],
        config["session_max_hours"],
    ) == (20, 5, 8)
    with pytest.raises(ConfigError) as error:
        load_config({"KONGRES_SESSION_IDLE_MINUTES": "0"})
    assert str(error.value) == "KONGRES_SESSION_IDLE_MINUTES must be a whole number above 0, not 0"
