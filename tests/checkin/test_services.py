"""Tickets and check-in through the services: codes, re-issue, every refusal, idempotency by
nonce, once per day, and two gates at the same moment."""

import datetime as dt
import re
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from kongres.accounts.models import EditionRole
from kongres.accounts.services import role_revoke
from kongres.checkin.models import CheckIn
from kongres.checkin.selectors import checkin_access_edition, checkin_counts
from kongres.checkin.services import CheckinError, checkin_perform
from kongres.registration.exceptions import RegistrationError
from kongres.registration.models import Ticket
from kongres.registration.services import (
    edition_capacity_change,
    registration_cancel,
    ticket_reissue,
)
from kongres.registration.tickets import ticket_for_registration, ticket_issue, ticket_revoke
from tests.factories import EditionFactory

pytestmark = pytest.mark.django_db


def scan(code, day, staff, nonce, gate=None, **kwargs):
    return checkin_perform(code=code, day=day, gate=gate, staff=staff, nonce=nonce, **kwargs)


def test_ticket_code_is_random_base32_without_personal_data(register):
    registration = register(first_name="Zofia", last_name="Żółć")
    ticket = ticket_issue(registration=registration)
    assert re.fullmatch(r"[A-Z2-7]{32}", ticket.code)
    assert str(registration.pk) not in ticket.code
    assert "ZOFIA" not in ticket.code
    other = ticket_issue(registration=register())
    assert other.code != ticket.code


def test_ticket_issue_and_lazy_get_are_idempotent(register):
    registration = register()
    first = ticket_for_registration(registration=registration)
    assert ticket_issue(registration=registration) == first
    assert ticket_for_registration(registration=registration) == first
    assert Ticket.objects.filter(registration=registration).count() == 1


def test_no_ticket_for_the_waiting_list(edition, register):
    edition_capacity_change(edition=edition, capacity=1)
    register()
    waiting = register(over_capacity=False)
    assert waiting.status == "waiting"
    with pytest.raises(RegistrationError) as error:
        ticket_for_registration(registration=waiting)
    assert error.value.code == "not_confirmed"


def test_checkin_green_then_already_checked_in_with_when_where_who(
    register, day1, gates, staff, organiser
):
    registration = register(first_name="Zofia", last_name="Żółć")
    code = ticket_for_registration(registration=registration).code
    # a time earlier today: a time in the future is clamped to now (clock skew), so a fixed hour
    # of the day would fail before that hour
    at = (timezone.now() - dt.timedelta(minutes=17)).replace(second=0, microsecond=0)
    green = scan(code, day1, staff, "n-1", gate=gates[1], at=at)
    assert (green.ok, green.reason, green.repeated) == (True, "ok", False)
    assert green.as_json()["name"] == "Zofia Żółć"
    assert green.as_json()["institution"] == "Urząd Miasta Krakowa"

    red = scan(code, day1, organiser, "n-2", gate=gates[0])
    assert (red.ok, red.reason) == (False, "already_checked_in")
    local = at.astimezone(timezone.get_current_timezone())
    with translation.override("pl"):
        assert red.headline == "Już zarejestrowano wejście"
        assert f"o {local:%H:%M}, Brama 2, przez Piotr Bramkarz" in red.detail
    with translation.override("en"):
        assert red.headline == "Already checked in"
        assert f"at {local:%H:%M}, Brama 2, by Piotr Bramkarz." in red.detail
    assert red.as_json()["previous"]["gate"] == "Brama 2"
    assert red.as_json()["previous"]["staff"] == "Piotr Bramkarz"
    assert CheckIn.objects.filter(registration=registration, result="ok").count() == 1
    assert CheckIn.objects.filter(registration=registration).count() == 2


def test_checked_in_again_on_the_next_day(register, day1, day2, staff):
    code = ticket_for_registration(registration=register()).code
    assert scan(code, day1, staff, "a").ok
    assert scan(code, day2, staff, "b").ok


