"""What the repository itself must never hold."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tracked() -> list[str]:
    git = shutil.which("git")
    assert git, "git is needed to read the checkout's file list"
    result = subprocess.run(  # noqa: S603 -- a fixed command, no input
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    )
    return [name for name in result.stdout.split("\0") if name]


def test_the_checkout_is_read():
    assert "pyproject.toml" in _tracked()  # the check below looks at a real file list


def test_no_secret_key_is_tracked():
    assert [name for name in _tracked() if Path(name).name == "secret_key"] == []


def test_no_data_directory_is_tracked():
    assert [name for name in _tracked() if "var" in Path(name).parts] == []
