""".ci/audit_dependencies.py, the pip-audit step of `make test`: it fails on a known
vulnerability in a locked version, and only warns when the vulnerability service cannot be
reached. The service is a local OSV server of the test's own (pip-audit's --osv-url), or an
unreachable proxy; pip-audit runs for real, with a cache of its own (nothing answered from an
earlier run).
"""

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "audit_dependencies.py"
ADVISORY = {
    "id": "PYSEC-0000-TEST",
    "aliases": ["CVE-0000-0001"],
    "summary": "a vulnerability made up by the test",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
        }
    ],
}


def locked(tmp_path: Path, *names: str) -> Path:
    """A lock file of ``names`` as requirements.lock pins them (version and hashes)."""
    text = (ROOT / "requirements.lock").read_text()
    blocks = [
        re.search(rf"^{name}==[^\n]*(?:\n    [^\n]*)*", text, re.MULTILINE)[0] for name in names
    ]
    lock = tmp_path / "test.lock"
    lock.write_text("\n".join(blocks) + "\n")
    return lock


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    }
    # pip-audit's own cache in the test's folder, not pip's: every answer comes from the service
    environment |= {"PIP_NO_CACHE_DIR": "1", "XDG_CACHE_HOME": str(tmp_path / "cache"), **env}
    return subprocess.run(  # noqa: S603 -- our own script
        [sys.executable, str(SCRIPT), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def osv():
    """A local OSV service: ``advisories`` maps a package name to its vulnerabilities."""
    advisories: dict[str, list] = {}
    asked: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(query)
            vulns = advisories.get(query["package"]["name"], [])
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{server.server_port}/v1/query",
            "advisories": advisories,
            "asked": asked,
        }
    finally:
        server.shutdown()
        server.server_close()


def test_a_known_vulnerability_fails_the_audit(tmp_path, osv):
    osv["advisories"]["django"] = [ADVISORY]
    lock = locked(tmp_path, "django", "sqlparse")

    done = run(tmp_path, "--lock", str(lock), "--osv-url", osv["url"])

    assert done.returncode == 1, done.stdout + done.stderr
    version = re.search(r"^django==(\S+)", lock.read_text(), re.MULTILINE)[1]
    assert (
        f"pip-audit: django {version}: PYSEC-0000-TEST (CVE-0000-0001), fixed in 99.0: "
        "a vulnerability made up by the test"
    ) in done.stdout
    assert "1 known vulnerabilities in 1 of 2 audited packages" in done.stdout
    assert sorted(query["package"]["name"] for query in osv["asked"]) == ["django", "sqlparse"]


def test_no_known_vulnerability_passes(tmp_path, osv):
    lock = locked(tmp_path, "django", "sqlparse")

    done = run(tmp_path, "--lock", str(lock), "--osv-url", osv["url"])

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "pip-audit: no known vulnerability in 2 packages"


def test_an_unreachable_service_warns_and_passes(tmp_path):
    """The project's own locks against PyPI's service, through a proxy nobody listens on."""
    proxy = "http://127.0.0.1:9"
    done = run(tmp_path, HTTPS_PROXY=proxy, https_proxy=proxy, HTTP_PROXY=proxy)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(
        "pip-audit: WARNING: the vulnerability service could not be reached, so NO package was "
        "audited (requests.exceptions.ProxyError:"
    ), done.stdout


def test_a_lock_pip_audit_cannot_read_fails(tmp_path, osv):
    """Only the network is forgiven: a pin without its hash is an error, not a warning."""
    lock = tmp_path / "unhashed.lock"
    lock.write_text("django==6.1.3\n")

    done = run(tmp_path, "--lock", str(lock), "--osv-url", osv["url"])

    assert done.returncode == 1
    assert "does not contain a hash" in done.stderr
    assert "WARNING" not in done.stdout
