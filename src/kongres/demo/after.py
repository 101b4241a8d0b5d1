"""``kongres demo --after``: the demo edition as it is after the congress. The loader puts the
congress two days back (it ended yesterday); then each step of ``AFTER_STEPS`` runs in turn
and says in one line what it did:

* ``participants_step``: invented participants (names that say so, "Uczestnik Demo 001", and
  addresses at ``example.invalid``, which nothing delivers to), confirmed, with tickets, and
  checked in at the door on one or both days (a few did not come);
* ``certificates_step``: their certificates of attendance issued (and mailed through the
  outbox, as after a real congress);
* ``feedback_step``: the feedback survey opened, the participants invited, about two thirds of
  them answered (``demo/feedback.py``), and a link not used yet printed to try;
* ``scheduled_step``: the planned mails (``demo/plans.py``) whose time has come sent through
  the outbox, the thank-you only to those who came (it goes at noon the day after the last
  day: until then it says to how many it will go).

Other parts of the "after the event" demo (materials, the survey, …) add a step: a function
``(*, edition) -> str`` appended to ``AFTER_STEPS``. Every step must change nothing when run
again. The participants are registered by an organiser account made for the purpose,
``demo-after`` (inactive, no password: nobody can log in with it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from kongres.checkin.certificates import certificates_issue_edition
from kongres.checkin.models import Certificate, CheckIn, Gate
from kongres.checkin.services import checkin_perform
from kongres.demo.feedback import demo_feedback_load
from kongres.demo.loader import DAYS_BEFORE_CONGRESS
from kongres.demo.plans import scheduled_step
from kongres.events.models import Edition
from kongres.registration.links import link_token
from kongres.registration.models import Registration
from kongres.registration.services import RegistrationData, registration_create
from kongres.registration.tickets import ticket_for_registration

# The loader's "today" for --after: the congress (40 and 41 days after it) ended yesterday.
AFTER_DAYS = DAYS_BEFORE_CONGRESS + 2
PARTICIPANTS = 60
EMAIL = "uczestnik-demo-{n:03d}@example.invalid"
ACTOR = "demo-after"
GATE = "Wejście główne (demo)"
SECTORS = ["local_government", "public_administration", "science", "business", "ngo"]


def demo_after_today(*, today: dt.date) -> dt.date:
    """The day the loader takes as today, so that the congress ended yesterday."""
    return today - dt.timedelta(days=AFTER_DAYS)


def _actor():
    user, created = get_user_model().objects.get_or_create(
        username=ACTOR, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _days_attended(n: int, days: list) -> list:
    """Who came when: most on both days, some on one, every tenth not at all."""
    if n % 10 == 0:
        return []
    if n % 4 == 1:
        return days[:1]
    if n % 4 == 2:
        return days[-1:]
    return days


def participants_step(*, edition: Edition, count: int = PARTICIPANTS) -> str:
    """``count`` invented participants, registered for both days, checked in as they came."""
    actor = _actor()
    days = list(edition.days.order_by("date"))
    gate, _created = Gate.objects.get_or_create(edition=edition, name=GATE)
    have = set(
        Registration.objects.filter(edition=edition, email__endswith="@example.invalid")
        .filter(email__startswith="uczestnik-demo-")
        .values_list("email", flat=True)
    )
    added = scans = 0
    for n in range(1, count + 1):
        email = EMAIL.format(n=n)
        if email in have:
            registration = Registration.objects.get(edition=edition, email=email)
        else:
            registration, _token = registration_create(
                edition=edition,
                data=RegistrationData(
                    first_name="Uczestnik" if n % 2 else "Uczestniczka",
                    last_name=f"Demo {n:03d}",
                    email=email,
                    institution="Instytucja Przykładowa (demo)",
                    sector=SECTORS[n % len(SECTORS)],
                    day_ids=[day.pk for day in days],
                    privacy_consent=True,
                    language="en" if n % 5 == 0 else "pl",
                ),
                actor=actor,
                over_capacity=True,
            )
            added += 1
        ticket = ticket_for_registration(registration=registration)
        for day in _days_attended(n, days):
            at = timezone.make_aware(
                dt.datetime.combine(day.date, dt.time(8, 30)) + dt.timedelta(seconds=40 * n)
            )
            result = checkin_perform(
                code=ticket.code,
                day=day,
                gate=gate,
                staff=actor,
                nonce=f"demo-after-{registration.pk}-{day.pk}",
                at=at,
                device="demo",
            )
            scans += not result.repeated
    came = (
        CheckIn.objects.filter(edition=edition, result=CheckIn.Result.OK, gate=gate)
        .values("registration")
        .distinct()
        .count()
    )
    return f"Participants: {added} added, {scans} scans recorded; {came} came (demo)"


def certificates_step(*, edition: Edition) -> str:
    report = certificates_issue_edition(edition=edition, actor=None)
    example = (
        Certificate.objects.filter(edition=edition, status=Certificate.Status.VALID)
        .select_related("registration", "edition")
        .order_by("number")
        .first()
    )
    line = f"Certificates: {report.issued} issued, {report.reissued} re-issued"
    if example is not None:
        token = link_token(registration=example.registration)
        with translation.override(example.registration.language):  # the person's own language
            manage = reverse("registration:manage", kwargs={"token": token})
            verify = example.get_absolute_url()
        line += (
            f"\n  personal page: {settings.SITE_URL}{manage}"
            f"\n  verification:  {settings.SITE_URL}{verify}"
        )
    return line


def feedback_step(*, edition: Edition) -> str:
    result = demo_feedback_load(edition=edition)
    line = (
        f"Survey: {result.invited} invited, {result.answered} answered "
        f"({len(result.links)} links left to try)"
    )
    if result.links:
        line += f"\n  survey link:   {result.links[0]}"
    return line


AFTER_STEPS: list[Callable[..., str]] = [
    participants_step,
    certificates_step,
    feedback_step,
    scheduled_step,
]


@dataclass(frozen=True)
class AfterResult:
    lines: list[str]


def demo_after(*, edition: Edition) -> AfterResult:
    """Run every step of ``AFTER_STEPS`` on the (already loaded) demo edition."""
    return AfterResult(lines=[step(edition=edition) for step in AFTER_STEPS])
