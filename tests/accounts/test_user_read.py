"""The signed-in user of a request is read with what every staff page asks of it (one query,
``accounts.backends.ThrottledModelBackend.get_user``): whether it must give a second factor
(tests/accounts/test_two_factor.py) and its roles in the editions, which ``roles_of`` then
answers without the database, as it answers them with it."""

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
