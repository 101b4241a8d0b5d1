"""The README's curl example of the JSON API, run as it is written against the demo (issue 21:
"a curl example that works on the demo"). Its `kongres apitoken` lines run here, in the test's
process (the same database as the live server); everything else is the README's text, sent
with curl to the live server instead of http://127.0.0.1:8000."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from kongres.events.models import Day

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO_ADDRESS = "http://127.0.0.1:8000"
TOKEN_LINE = re.compile(r"^(?P<name>[A-Z]+)=\$\(\.venv/bin/kongres (?P<args>apitoken .+)\)$")


def readme_commands() -> list[str]:
    """The shell block after "On the demo" in the README's API section, a command a line
    (continued lines joined), comments left out."""
    text = README.read_text()
    start = text.index("```sh", text.index("On the demo (`make demo`"))
    block = text[text.index("\n", start) + 1 : text.index("```", start + 5)]
    commands = block.replace("\\\n", " ").splitlines()
    return [line.strip() for line in commands if line.strip() and not line.startswith("#")]


def test_the_readme_has_the_example():
    commands = readme_commands()
    assert sum(line.startswith("curl ") for line in commands) >= 4
    assert sum(bool(TOKEN_LINE.match(line)) for line in commands) >= 2


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.django_db(transaction=True)
def test_the_readme_curl_example_works_on_the_demo(live_server, settings):
    call_command("demo", stdout=io.StringIO())
    day = Day.objects.filter(edition__slug="iv-kongres").order_by("date").first()
    env = {**os.environ}
    answers = []
    for line in readme_commands():
        token = TOKEN_LINE.match(line)
        if token:
            out = io.StringIO()
            call_command(*shlex.split(token["args"]), stdout=out)
            env[token["name"]] = out.getvalue().strip()
            continue
        assert line.startswith("curl "), line
        # the README's demo address is this live server's; `days` takes an id of the demo's
        # days, as the README says (…/days lists them)
        command = line.replace(DEMO_ADDRESS, live_server.url).replace(
            '"days": [1]', f'"days": [{day.pk}]'
        )
        result = subprocess.run(  # noqa: S603 -- curl, with the README's own arguments
            [shutil.which("bash") or "/bin/bash", "-c", f"{command} -w ' %{{http_code}}'"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        body, _space, status = result.stdout.rpartition(" ")
        answers.append((line.split("/api/v1/")[-1], status, body))
    assert [(path, status) for path, status, _body in answers] == [
        ("editions/iv-kongres/sessions", "200"),
        ("editions/iv-kongres/registrations", "200"),
        ("editions/iv-kongres/registrations", "201"),
        # as the README says: nobody on the fresh demo has confirmed yet (the registration
        # above waits for its e-mail address to be verified), so nobody matches the segment
        ("editions/iv-kongres/messages", "422"),
    ], answers
    assert json.loads(answers[3][2])["code"] == "empty"
    assert json.loads(answers[2][2])["email"] == "anna@example.org"
