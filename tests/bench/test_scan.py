"""bench/scan.py's verdict on the scanners' reports (`make scan` itself runs the scanners for
minutes: it is not part of the suite). The reports are in wapiti 3's JSON format, as written by
the Debian package (levels 0 info to 4 critical), and nikto's."""

import pytest

from bench import scan


def wapiti_report(**sections: dict) -> dict:
    """A report with wapiti's sections; each item as wapiti writes it."""
    report = {"vulnerabilities": {}, "anomalies": {}, "additionals": {}, "infos": {}}
    for section, categories in sections.items():
        for category, items in categories.items():
            report[section][category] = [
                {
                    "method": "GET",
                    "path": "/",
                    "info": "",
                    "level": 1,
                    "parameter": "",
                    "http_request": "GET / HTTP/1.1",
                    "curl_command": 'curl "https://127.0.0.1/"',
                }
                | item
                for item in items
            ]
    return report


XSS = {"path": "/rejestracja/", "method": "POST", "parameter": "town", "level": 3,
       "info": "XSS vulnerability found via injection in the parameter town"}  # fmt: skip
NO_XSS_HEADER = {"info": "X-XSS-Protection is not set", "level": 1}


def test_a_finding_of_medium_or_higher_fails_the_scan():
    report = wapiti_report(
        vulnerabilities={"Cross Site Scripting": [XSS], "HTTP Secure Headers": [NO_XSS_HEADER]},
        anomalies={"Internal Server Error": [{"path": "/program/", "level": 2}]},
        additionals={"Fingerprint web technology": [{"info": "nginx", "level": 0}]},
    )
    findings = scan.wapiti_findings(report)
    lines, failing = scan.summarise("wapiti", findings, [])

    assert failing == 2
    assert lines == [
        "wapiti: 4 findings: 0 critical, 1 high, 1 medium, 1 low, 1 info",
        "  FAILS    high     Cross Site Scripting: POST /rejestracja/ [town]: "
        "XSS vulnerability found via injection in the parameter town",
        "  FAILS    medium   Internal Server Error: GET /program/: ",
        "  below    low      HTTP Secure Headers: GET /: X-XSS-Protection is not set",
        "  below    info     Fingerprint web technology: GET /: nginx",
    ]
    assert scan.target("wapiti", failing) == (
        "target scan-wapiti: 2 findings of medium or higher (goal 0) missed"
    )


def test_an_allowed_finding_is_shown_with_its_reason_and_does_not_fail():
    report = wapiti_report(vulnerabilities={"Cross Site Scripting": [XSS, XSS | {"path": "/x/"}]})
    allowlist = [
        {"tool": "wapiti", "category": "Cross Site Scripting", "path": "/rej*", "reason": "why"},
        {"tool": "wapiti", "category": "Open Redirect", "reason": "not met"},
    ]
    lines, failing = scan.summarise("wapiti", scan.wapiti_findings(report), allowlist)

    assert failing == 1  # /x/ is outside the entry's path
    assert lines[1:3] == [
        "  allowed  high     Cross Site Scripting: POST /rejestracja/ [town]: "
        f"{XSS['info']}\n           because: why",
        f"  FAILS    high     Cross Site Scripting: POST /x/ [town]: {XSS['info']}",
    ]
    assert lines[-1] == "  (allow-list entry not met this time: Open Redirect)"
    assert scan.target("wapiti", 0).endswith("(goal 0) met")


def test_an_allow_list_entry_matches_its_text_only_when_given():
    finding = scan.wapiti_findings(
        wapiti_report(vulnerabilities={"HTTP Secure Headers": [NO_XSS_HEADER | {"level": 2}]})
    )[0]
    entry = {"tool": "wapiti", "category": "HTTP Secure Headers", "reason": "r"}
    assert scan.allowed_by(finding, [entry | {"info": "X-XSS-Protection"}]) is not None
    assert scan.allowed_by(finding, [entry | {"info": "X-Frame-Options"}]) is None
    assert scan.allowed_by(finding, [entry | {"tool": "nikto"}]) is None
    assert scan.allowed_by(finding, [entry | {"path": "/"}]) is not None
    assert scan.allowed_by(finding, [entry | {"path": "/x"}]) is None


def test_every_nikto_item_counts_as_medium():
    # a CSV report as Debian's nikto 2.1.5 writes it (a title line first); later versions add a
    # header line
    report = (
        '"Nikto - v2.1.5/2.1.5"\n'
        '"hostname","ip","port","references","method","uri","message"\n'
        '"127.0.0.1","127.0.0.1","443","OSVDB-0","GET","/",'
        '"Retrieved x-powered-by header:  kongres"\n'
    )
    # and a line as 2.1.5 breaks it, the banner line (information)
    report += (
        '"localhost","127.0.0.1SCALAR(0x558117f6dfe8)"59977","OSVDB-0","GET","/",'
        '"The anti-clickjacking X-Frame-Options header is not present."\n'
        '"localhost","127.0.0.1","59977","","","","nginx"\n'
    )
    findings = scan.nikto_findings(report)
    assert findings[1:] == [
        scan.Finding(
            tool="nikto",
            severity="medium",
            category="nikto OSVDB-0",
            method="GET",
            path="/",
            parameter="",
            info="The anti-clickjacking X-Frame-Options header is not present.",
        ),
        scan.Finding(
            tool="nikto",
            severity="info",
            category="nikto ?",
            method="",
            path="",
            parameter="",
            info="nginx",
        ),
    ]
    findings = findings[:1]
    assert findings == [
        scan.Finding(
            tool="nikto",
            severity="medium",
            category="nikto OSVDB-0",
            method="GET",
            path="/",
            parameter="",
            info="Retrieved x-powered-by header: kongres",
        )
    ]
    assert scan.summarise("nikto", findings, [])[1] == 1


def test_the_repository_allow_list_gives_a_reason_for_every_entry(tmp_path):
    entries = scan.load_allowlist(scan.ALLOWLIST)
    assert entries and all(len(entry["reason"]) > 40 for entry in entries)

    bad = tmp_path / "allow.toml"
    bad.write_text('[[allow]]\ntool = "wapiti"\ncategory = "SQL Injection"\nreason = " "\n')
    with pytest.raises(ValueError, match="needs tool, category and a reason"):
        scan.load_allowlist(bad)
    bad.write_text('[[allow]]\ntool = "wapiti"\ncategory = "X"\nreason = "r"\nurl = "/"\n')
    with pytest.raises(ValueError, match=r"unknown: \['url'\]"):
        scan.load_allowlist(bad)
