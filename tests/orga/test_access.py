import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kongres.accounts.models import EditionRole
from kongres.accounts.roles import editions_of, role_can
from kongres.accounts.services import AccountsError, role_grant, role_revoke
from kongres.audit.models import AuditLogEntry
from kongres.orga.access import orga_access_edition, orga_access_registration
from tests.factories import EditionFactory
from tests.factories.registration import RegistrationFactory
from tests.orga.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "need", "allowed"),
    [
        ("admin", "roles", True),
        ("registration_manager", "roles", False),
        ("registration_manager", "change", True),
        ("editor", "view", False),
        ("editor", "content", True),
        ("checkin_staff", "checkin", True),
        ("checkin_staff", "view", False),
    ],
)
def test_roles_fulfil_needs(edition, role_user, role, need, allowed):
    user = role_user(role)
    assert role_can(user=user, edition=edition, need=need) is allowed


def test_role_is_per_edition(edition, manager):
    other = EditionFactory()
    assert orga_access_edition(user=manager, edition=edition, need="view") == edition
    with pytest.raises(PermissionDenied):
        orga_access_edition(user=manager, edition=other, need="view")
    assert [e for e, _roles in editions_of(user=manager)] == [edition]


def test_superuser_is_admin_everywhere(edition):
    root = make_user("root", superuser=True)
    assert role_can(user=root, edition=EditionFactory(), need="roles")


def test_registration_of_another_edition_is_not_found(edition, manager):
    other = RegistrationFactory(edition=EditionFactory())
    with pytest.raises(Http404):
        orga_access_registration(
            user=manager, edition=edition, registration_id=other.pk, need="view"
        )


def test_role_grant_and_revoke_are_logged(edition):
    admin = make_user("szefowa")
    make_user("pomocnik")
    granted = role_grant(edition=edition, email="POMOCNIK@example.org", role="editor", actor=admin)
    assert granted.user.username == "pomocnik"
    with pytest.raises(AccountsError) as error:
        role_grant(edition=edition, email="pomocnik@example.org", role="editor", actor=admin)
    assert error.value.code == "duplicate"
    with pytest.raises(AccountsError) as error:
        role_grant(edition=edition, email="nikt@example.org", role="editor", actor=admin)
    assert error.value.code == "unknown_user"
    role_revoke(role=granted, actor=admin)
    assert not EditionRole.objects.exists()
    assert list(AuditLogEntry.objects.order_by("pk").values_list("action", "actor_label")) == [
        ("role.grant", "szefowa"),
        ("role.revoke", "szefowa"),
    ]
