"""The systemd units of deploy/systemd/ are valid and agree with the nginx site and the example
configuration (one port, one data folder, one trusted proxy)."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from bench.topology import WORKER_CPU_WEIGHT
from tests.deploy.conftest import tool

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ["kongres-web.service", "kongres-worker.service", "kongres-worker@.service"]
INSTALLED = "/opt/kongres/.venv/bin/kongres"


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = tool("systemd-analyze", "systemd")
    kongres = Path(sys.executable).parent / "kongres"
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        assert f"ExecStart={INSTALLED} " in text
        (tmp_path / name).write_text(text.replace(INSTALLED, str(kongres)))
    result = subprocess.run(  # noqa: S603 -- a fixed command on our files
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # not even a warning


def test_units_nginx_and_example_agree():
    web = (DEPLOY / "systemd" / "kongres-web.service").read_text()
    worker = (DEPLOY / "systemd" / "kongres-worker.service").read_text()
    nginx = (DEPLOY / "nginx" / "kongres.conf").read_text()
    config = tomllib.loads((DEPLOY / "kongres.toml.example").read_text())

    serve = re.search(r"^ExecStart=\S+ serve --host (\S+) --port (\d+)$", web, re.MULTILINE)
    assert serve, "the web unit runs kongres serve --host H --port P"
    assert f"server {serve[1]}:{serve[2]};" in nginx  # nginx's upstream is that server
    assert re.search(r"^ExecStart=\S+ worker$", worker, re.MULTILINE)
    # the workers run below the web server by a weight (a niceness counts only inside the
    # service's own group), and the production bench runs them so too
    assert f"\nCPUWeight={WORKER_CPU_WEIGHT}\n" in worker
    assert "\nCPUWeight=" not in web
    assert "\nNice=" not in worker + web
    # more workers leave the periodic jobs to that one, each with a name of its own
    more = (DEPLOY / "systemd" / "kongres-worker@.service").read_text()
    assert re.search(r"^ExecStart=\S+ worker --no-scheduler --worker-id %H-%i$", more, re.MULTILINE)
    assert more.split("[Service]")[1] == worker.split("[Service]")[1].replace(
        " worker\n", " worker --no-scheduler --worker-id %H-%i\n"
    )
    assert serve[1] in config["trusted_proxies"]  # and the app believes nginx there

    data_dir = config["data_dir"]
    for unit in (web, worker):
        assert f"StateDirectory={Path(data_dir).name}\n" in unit
        assert f"WorkingDirectory={data_dir}\n" in unit
        for setting in (
            "User=kongres",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "Restart=on-failure",
        ):
            assert f"\n{setting}\n" in unit, setting
    assert data_dir == "/var/lib/" + Path(data_dir).name  # where StateDirectory= puts it
    assert f"alias {data_dir}/static/;" in nginx
    assert f"alias {data_dir}/media/;" in nginx
    host = config["site_url"].removeprefix("https://")
    assert config["allowed_hosts"] == [host]
    assert nginx.count(f"server_name {host};") == 2
