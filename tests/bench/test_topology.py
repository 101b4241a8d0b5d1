"""bench/topology.py's copy of deploy/nginx/kongres.conf: what it changes, and that nginx takes
it (``nginx -t``). The whole topology runs in tests/bench/test_faults.py."""

import subprocess

from bench.topology import nginx_conf, site_text
from tests.deploy.conftest import tool


def test_the_site_is_deploys_with_two_app_servers_and_plain_http(tmp_path):
    text = site_text(port=8081, app_ports=[9001, 9002], data_dir=tmp_path)

    assert "    server 127.0.0.1:9001;\n    server 127.0.0.1:9002;\n" in text
    assert "listen 127.0.0.1:8081;" in text
    directives = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert [line for line in directives if "ssl" in line or line.startswith("listen")] == [
        "listen 127.0.0.1:8081;"
    ]
    assert f"alias {tmp_path}/static/;" in text
    # as deploy/ has it: the visitor's address forwarded, the flood guard on every request
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "limit_req zone=kongres_flood burst=1000 nodelay;" in text
    # counted per address, except wrk's 127.0.0.1
    assert "limit_req_zone $kongres_flood_key zone=kongres_flood:10m rate=50r/s;" in text
    assert '    default $binary_remote_addr;\n    127.0.0.1 "";\n' in text


def test_nginx_accepts_the_rendered_site(tmp_path):
    nginx = tool("nginx", "nginx")
    site = tmp_path / "kongres.conf"
    site.write_text(site_text(port=8081, app_ports=[9001, 9002], data_dir=tmp_path))
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(tmp_path, site))

    tested = subprocess.run(  # noqa: S603 - nginx with our configuration
        [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log"), "-t"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert tested.returncode == 0, tested.stderr