def test_same_nonce_gets_the_first_answer_and_one_row(register, day1, gates, staff):
    code = ticket_for_registration(registration=register()).code
    first = scan(code, day1, staff, "same", gate=gates[0])
    again = scan(code, day1, staff, "same", gate=gates[0])
    assert (first.reason, again.reason) == ("ok", "ok")
    assert again.repeated is True
    assert again.checkin.pk == first.checkin.pk
    assert CheckIn.objects.count() == 1


def test_resent_refusal_is_answered_like_the_first(day1, staff):
    first = scan("NOSUCHCODE", day1, staff, "x1")
    again = scan("NOSUCHCODE", day1, staff, "x1")
    assert (first.reason, again.reason, again.repeated) == ("unknown", "unknown", True)
    assert CheckIn.objects.count() == 1


def test_typed_code_in_groups_and_lower_case_is_accepted(register, day1, staff):
    ticket = ticket_for_registration(registration=register())
    typed = " " + ticket.code_grouped.lower() + " "
    assert scan(typed, day1, staff, "t").ok


def test_unknown_code(day1, staff):
    result = scan("AAAABBBBCCCC", day1, staff, "u")
    assert result.reason == "unknown"
    with translation.override("pl"):
        assert result.headline == "Nieznany kod"
    assert result.as_json()["name"] == ""


def test_cancelled_registration_is_refused_at_once_even_with_an_active_ticket(
    register, day1, staff, organiser
):
    registration = register(first_name="Jan")
    ticket = ticket_for_registration(registration=registration)
    registration_cancel(registration=registration, actor=organiser)
    ticket.refresh_from_db()
    assert ticket.is_active  # nobody revoked it: the status is checked at the scan
    result = scan(ticket.code, day1, staff, "c")
    assert (result.ok, result.reason) == (False, "cancelled")
    with translation.override("pl"):
        assert result.headline == "Rejestracja anulowana"


def test_revoked_ticket_of_a_cancelled_registration_says_cancelled(
    register, day1, staff, organiser
):
    registration = register()
    code = ticket_for_registration(registration=registration).code
    registration_cancel(registration=registration, actor=organiser)
    assert ticket_revoke(registration=registration) == 1
    assert scan(code, day1, staff, "rc").reason == "cancelled"


def test_reissued_ticket_has_a_new_code_and_the_old_one_is_refused(register, day1, staff):
    registration = register()
    old = ticket_for_registration(registration=registration)
    new = ticket_reissue(registration=registration)
    assert new.code != old.code
    assert ticket_for_registration(registration=registration) == new
    refused = scan(old.code, day1, staff, "old")
    assert (refused.ok, refused.reason) == (False, "revoked")
    with translation.override("en"):
        assert refused.detail == "This ticket was replaced by a new one. Ask for the new ticket."
    assert scan(new.code, day1, staff, "new").ok


def test_old_ticket_does_not_let_the_person_in_twice(register, day1, staff):
    registration = register()
    old = ticket_for_registration(registration=registration)
    assert scan(old.code, day1, staff, "1").ok
    new = ticket_reissue(registration=registration)
    assert scan(new.code, day1, staff, "2").reason == "already_checked_in"


def test_waiting_list_is_refused(edition, register, day1, staff):
    edition_capacity_change(edition=edition, capacity=1)
    register()
    waiting = register(first_name="Ewa", over_capacity=False)
    result = checkin_perform(registration=waiting, day=day1, gate=None, staff=staff, nonce="w")
    assert (result.ok, result.reason) == (False, "waiting_list")
    assert result.as_json()["name"].startswith("Ewa ")


def test_not_registered_for_this_day(register, day1, day2, staff):
    code = ticket_for_registration(registration=register(days=[day2])).code
    result = scan(code, day1, staff, "d1")
    assert result.reason == "not_today"
    with translation.override("pl"):
        assert result.headline == "Brak rejestracji na dziś"
    assert scan(code, day2, staff, "d2").ok


