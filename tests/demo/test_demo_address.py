"""The demo's address follows the port it is served on: `make demo PORT=8792` gives every
command (the loader, the organiser login, the worker that sends the mail, the server)
site_url http://127.0.0.1:8792, and the commands print and store that address."""

import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from kongres.content.models import Page

ROOT = Path(__file__).resolve().parents[2]
STUB = """#!/bin/sh
echo "$* | ${KONGRES_SITE_URL:-unset}" >> "$STUB_LOG"
if [ "$1" = serve ]; then
  # a real server runs until stopped, and the worker started before it writes its line
  # meanwhile; this stand-in returns at once, so it waits (5 s at most) for that line before
  # make's trap stops the worker
  for _ in $(seq 100); do grep -q '^worker ' "$STUB_LOG" && break; sleep 0.05; done
fi
"""


def make_demo(tmp_path, *variables: str, **env: str) -> list[str]:
    """Run the Makefile's demo target for real, with a stand-in `kongres` that writes down
    each command and the site_url it was given."""
    make = shutil.which("make")
    assert make, "make is needed (README: Two commands)"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kongres = bin_dir / "kongres"
    kongres.write_text(STUB)
    kongres.chmod(kongres.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "commands.log"
    installed = tmp_path / "venv" / ".installed"  # taken as done: nothing is installed
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KONGRES_")}
    environment.update(env, STUB_LOG=str(log))
    result = subprocess.run(  # noqa: S603 -- make, our Makefile
        [
            make,
            "-s",
            "-C",
            str(ROOT),
            "-o",
            str(installed),
            "demo",
            *variables,
            f"BIN={bin_dir}",
            f"VENV={installed.parent}",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines()


def test_make_demo_gives_every_command_the_address_of_its_port(tmp_path):
    commands = make_demo(tmp_path, "PORT=8792")
    assert commands[:3] == [
        "migrate --verbosity 0 | http://127.0.0.1:8792",
        "demo | http://127.0.0.1:8792",
        "createorganiser --demo | http://127.0.0.1:8792",
    ]
    # the worker (started in the background) and the server: in either order
    assert sorted(commands[3:]) == [
        "serve --port 8792 | http://127.0.0.1:8792",
        "worker | http://127.0.0.1:8792",
    ]


def test_make_demo_keeps_a_site_url_given(tmp_path):
    commands = make_demo(tmp_path, "PORT=8792", KONGRES_SITE_URL="https://kongres.example.org")
    assert {line.split(" | ")[1] for line in commands} == {"https://kongres.example.org"}
    assert any(line.startswith("serve --port 8792 ") for line in commands[3:])


@pytest.mark.parametrize("site_url", ["http://127.0.0.1:8792", "http://127.0.0.1:8000"])
def test_demo_and_its_organiser_login_show_and_store_site_url(db, settings, tmp_path, site_url):
    settings.DATA_DIR = tmp_path
    settings.SITE_URL = site_url
    output = io.StringIO()
    call_command("demo", stdout=output)
    assert f"  site:      {site_url}/\n" in output.getvalue()
    declaration = Page.objects.get(kind=Page.Kind.ACCESSIBILITY)
    assert f"[{site_url}/]({site_url}/)" in declaration.body_pl
    assert f"[{site_url}/]({site_url}/)" in declaration.body_en

    output = io.StringIO()
    with translation.override("en"):  # the addresses printed are the default language's
        call_command("createorganiser", demo=True, stdout=output)
    assert f"back office: {site_url}/orga/\n" in output.getvalue()
    assert f"admin:    {site_url}/admin/\n" in output.getvalue()
    assert get_user_model().objects.count() == 1
