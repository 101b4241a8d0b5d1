"""`make scan`: the demo as deployed (bench/deployed.py: deploy/kongres.toml.example behind the
real nginx with deploy/nginx/kongres.conf, over https), scanned by wapiti and nikto on
127.0.0.1 only, for a bounded time.

    python -m bench.scan [--max-scan-time S] [--max-attack-time S] [--nikto-time S] [--forms]
                         [--keep DIR]

The site is a temporary folder with SQLite, the IV Kongres demo (`kongres demo`) and the
settings of bench/scan_settings.py (the production ones, less what stops a script at the
registration form). Its host name is 127.0.0.1 (allowed_hosts, site_url) so that the scanners'
forms pass Django's checks of host, origin and referer; nginx's site is the production one.

Every finding is printed with its severity; one of medium or higher fails the scan unless
deploy/scan-allowlist.toml lists it with the reason it does not apply. The last lines are
``target scan-wapiti: N findings of medium or higher (goal 0) met|missed``, the same for
nikto, or the reason a scanner did not run.

Nothing leaves the machine: the scanners reach 127.0.0.1 only, any other address goes to a
proxy that does not exist (HTTP_PROXY, HTTPS_PROXY), wapiti's module endpoints are 127.0.0.1:9,
its crash reports are off and its fingerprint module gets an empty database instead of
downloading one.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bench import deployed

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = ROOT / "deploy" / "scan-allowlist.toml"
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
# where `make scan` installs wapiti from PyPI when the apt sources have none (a throw-away venv)
WAPITI_VENV = Path("/tmp/kongres-wapiti")  # noqa: S108 -- the Makefile's path, created as root
DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens there

# wapiti's levels (wapitiCore.language.vulnerability)
LEVELS = {0: "info", 1: "low", 2: "medium", 3: "high", 4: "critical"}
SEVERITIES = ["info", "low", "medium", "high", "critical"]
FAILING = {"medium", "high", "critical"}

# What bench/scan_settings.py turns off, so that the scanners' forms reach the code behind them.
SCAN_RELAXED = [
    "the rate limits (KONGRES_RATELIMIT_ENABLED = False)",
    "the form's minimum fill-in time (KONGRES_REGISTRATION_MIN_FILL_SECONDS = 0)",
    "the form token's single use (KONGRES_REGISTRATION_FORM_TOKEN_ONCE = False)",
]


@dataclass(frozen=True)
class Finding:
    tool: str
    severity: str
    category: str
    method: str
    path: str
    parameter: str
    info: str

    def line(self) -> str:
        where = f"{self.method} {self.path}".strip()
        parameter = f" [{self.parameter}]" if self.parameter else ""
        return f"{self.severity:8} {self.category}: {where}{parameter}: {self.info}"


def wapiti_findings(report: dict) -> list[Finding]:
    """Every vulnerability, anomaly and additional of a wapiti JSON report."""
    found = []
    for section in ("vulnerabilities", "anomalies", "additionals"):
        for category, items in (report.get(section) or {}).items():
            for item in items:
                found.append(
                    Finding(
                        tool="wapiti",
                        severity=LEVELS.get(int(item.get("level") or 0), "info"),
                        category=category,
                        method=item.get("method") or "",
                        path=item.get("path") or "",
                        parameter=item.get("parameter") or "",
                        info=" ".join(str(item.get("info") or "").split()),
                    )
                )
    return found


def nikto_findings(report: str) -> list[Finding]:
    """Every item of a nikto CSV report (the format of Debian's nikto 2.1.5 and of later
    versions: host, address, port, reference, method, path, message; a title line and, in
    later versions, a header line first). nikto gives no severity: each item counts as medium,
    so that it fails the scan until it is fixed or allowed with its reason."""
    # Debian's 2.1.5 writes the address of its findings as `127.0.0.1SCALAR(0x…)"`, which
    # breaks the quoting of the rest of the line: mend that before reading
    report = re.sub(r'SCALAR\(0x[0-9a-f]+\)"', '","', report)
    found = []
    for row in csv.reader(io.StringIO(report)):
        if len(row) < 7 or row[:3] == ["hostname", "ip", "port"]:
            continue  # the title ("Nikto - v2.1.5/2.1.5"), the header
        _host, _address, _port, reference, method, path, message = row[:7]
        found.append(
            Finding(
                tool="nikto",
                # the server's banner (no test, no request): information
                severity="medium" if (reference or method) else "info",
                category=f"nikto {reference or '?'}",
                method=method,
                path=path,
                parameter="",
                info=" ".join(message.split()),
            )
        )
    return found


def load_allowlist(path: Path) -> list[dict]:
    """The ``[[allow]]`` entries: ``tool`` and ``category`` must match the finding, ``path``
    (exact, or a prefix ending in ``*``) and ``info`` (a part of the text) too when given;
    ``reason`` says why the finding does not apply, and is required."""
    entries = tomllib.loads(path.read_text()).get("allow", [])
    for number, entry in enumerate(entries, 1):
        unknown = set(entry) - {"tool", "category", "path", "info", "reason"}
        missing = {"tool", "category", "reason"} - set(entry)
        if unknown or missing or not str(entry.get("reason", "")).strip():
            raise ValueError(
                f"{path}: entry {number} needs tool, category and a reason "
                f"(and may have path, info){f'; unknown: {sorted(unknown)}' if unknown else ''}"
            )
    return entries


def allowed_by(finding: Finding, allowlist: list[dict]) -> dict | None:
    for entry in allowlist:
        if entry["tool"] != finding.tool or entry["category"] != finding.category:
            continue
        path = entry.get("path")
        if path is not None and not (
            finding.path.startswith(path[:-1]) if path.endswith("*") else finding.path == path
        ):
            continue
        if entry.get("info") is not None and entry["info"] not in finding.info:
            continue
        return entry
    return None


def summarise(tool: str, findings: list[Finding], allowlist: list[dict]) -> tuple[list[str], int]:
    """The lines to print for one scanner's findings, and how many fail the scan."""
    lines, failing, used = [], 0, set()
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in sorted(findings, key=lambda f: (-SEVERITIES.index(f.severity), f.line())):
        counts[finding.severity] += 1
        entry = allowed_by(finding, allowlist)
        if entry is not None:
            used.add(id(entry))
            lines.append(f"  allowed  {finding.line()}\n           because: {entry['reason']}")
        elif finding.severity in FAILING:
            failing += 1
            lines.append(f"  FAILS    {finding.line()}")
        else:
            lines.append(f"  below    {finding.line()}")
    by_severity = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES))
    lines.insert(0, f"{tool}: {len(findings)} findings: {by_severity}")
    for entry in allowlist:
        if entry["tool"] == tool and id(entry) not in used:
            lines.append(f"  (allow-list entry not met this time: {entry['category']})")
    return lines, failing


