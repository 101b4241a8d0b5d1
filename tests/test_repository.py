"""What the repository itself must never hold."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

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


# -- the lock files (make lock) ------------------------------------------------------------------

# Tools to test, lint and measure kongres: none may be installed with the site.
DEV_TOOLS = {
    "pytest",
    "pytest-django",
    "playwright",
    "ruff",
    "import-linter",
    "hypothesis",
    "factory-boy",
    "faker",
    "aiosmtpd",
    "zxing-cpp",
    "pypdfium2",
    "openpyxl",
    "gunicorn",
    "locust",
    "uv",
    "pip-tools",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(filename: str) -> dict[str, str]:
    """Each requirement of a lock file (continuation lines joined) by its canonical name."""
    text = (ROOT / filename).read_text()
    entries = [entry.strip() for entry in re.sub(r"\\\n", " ", text).splitlines()]
    locked = {}
    for entry in entries:
        if not entry or entry.startswith("#"):
            continue
        name = re.match(r"[A-Za-z0-9._-]+", entry)
        assert name, entry
        locked[_canonical(name.group(0))] = entry
    return locked


def _extra(name: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] if name == "" else project["optional-dependencies"][name]
    return {_canonical(Requirement(requirement).name) for requirement in requirements}


@pytest.mark.parametrize("filename", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_is_pinned_with_its_hashes(filename):
    locked = _locked(filename)
    assert len(locked) > 10
    for name, entry in locked.items():
        assert re.match(r"[A-Za-z0-9._-]+==[^ ;]+ ", entry), f"{name} is not pinned: {entry}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}\b", entry), f"{name} has no hash"
        leftover = re.sub(r"--hash=sha256:[0-9a-f]{64}|#.*$", "", entry.split("==", 1)[1])
        assert "--" not in leftover, entry  # only hashes follow the version and its marker


def test_the_site_installs_no_dev_tool():
    production, development = _locked("requirements.lock"), _locked("requirements-dev.lock")
    dev_tools = DEV_TOOLS | _extra("dev") | _extra("bench")
    assert sorted(dev_tools & set(production)) == []
    assert sorted(set(production) & set(development)) == []  # two separate sets
    assert _extra("dev") | _extra("bench") <= set(development)
    assert _extra("") | _extra("redis") | {"setuptools"} <= set(production)
