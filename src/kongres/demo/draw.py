"""``kongres demo --draw``: the demo edition switched to allocation by draw, with 2,000
invented applicants (names that say they are invented, addresses at ``example.invalid``,
which nothing delivers to), quotas, and the draw run, so that a newcomer sees the draw, its
public page, the back office's charts, and ``kongres draw verify`` confirming it. Running it
again changes nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kongres.events.models import Edition
from kongres.registration import seats
from kongres.registration.choices import Sector, Voivodeship
from kongres.registration.models import AllocationQuota, Draw, PriorityGroup, Registration
from kongres.registration.services.draw import allocation_configure, draw_run

APPLICANTS = 2000
# Uneven on purpose: most applicants from the host voivodeship and from local government,
# few NGOs, so that the quotas visibly change the result.
SECTOR_WEIGHTS = {
    Sector.LOCAL_GOVERNMENT: 8,
    Sector.PUBLIC_ADMINISTRATION: 4,
    Sector.SCIENCE: 3,
    Sector.BUSINESS: 3,
    Sector.NGO: 1,
    Sector.MEDIA: 1,
}
HOST = Voivodeship.MALOPOLSKIE


def _cycle(weights: dict) -> list:
    return [value for value, weight in weights.items() for _ in range(weight)]


def _days_chosen(edition: Edition, applicants) -> None:
    """The days each applicant chose, as the form asks: most both days, every fifth the
    first day only, every fifth the last day only (the per-day draw then has days to give)."""
    day_ids = list(edition.days.order_by("date").values_list("pk", flat=True))
    if not day_ids:
        return
    Chosen = Registration.days.through
    rows = []
    for number, pk in enumerate(applicants.order_by("pk").values_list("pk", flat=True)):
        chosen = {0: day_ids[:1], 1: day_ids[-1:]}.get(number % 5, day_ids)
        rows.extend(Chosen(registration_id=pk, day_id=day_id) for day_id in chosen)
    Chosen.objects.bulk_create(rows, batch_size=1000)


def demo_draw(*, edition: Edition, count: int = APPLICANTS) -> Draw:
    """Switch ``edition`` to a draw with ``count`` invented applicants and run it (once)."""
    done = Draw.objects.filter(edition=edition).first()
    if done is not None:
        return done
    now = timezone.now().replace(microsecond=0)
    closes = now - dt.timedelta(hours=1)
    allocation = allocation_configure(
        edition=edition,
        mode="draw",
        window_opens_at=closes - dt.timedelta(days=10),
        window_closes_at=closes,
        draw_at=closes,
    )
    AllocationQuota.objects.get_or_create(
        allocation=allocation, dimension="sector", value=Sector.NGO, defaults={"min_percent": 15}
    )
    AllocationQuota.objects.get_or_create(
        allocation=allocation, dimension="voivodeship", value=HOST, defaults={"max_percent": 40}
    )
    sectors = _cycle(SECTOR_WEIGHTS)
    others = [v for v in Voivodeship.values if v != HOST]
    have = Registration.objects.filter(edition=edition, email__endswith="@example.invalid")
    start = have.count()
    Registration.objects.bulk_create(
        (
            Registration(
                edition=edition,
                status=Registration.Status.WAITING,
                email=f"zgloszenie-demo-{n:04d}@example.invalid",
                email_key=f"zgloszenie-demo-{n:04d}@example.invalid",
                first_name="Zmyślona",
                last_name=f"Osoba Demo {n:04d}",
                institution="Instytucja Przykładowa (demo)",
                sector=sectors[(n * 7) % len(sectors)],
                voivodeship=HOST if n % 2 else others[(n // 2) % len(others)],
                language="en" if n % 6 == 0 else "pl",
                verified_at=closes - dt.timedelta(days=9, seconds=-n * 300),
                privacy_consent_at=closes - dt.timedelta(days=9),
                privacy_notice_version="demo",
            )
            for n in range(start + 1, count + 1)
        ),
        batch_size=500,
    )
    _days_chosen(edition, have.filter(days__isnull=True))
    seats.pools_create(edition.pk)
    PriorityGroup.objects.get_or_create(
        allocation=allocation,
        name="Prelegenci i ich współpracownicy (demo)",
        defaults={"tier": 1, "emails": "zgloszenie-demo-0007@example.invalid"},
    )
    return draw_run(edition=edition, now=now)
