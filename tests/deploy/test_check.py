"""`kongres check --deploy` is clean with the production example, deploy/kongres.toml.example."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "kongres.toml.example"


def check_deploy(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KONGRES_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # set by tests/browser/conftest.py for Playwright; `check --deploy` rightly objects to it
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env |= {
        "KONGRES_CONFIG": str(EXAMPLE),
        # the example's /var/lib/kongres does not exist here; everything else is the example's
        "KONGRES_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "kongres", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_example(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_sees_what_the_example_sets(tmp_path):
    """The clean result comes from the example's values: without them the check warns."""
    result = check_deploy(
        tmp_path,
        KONGRES_HTTPS_REDIRECT="false",
        KONGRES_HSTS_SECONDS="0",
        KONGRES_SITE_URL="http://kongres.example.org",
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in output, check
