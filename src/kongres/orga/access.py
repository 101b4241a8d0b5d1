"""Who may see and do what in the back office: the one place that decides.

Every back-office view and action gets its objects through these getters (or the
``orga_view`` decorator, which calls them). Roles are per edition (``EditionRole``);
superusers are administrators of every edition. A "need" names what a page or action
requires; ``NEEDS`` says which roles fulfil it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from kongres.events.models import Edition
from kongres.orga.models import AuditLogEntry, EditionRole, EditionSettings
from kongres.registration.models import Registration

Role = EditionRole.Role
ALL_ROLES = frozenset(Role.values)
NEEDS: dict[str, frozenset[str]] = {
    "any": ALL_ROLES,  # the edition's start page in the back office
    "view": frozenset({Role.ADMIN, Role.REGISTRATION_MANAGER}),  # dashboard, participants
    "change": frozenset({Role.ADMIN, Role.REGISTRATION_MANAGER}),  # actions on registrations
    "audit": frozenset({Role.ADMIN, Role.REGISTRATION_MANAGER}),
    "export": frozenset({Role.ADMIN, Role.REGISTRATION_MANAGER}),
    "message": frozenset({Role.ADMIN, Role.REGISTRATION_MANAGER}),
    "gdpr": frozenset({Role.ADMIN}),
    "roles": frozenset({Role.ADMIN}),
    "settings": frozenset({Role.ADMIN}),
    "content": frozenset({Role.ADMIN, Role.EDITOR}),
    "checkin": frozenset({Role.ADMIN, Role.CHECKIN_STAFF}),
}

User = AbstractBaseUser | AnonymousUser


def orga_roles(*, user: User, edition: Edition) -> frozenset[str]:
    """The roles of ``user`` in ``edition`` (all of them for a superuser); kept on the user
    object for the request, so that a page asks the database once."""
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if user.is_superuser:
        return ALL_ROLES
    cache = user.__dict__.setdefault("_orga_roles", {})
    if edition.pk not in cache:
        cache[edition.pk] = frozenset(
            EditionRole.objects.filter(user=user, edition=edition).values_list("role", flat=True)
        )
    return cache[edition.pk]


def orga_can(*, user: User, edition: Edition, need: str) -> bool:
    return bool(orga_roles(user=user, edition=edition) & NEEDS[need])


def orga_access_edition(*, user: User, edition: Edition | None, need: str) -> Edition:
    """``edition`` when ``user`` has a role there that fulfils ``need``; else PermissionDenied."""
    if edition is None:
        raise Http404("no edition")
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")
    if not orga_can(user=user, edition=edition, need=need):
        raise PermissionDenied(need)
    return edition


def orga_access_edition_slug(*, user: User, slug: str, need: str) -> Edition:
    edition = Edition.objects.select_related("series").filter(slug=slug).first()
    if edition is None:
        raise Http404("no such edition")
    return orga_access_edition(user=user, edition=edition, need=need)


def orga_access_registration(
    *, user: User, edition: Edition, registration_id: int, need: str
) -> Registration:
    """A registration of ``edition`` (404 for another edition's) that ``user`` may ``need``."""
    orga_access_edition(user=user, edition=edition, need=need)
    registration = (
        Registration.objects.select_related("edition", "created_by", "decided_by", "cancelled_by")
        .prefetch_related("days", "tracks")
        .filter(edition=edition, pk=registration_id)
        .first()
    )
    if registration is None:
        raise Http404("no such registration")
    return registration


def orga_access_role(*, user: User, edition: Edition, role_id: int) -> EditionRole:
    orga_access_edition(user=user, edition=edition, need="roles")
    role = EditionRole.objects.select_related("user", "edition").filter(edition=edition, pk=role_id)
    if not role:
        raise Http404("no such role")
    return role[0]


def orga_access_audit_entries(*, user: User, edition: Edition):
    orga_access_edition(user=user, edition=edition, need="audit")
    return AuditLogEntry.objects.filter(edition=edition)


def orga_editions(*, user: User) -> list[tuple[Edition, frozenset[str]]]:
    """The editions where ``user`` has any role, newest first, with the roles."""
    if not (user.is_authenticated and user.is_active):
        return []
    editions = Edition.objects.select_related("series").order_by("-start_date", "-pk")
    if user.is_superuser:
        return [(edition, ALL_ROLES) for edition in editions]
    roles: dict[int, set[str]] = {}
    for edition_id, role in EditionRole.objects.filter(user=user).values_list("edition", "role"):
        roles.setdefault(edition_id, set()).add(role)
    return [
        (edition, frozenset(roles[edition.pk])) for edition in editions.filter(pk__in=roles.keys())
    ]


def two_factor_required(*, edition: Edition) -> bool:
    return EditionSettings.objects.filter(edition=edition, requires_two_factor=True).exists()


def _is_verified(user: User) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def orga_view(need: str) -> Callable:
    """Decorator of every back-office view under ``<slug:edition>/``: the login page for an
    anonymous visitor, 403 without a role fulfilling ``need``, the two-factor page when the
    edition requires it and the session is not verified. The view gets ``(request, edition,
    …)``; ``request.orga_roles`` holds the user's roles there (for the menu)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, edition: str, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("orga:login"))
            found = orga_access_edition_slug(user=request.user, slug=edition, need=need)
            if two_factor_required(edition=found) and not _is_verified(request.user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('orga:two-factor')}?{query}")
            request.orga_roles = orga_roles(user=request.user, edition=found)
            request.orga_edition = found
            from kongres.events.ics import edition_zone

            with timezone.override(edition_zone(edition=found)):
                return view(request, found, *args, **kwargs)

        wrapper.orga_need = need
        return wrapper

    return decorator


def orga_access_campaign(*, user: User, edition: Edition, campaign_id: int, need: str):
    """A message to participants of ``edition`` (404 for another edition's)."""
    from kongres.campaigns.models import Campaign

    orga_access_edition(user=user, edition=edition, need=need)
    campaign = (
        Campaign.objects.select_related("edition", "created_by", "queued_by")
        .filter(edition=edition, pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404("no such message")
    return campaign