def target(tool: str, failing: int) -> str:
    return (
        f"target scan-{tool}: {failing} findings of medium or higher (goal 0) "
        f"{'met' if failing == 0 else 'missed'}"
    )


def find_tool(name: str, *extra: Path) -> str | None:
    found = shutil.which(name, path=SEARCH_PATH)
    if found:
        return found
    return next((str(path) for path in extra if path.is_file()), None)


def scanner_env() -> dict[str, str]:
    """The scanners' environment: every address but 127.0.0.1 goes to a dead proxy."""
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    return env | {
        "HTTP_PROXY": DEAD,
        "HTTPS_PROXY": DEAD,
        "http_proxy": DEAD,
        "https_proxy": DEAD,
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
    }


# wapiti's passes: (name, folder, start pages, crawl seconds or None for --max-scan-time). The
# whole site; its attack modules run out of time on the first pages they take (the login forms,
# the programme's filters) before the registration form. `--forms` adds a pass on the forms that
# take people's data, which takes long: wapiti 3.0.4 checks --max-attack-time between pages,
# never inside one, and its xss module alone sends thousands of requests to that form (a run
# on 2 cores: 8,700 POSTs, every answer 200 or 302, when it was stopped after 11 minutes).
SITE_PASS = ("site", "", ["orga/", "admin/login/", "checkin/"], None)
FORMS_PASS = ("registration", "rejestracja/", ["rejestracja/link/"], 30)
WAPITI_MODULES = 11  # the default ones, each run for at most --max-attack-time


def run_wapiti(wapiti: str, url: str, work: Path, args: argparse.Namespace) -> list[dict]:
    config = work / "wapiti-config"
    config.mkdir()
    # the fingerprint module (not run by default) downloads its database when it has none
    (config / "apps.json").write_text("{}")
    reports = []
    for name, folder, starts, crawl in [SITE_PASS, *([FORMS_PASS] if args.forms else [])]:
        crawl = crawl or args.max_scan_time
        report, log = work / f"wapiti-{name}.json", work / f"wapiti-{name}.log"
        command = [
            wapiti,
            "--url", f"{url}{folder}",
            "--scope", "folder",
            *[part for start in starts for part in ("--start", f"{url}{start}")],
            # (no --exclude: Debian's wapiti 3.0.4 dies of any on Python 3.11, re.error "global
            # flags not at the start of the expression", so the English pages are scanned too)
            # Django's CSRF token and the form's signed start time: a changed one is refused
            "--skip", "csrfmiddlewaretoken",
            "--skip", "started",
            "--flush-session",
            "--store-session", str(work / "wapiti-session"),
            "--store-config", str(config),
            "--max-scan-time", str(crawl),
            "--max-attack-time", str(args.max_attack_time),
            "--timeout", "10",
            "--endpoint", f"{DEAD}/",
            "--no-bugreport",
            "--verbose", "1",
            "--format", "json",
            "--output", str(report),
        ]  # fmt: skip
        print(
            f"scan: wapiti on {url}{folder}: crawl for at most {crawl} s, then each module for "
            f"at most {args.max_attack_time} s"
        )
        limit = (
            crawl
            + WAPITI_MODULES * args.max_attack_time
            + (1800 if name == "registration" else 300)
        )
        try:
            with log.open("w") as output:
                done = subprocess.run(  # noqa: S603 -- wapiti, with the arguments above
                    command,
                    env=scanner_env(),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=limit,
                    check=False,
                )
        except subprocess.TimeoutExpired as error:  # wapiti is killed; its findings are lost
            raise RuntimeError(f"wapiti's {name} pass did not end in {limit} s ({log})") from error
        if done.returncode or not report.exists():
            tail = "\n".join(log.read_text().splitlines()[-20:])
            raise RuntimeError(f"wapiti failed (exit {done.returncode}):\n{tail}")
        reports.append(json.loads(report.read_text()))
    return reports


