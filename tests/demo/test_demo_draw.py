"""``kongres demo --draw``: the demo edition in draw mode with invented applicants, the draw
run once, its quotas reached, and ``kongres draw verify`` confirming it."""

from collections import Counter
from io import StringIO

from django.core.management import call_command

from kongres.demo.draw import demo_draw
from kongres.events.models import Edition
from kongres.registration.models import Draw, Registration


def test_demo_draw_runs_once_and_verifies(db):
    call_command("demo", stdout=StringIO())
    edition = Edition.objects.get(ordinal=4)
    draw = demo_draw(edition=edition, count=300)
    entries = draw.entries.all()
    assert entries.count() == 300
    placed = entries.filter(outcome="place")
    assert placed.count() == min(300, draw.places)
    sectors = Counter(placed.values_list("sector", flat=True))
    voivodeships = Counter(placed.values_list("voivodeship", flat=True))
    assert sectors["ngo"] >= min(-(-draw.places * 15 // 100), entries.filter(sector="ngo").count())
    assert voivodeships["malopolskie"] <= draw.places * 40 // 100
    # every applicant chose days, as the form asks: the per-day draw gave days to the placed
    applicants = Registration.objects.filter(edition=edition, email__endswith="@example.invalid")
    assert not applicants.filter(days__isnull=True).exists()
    day_ids = set(edition.days.values_list("pk", flat=True))
    chosen = Counter(applicants.values_list("days", flat=True))
    assert set(chosen) == day_ids and len(day_ids) == 2
    assert all(set(entry.days_given) <= day_ids for entry in placed)
    assert sum(bool(entry.days_given) for entry in placed) == placed.count()
    names = Registration.objects.filter(edition=edition).values_list("last_name", flat=True)
    assert all("Demo" in name for name in names)
    # again: nothing changes
    assert demo_draw(edition=edition, count=300).pk == draw.pk
    assert Draw.objects.count() == 1
    out = StringIO()
    call_command("draw", "verify", edition.slug, "--seed", draw.seed, stdout=out)
    assert out.getvalue().startswith("match")
