"""The locked packages against the advisory database (pip-audit), for `make test`.

    python .ci/audit_dependencies.py [--lock FILE ...] [--osv-url URL]

Audits requirements.lock and requirements-dev.lock as they are (every pin with its hashes, no
resolution, nothing installed: `--require-hashes --disable-pip`) against PyPI's vulnerability
data, or against an OSV service at ``--osv-url``.

- a known vulnerability in a locked version: listed, exit 1 (upgrade it, `make lock`);
- the service cannot be reached (no network, a proxy or firewall in the way, the service down),
  or it knows none of the packages (an index that does not serve PyPI's JSON API per version):
  a warning that says nothing was audited, exit 0, so that `make test` runs offline;
- anything else that stops pip-audit (a lock it cannot read, a pin without a hash): exit 1.

A vulnerability that does not apply to kongres is ignored by its ID in IGNORED below, with the
reason.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]

# vulnerability ID -> why it does not apply to kongres (passed as --ignore-vuln)
IGNORED: dict[str, str] = {}

# What pip-audit says, or the exception it dies of, when it cannot talk to the service.
UNREACHABLE = re.compile(
    r"your network may be blocking this service"
    r"|Could not connect to \w+'s vulnerability feed"
    r"|is not redirecting properly"
    r"|^requests\.exceptions\.(ConnectionError|ProxyError|SSLError|ConnectTimeout|ReadTimeout"
    r"|Timeout|RetryError|ChunkedEncodingError|TooManyRedirects)\b"
    r"|^pip_audit\._service\.interface\.ServiceError\b",
    re.MULTILINE,
)


def audit(locks: list[Path], osv_url: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="kongres-audit-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--require-hashes", "--disable-pip"]
        command += ["--progress-spinner", "off", "--timeout", "15", "--desc", "on"]
        command += ["--format", "json", "--output", str(report)]
        for lock in locks:
            command += ["--requirement", str(lock)]
        if osv_url:
            command += ["--vulnerability-service", "osv", "--osv-url", osv_url]
        for vulnerability in IGNORED:
            command += ["--ignore-vuln", vulnerability]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        text = report.read_text() if report.exists() else ""

    if not text:  # pip-audit stopped before reporting
        if UNREACHABLE.search(done.stderr):
            last = done.stderr.strip().splitlines()[-1]
            print(
                "pip-audit: WARNING: the vulnerability service could not be reached, so NO "
                f"package was audited ({last[:300]})"
            )
            return 0
        print(f"pip-audit: failed (exit {done.returncode}):\n{done.stderr}", file=sys.stderr)
        return 1

    dependencies = json.loads(text)["dependencies"]
    skipped = [dependency for dependency in dependencies if "skip_reason" in dependency]
    vulnerable = [dependency for dependency in dependencies if dependency.get("vulns")]
    for dependency in vulnerable:
        for vulnerability in dependency["vulns"]:
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version"
            aliases = ", ".join(vulnerability.get("aliases") or [])
            print(
                f"pip-audit: {dependency['name']} {dependency['version']}: {vulnerability['id']}"
                f"{f' ({aliases})' if aliases else ''}, fixed in {fixed}: "
                f"{(vulnerability.get('description') or '')[:200]}"
            )
    audited = len(dependencies) - len(skipped)
    if vulnerable:
        print(
            f"pip-audit: {sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities in "
            f"{len(vulnerable)} of {audited} audited packages: upgrade them in the locks "
            "(`make lock`), or list one that does not apply in .ci/audit_dependencies.py with "
            "the reason"
        )
        return 1
    if dependencies and not audited:
        print(
            f"pip-audit: WARNING: the vulnerability service knew none of the {len(dependencies)} "
            "locked packages, so NO package was audited (an index without PyPI's JSON API?)"
        )
        return 0
    names = ", ".join(dependency["name"] for dependency in skipped)
    print(
        f"pip-audit: no known vulnerability in {audited} packages"
        + (f"; WARNING: not audited (unknown to the service): {names}" if skipped else "")
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, action="append", help="a hashed requirements file")
    parser.add_argument("--osv-url", help="query this OSV service instead of PyPI")
    args = parser.parse_args()
    return audit(args.lock or LOCKS, args.osv_url)


if __name__ == "__main__":
    sys.exit(main())
