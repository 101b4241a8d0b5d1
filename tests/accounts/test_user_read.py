"""The signed-in user of a request comes with what every staff page asks of it
(``accounts.backends.ThrottledModelBackend.get_user``): whether it must give a second factor
(tests/accounts/test_two_factor.py) and its roles in the editions, which ``roles_of`` then
answers without the database, as it answers them with it. Both are kept in the shared cache
(``roles.access_of``) until a role, a device or a setting changes."""

import pytest
from django.contrib.auth import get_user_model

from kongres.accounts.backends import ThrottledModelBackend
from kongres.accounts.models import EditionRole
from kongres.accounts.roles import ALL_ROLES, role_can, roles_of
from tests.factories import EditionFactory

pytestmark = pytest.mark.django_db
Role = EditionRole.Role


def test_roles_read_with_the_user_are_those_the_database_gives(django_assert_num_queries):
    first, second, third = EditionFactory(), EditionFactory(), EditionFactory()
    user = get_user_model().objects.create_user(username="staff", password="x")
    EditionRole.objects.create(user=user, edition=first, role=Role.ADMIN)
    EditionRole.objects.create(user=user, edition=first, role=Role.CHECKIN_STAFF)
    EditionRole.objects.create(user=user, edition=second, role=Role.EDITOR)
    other = get_user_model().objects.create_user(username="other", password="x")
    EditionRole.objects.create(user=other, edition=third, role=Role.ADMIN)
    expected = {
        first.pk: {Role.ADMIN, Role.CHECKIN_STAFF},
        second.pk: {Role.EDITOR},
        third.pk: set(),
    }

    read = ThrottledModelBackend().get_user(user.pk)
    with django_assert_num_queries(0):
        found = {
            edition.pk: set(roles_of(user=read, edition=edition))
            for edition in (first, second, third)
        }
        assert role_can(user=read, edition=first, need="checkin")
        assert not role_can(user=read, edition=second, need="checkin")
    assert found == expected
    alone = get_user_model().objects.get(pk=user.pk)
    assert {
        edition.pk: set(roles_of(user=alone, edition=edition)) for edition in (first, second, third)
    } == expected


def test_a_user_without_roles_and_a_superuser(django_assert_num_queries):
    edition = EditionFactory()
    nobody = get_user_model().objects.create_user(username="nobody", password="x")
    boss = get_user_model().objects.create_superuser(username="boss", password="x")
    nobody_read = ThrottledModelBackend().get_user(nobody.pk)
    boss_read = ThrottledModelBackend().get_user(boss.pk)
    with django_assert_num_queries(0):
        assert roles_of(user=nobody_read, edition=edition) == frozenset()
        assert roles_of(user=boss_read, edition=edition) == ALL_ROLES


def test_an_inactive_account_is_not_read():
    user = get_user_model().objects.create_user(username="gone", password="x", is_active=False)
    assert ThrottledModelBackend().get_user(user.pk) is None
    assert ThrottledModelBackend().get_user(user.pk + 1000) is None


def test_the_access_is_kept_in_the_shared_cache_and_read_again_after_each_change(
    django_assert_num_queries,
):
    """``roles.access_of``: a second request reads the user's row only; a role given or taken
    away, a device confirmed or removed, an edition's setting or the superuser flag changed
    count from the next request (the saves and deletes bump the access generation)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kongres.accounts.roles import two_factor_required_for
    from kongres.accounts.services import edition_settings_update

    edition = EditionFactory()
    user = get_user_model().objects.create_user(username="door", password="x")
    backend = ThrottledModelBackend()

    def access() -> tuple[frozenset[str], bool]:
        read = backend.get_user(user.pk)
        return roles_of(user=read, edition=edition), two_factor_required_for(user=read)

    assert access() == (frozenset(), False)
    with django_assert_num_queries(1):  # the user's row; the rest from the cache
        assert access() == (frozenset(), False)

    role = EditionRole.objects.create(user=user, edition=edition, role=Role.CHECKIN_STAFF)
    assert access() == ({Role.CHECKIN_STAFF}, False)
    with django_assert_num_queries(1):
        assert access() == ({Role.CHECKIN_STAFF}, False)
    edition_settings_update(edition=edition, requires_two_factor=True, actor=None)
    assert access() == ({Role.CHECKIN_STAFF}, True)
    role.delete()
    assert access() == (frozenset(), False)

    device = TOTPDevice.objects.create(user=user, name="app", confirmed=False)
    assert access() == (frozenset(), False)
    device.confirmed = True
    device.save()
    assert access() == (frozenset(), True)
    device.delete()
    assert access() == (frozenset(), False)

    user.is_superuser = True
    user.save()
    assert access() == (ALL_ROLES, True)  # the edition requires a second factor
    user.is_superuser = False
    user.save()
    assert access() == (frozenset(), False)


def test_a_role_taken_away_closes_the_door_at_the_next_request(client):
    """The access matrix's seam: a page that let the staff member in a moment ago (their access
    then kept in the cache) refuses them once the role is deleted."""
    from django.urls import reverse

    edition = EditionFactory()  # the current edition: the only one
    user = get_user_model().objects.create_user(username="gate", password="x")
    role = EditionRole.objects.create(user=user, edition=edition, role=Role.CHECKIN_STAFF)
    client.force_login(user)
    page = reverse("checkin:page")
    assert client.get(page).status_code == 200
    assert client.get(page).status_code == 200  # the access read from the cache
    role.delete()
    assert client.get(page).status_code == 403
