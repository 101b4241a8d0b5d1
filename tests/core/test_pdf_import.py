"""The site loads WeasyPrint (about 40 MB) only when a process makes its first PDF."""

import os
import subprocess
import sys

CODE = """
import sys
import kongres.wsgi  # the site, as an app server loads it: settings, apps, URLs
from django.urls import resolve
resolve("/")
print("weasyprint" in sys.modules)
from kongres.core.pdf import pdf_from_html
pdf = pdf_from_html("<html lang='pl'><title>t</title><p>x</p></html>")
print("weasyprint" in sys.modules, pdf[:5])
"""


def test_weasyprint_is_loaded_with_the_first_pdf_not_with_the_site(tmp_path):
    env = {
        **os.environ,
        "KONGRES_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kongres.settings",
    }
    env.pop("KONGRES_DATABASE_URL", None)
    result = subprocess.run(  # noqa: S603 -- this Python, a fixed script
        [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False", "True b'%PDF-'"]