def test_ticket_of_another_edition(register, day1, staff, organiser):
    other = EditionFactory()
    code = ticket_for_registration(registration=register(on=other)).code
    result = scan(code, day1, staff, "o")
    assert result.reason == "other_edition"
    assert result.as_json()["name"] == ""


def test_nonce_is_required_and_gate_must_be_of_the_edition(register, day1, staff):
    with pytest.raises(CheckinError) as error:
        scan("X", day1, staff, "  ")
    assert error.value.code == "invalid"
    from kongres.checkin.models import Gate

    foreign = Gate.objects.create(edition=EditionFactory(), name="Obca")
    with pytest.raises(CheckinError):
        scan("X", day1, staff, "g", gate=foreign)


def test_time_from_a_clock_far_ahead_is_not_believed(register, day1, staff):
    code = ticket_for_registration(registration=register()).code
    result = scan(code, day1, staff, "f", at=timezone.now() + dt.timedelta(days=3))
    assert result.checkin.scanned_at <= timezone.now() + dt.timedelta(minutes=5)


def test_counts_for_the_day(register, day1, day2, staff):
    everyday = register()
    register(days=[day1])
    register(days=[day2])
    assert checkin_counts(day=day1).as_json() == {
        "day": day1.pk,
        "checked_in": 0,
        "expected": 2,
    }
    scan(ticket_for_registration(registration=everyday).code, day1, staff, "c1")
    assert (checkin_counts(day=day1).checked_in, checkin_counts(day=day1).expected) == (1, 2)
    assert (checkin_counts(day=day2).checked_in, checkin_counts(day=day2).expected) == (0, 2)


def test_access_only_for_checkin_staff_admins_and_superusers(edition, staff, organiser):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    assert checkin_access_edition(user=staff, edition=edition) == edition
    assert checkin_access_edition(user=organiser, edition=edition) == edition
    stranger = get_user_model().objects.create_user(username="obcy", password="x")
    for user in (stranger, AnonymousUser()):
        with pytest.raises(CheckinError) as error:
            checkin_access_edition(user=user, edition=edition)
        assert error.value.code == "forbidden"
    with pytest.raises(CheckinError):
        checkin_access_edition(user=staff, edition=EditionFactory())
    users = get_user_model().objects
    for role, allowed in ((EditionRole.Role.ADMIN, True), (EditionRole.Role.EDITOR, False)):
        user = users.create_user(username=role, password="x")
        EditionRole.objects.create(edition=edition, user=user, role=role)
        if allowed:
            assert checkin_access_edition(user=user, edition=edition) == edition
        else:
            with pytest.raises(CheckinError):
                checkin_access_edition(user=user, edition=edition)
    role_revoke(role=EditionRole.objects.get(edition=edition, user=staff), actor=organiser)
    staff = get_user_model().objects.get(pk=staff.pk)  # a fresh cache of roles
    with pytest.raises(CheckinError):
        checkin_access_edition(user=staff, edition=edition)


@pytest.mark.django_db(transaction=True)
def test_two_gates_scanning_one_ticket_at_the_same_moment_make_one_checkin(
    register, day1, gates, staff
):
    code = ticket_for_registration(registration=register()).code
    barrier = threading.Barrier(2)
    answers = {}

    def gate(index):
        try:
            barrier.wait()
            answers[index] = scan(code, day1, staff, f"gate-{index}", gate=gates[index]).reason
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=gate, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values()) == ["already_checked_in", "ok"]
    assert CheckIn.objects.filter(result="ok").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_nonce_sent_twice_at_the_same_moment_is_one_row(register, day1, staff):
    code = ticket_for_registration(registration=register()).code
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            barrier.wait()
            answers.append(scan(code, day1, staff, "twice").reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["ok", "ok"]
    assert CheckIn.objects.count() == 1
