"""The demo has a past edition in the archive, with a programme and an approved material."""

from __future__ import annotations

import io

from django.core.files.storage import storages
from django.core.management import call_command

from kongres.core.validators import check_material_file
from kongres.materials.models import Material


def test_demo_has_a_past_edition_with_materials(client, db):
    call_command("demo", stdout=io.StringIO())
    call_command("demo", stdout=io.StringIO())  # again: nothing more
    assert list(Material.objects.values_list("kind", "state")) == [
        ("document", "published"),
        ("link", "published"),
    ]
    slides = Material.objects.get(kind="document")
    with storages["materials"].open(slides.file.name) as stored:
        stored.name = "slajdy.pdf"
        stored.size = slides.size
        assert check_material_file(stored).name == "pdf"
    archive = client.get("/archiwum/").text
    assert 'href="/archiwum/iii-kongres/"' in archive
    programme = client.get("/archiwum/iii-kongres/program/").text
    assert "Panel: rewitalizacja miast średnich (demo)" in programme
    session = client.get("/archiwum/iii-kongres/program/rewitalizacja-2025/").text
    assert "Slajdy: rewitalizacja miast średnich (demo)" in session and "PDF" in session
    assert "IV Kongres" in client.get("/").text  # the demo edition stays the current one
