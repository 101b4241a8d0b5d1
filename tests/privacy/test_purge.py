"""``kongres purge``: a dry run by default, then erasure of the editions that ended more than N
days ago only, with a progress bar on stderr and a summary."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kongres.audit.models import AuditLogEntry
from kongres.orga import dashboard
from kongres.registration.models import Registration
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory

pytestmark = pytest.mark.django_db


def _edition_ended(days_ago: int | None, people: int, slug: str):
    """An edition with ``people`` confirmed registrations, whose last day was ``days_ago`` days
    ago (None: it is still to come)."""
    edition = EditionFactory(slug=slug, capacity=None)
    day = DayFactory(edition=edition)
    for n in range(people):
        RegistrationFactory(
            edition=edition,
            verified=True,
            data__email=f"{slug}-{n}@example.org",
            data__last_name=f"Nazwisko-{slug}-{n}",
            data__day_ids=[day.pk],
        )
    if days_ago is not None:
        end = timezone.localdate() - dt.timedelta(days=days_ago)
        type(edition).objects.filter(pk=edition.pk).update(
            start_date=end - dt.timedelta(days=1), end_date=end
        )
        edition.days.update(date=end)
        edition.refresh_from_db()
    return edition


@pytest.fixture
def editions():
    return {
        "old": _edition_ended(400, 3, "stara"),
        "recent": _edition_ended(100, 2, "niedawna"),
        "coming": _edition_ended(None, 1, "przyszla"),
    }


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("purge", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _personal():
    return sorted(Registration.objects.values_list("email", "first_name", "last_name"))


def test_dry_run_by_default_changes_nothing(editions):
    before = _personal()
    entries = AuditLogEntry.objects.count()
    out, err = _run()
    assert out.splitlines() == [
        f"stara (ended {editions['old'].end_date}): 3 to erase",
        "Dry run: 3 registrations in 1 editions would be erased; nothing changed. "
        "Run again with --execute to erase them.",
    ]
    assert err == ""
    assert _personal() == before
    assert AuditLogEntry.objects.count() == entries


def test_execute_erases_only_editions_ended_more_than_n_days_ago(editions):
    counts = dashboard.dashboard_counts(edition=editions["old"]).counts
    out, err = _run("--after-days", "200", "--execute")
    lines = out.splitlines()
    assert lines[0] == f"stara (ended {editions['old'].end_date}): 3 to erase"
    assert lines[1].startswith("Erased 3 registrations in 1 editions in ")
    assert err.endswith("\r  3/3 100%\n")
    assert err.startswith("\r  0/3 0%")
    old = Registration.objects.filter(edition=editions["old"])
    assert {r.email for r in old} == {f"erased-{r.pk}@erased.invalid" for r in old}
    assert {r.last_name for r in old} == {""}
    assert dashboard.dashboard_counts(edition=editions["old"]).counts == counts
    for key in ("recent", "coming"):
        kept = Registration.objects.filter(edition=editions[key])
        assert all(r.email.endswith("@example.org") for r in kept), key
    erase = AuditLogEntry.objects.filter(action="registration.erase")
    assert erase.count() == 3
    assert set(erase.values_list("note", flat=True)) == {"kongres purge --after-days 200"}
    assert set(erase.values_list("actor", flat=True)) == {None}
    # again: nothing left to erase
    out, err = _run("--after-days", "200", "--yes")
    assert out.splitlines()[0] == f"stara (ended {editions['old'].end_date}): 0 to erase"
    assert out.splitlines()[1].startswith("Erased 0 registrations in 1 editions")
    assert err == ""


def test_shorter_period_and_one_edition(editions):
    out, _err = _run("--after-days", "30", "--edition", "niedawna", "--execute")
    assert out.splitlines()[0] == f"niedawna (ended {editions['recent'].end_date}): 2 to erase"
    assert Registration.objects.filter(email__endswith="@erased.invalid").count() == 2
    assert not Registration.objects.filter(
        edition=editions["old"], email__endswith="@erased.invalid"
    ).exists()


def test_errors_in_one_line(editions):
    with pytest.raises(CommandError, match=r"^no edition with the slug 'nie-ma'$"):
        _run("--edition", "nie-ma")
    with pytest.raises(CommandError, match=r"ended on .*, not more than 365 days ago"):
        _run("--edition", "niedawna", "--execute")
    with pytest.raises(CommandError, match=r"ended on .*, not more than 365 days ago"):
        _run("--edition", "przyszla")
    with pytest.raises(CommandError, match="--after-days must be 0 or more"):
        _run("--after-days", "-1")
    assert not Registration.objects.filter(email__endswith="@erased.invalid").exists()