def run_nikto(nikto: str, port: int, work: Path, args: argparse.Namespace) -> str:
    seconds = args.nikto_time
    report = work / "nikto.csv"
    command = [
        nikto,
        "-host", "127.0.0.1",
        "-vhost", "127.0.0.1",  # the host name Django allows: the pages, not its 400s
        "-port", str(port),
        "-ssl",
        "-maxtime", f"{seconds}s",
        "-ask", "no",
        "-nointeractive",
        "-Format", "csv",
        "-output", str(report),
    ]  # fmt: skip
    print(f"scan: nikto on https://127.0.0.1:{port}/ for at most {seconds} s")
    with (work / "nikto.log").open("w") as log:
        subprocess.run(  # noqa: S603 -- nikto, with the arguments above
            command,
            env=scanner_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=seconds + 300,
            check=False,  # nikto's exit status is not its verdict; the report is
        )
    if not report.exists():
        tail = "\n".join((work / "nikto.log").read_text().splitlines()[-20:])
        raise RuntimeError(f"nikto wrote no report:\n{tail}")
    return report.read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scan", description=__doc__)
    parser.add_argument("--max-scan-time", type=int, default=120, help="wapiti's crawl, seconds")
    parser.add_argument(
        "--max-attack-time", type=int, default=30, help="each of wapiti's attack modules, seconds"
    )
    parser.add_argument("--nikto-time", type=int, default=180, help="nikto, seconds")
    parser.add_argument(
        "--forms", action="store_true", help="a second wapiti pass on the registration forms (long)"
    )
    parser.add_argument("--keep", type=Path, help="copy the reports and logs to this folder")
    args = parser.parse_args(argv)

    allowlist = load_allowlist(ALLOWLIST)
    nginx, openssl = find_tool("nginx"), find_tool("openssl")
    if not nginx or not openssl:
        print("scan: nginx and openssl are needed (apt-get install nginx openssl)")
        return 1
    wapiti = find_tool("wapiti", WAPITI_VENV / "bin" / "wapiti")
    nikto = find_tool("nikto")

    ports = {"app": deployed.free_port(), "http": deployed.free_port()}
    ports["https"] = deployed.free_port()
    url = f"https://127.0.0.1:{ports['https']}/"
    env = {"KONGRES_ALLOWED_HOSTS": "127.0.0.1", "KONGRES_SITE_URL": url.rstrip("/")}
    results: list[str] = []
    failing_total = 0
    with tempfile.TemporaryDirectory(prefix="kongres-scan-") as folder:
        work = Path(folder)
        site_dir = work / "site"
        site_dir.mkdir()
        print("scan: the demo behind nginx (deploy/), turned off for the scanners:")
        for relaxed in SCAN_RELAXED:
            print(f"  - {relaxed}")
        started = time.monotonic()
        try:
            with deployed.deployed(
                site_dir,
                nginx=nginx,
                openssl=openssl,
                settings="bench.scan_settings",
                env=env,
                setup=[["demo"]],
                ports=ports,
            ) as site:
                print(f"scan: serving {url} (nginx) -> 127.0.0.1:{site['app']} (kongres serve)")
                for tool, path in (("wapiti", wapiti), ("nikto", nikto)):
                    if path is None:
                        results.append(
                            f"target scan-{tool}: not run: {tool} is not installed "
                            "(`make scan` installs it as root where the apt sources have it)"
                        )
                        continue
                    if tool == "wapiti":
                        reports = run_wapiti(path, url, work, args)
                        # a finding of both passes (the same page) once
                        findings = list(
                            dict.fromkeys(f for r in reports for f in wapiti_findings(r))
                        )
                    else:
                        findings = nikto_findings(run_nikto(path, ports["https"], work, args))
                    lines, failing = summarise(tool, findings, allowlist)
                    print("\n".join(lines))
                    failing_total += failing
                    results.append(target(tool, failing))
        finally:
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for path in [*work.glob("wapiti-*.*"), *work.glob("nikto.*")]:
                    if path.is_file():
                        shutil.copy(path, args.keep / path.name)
                for name in ("app.log", "access.log", "error.log"):
                    if (site_dir / name).exists():
                        shutil.copy(site_dir / name, args.keep / name)
        print(f"scan: done in {time.monotonic() - started:.0f} s")
    print("\n".join(results))
    return 1 if failing_total else 0


if __name__ == "__main__":
    sys.exit(main())
