"""The permission table: which roles fulfil which need, and the checks every entry point uses
(the back office's ``orga.access``, the check-in pages, the admin). Roles are per edition
(``EditionRole``); superusers are administrators of every edition. A "need" names what a page
or an action requires; ``NEEDS`` says which roles fulfil it."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.db.models.signals import post_delete, post_save
from django_otp import device_classes

from kongres.accounts.models import EditionRole, EditionSettings
from kongres.core.cache import content_changed, memoized
from kongres.events.models import Edition

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
    # name badges: every confirmed participant's name, institution and ticket code at once,
    # a role that may see the participants (not the check-in staff; review 2026-12, L11)
    "badges": frozenset({Role.ADMIN, Role.REGISTRATION_MANAGER}),
    # the feedback survey: built, opened and sent by administrators and editors; its anonymous
    # results read also by registration managers (they report the figures)
    "feedback": frozenset({Role.ADMIN, Role.EDITOR}),
    "feedback_results": frozenset({Role.ADMIN, Role.EDITOR, Role.REGISTRATION_MANAGER}),
}

User = AbstractBaseUser | AnonymousUser


def roles_of(*, user: User, edition: Edition) -> frozenset[str]:
    """The roles of ``user`` in ``edition`` (all of them for a superuser); kept on the user
    object for the request, so that a page asks the database once."""
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if user.is_superuser:
        return ALL_ROLES
    known = getattr(user, ROLES_ATTRIBUTE, None)
    if known is not None:  # read with the user (accounts.backends)
        return known.get(edition.pk, frozenset())
    cache = user.__dict__.setdefault("_edition_roles", {})
    if edition.pk not in cache:
        cache[edition.pk] = frozenset(
            EditionRole.objects.filter(user=user, edition=edition).values_list("role", flat=True)
        )
    return cache[edition.pk]


ROLES_ATTRIBUTE = "_kongres_roles"


def roles_annotation() -> Subquery:
    """Every role of the user of the row (``OuterRef("pk")``) as ``"edition id:role,…"`` (NULL
    without any), to read with the user; ``roles_read`` keeps them on it for the request."""
    return Subquery(
        EditionRole.objects.filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(
            roles=StringAgg(
                Concat(Cast("edition_id", CharField()), Value(":"), "role"), delimiter=Value(",")
            )
        )
        .values("roles")
    )


def roles_read(user: AbstractBaseUser, roles: str | None) -> None:
    """Keep on ``user`` for the request its roles read with it (``roles_annotation``); then
    ``roles_of`` asks the database nothing."""
    found: dict[int, set[str]] = {}
    for pair in filter(None, (roles or "").split(",")):
        edition_id, _colon, role = pair.partition(":")
        found.setdefault(int(edition_id), set()).add(role)
    setattr(user, ROLES_ATTRIBUTE, {pk: frozenset(names) for pk, names in found.items()})


def role_can(*, user: User, edition: Edition, need: str) -> bool:
    return bool(roles_of(user=user, edition=edition) & NEEDS[need])


def editions_of(*, user: User) -> list[tuple[Edition, frozenset[str]]]:
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


def two_factor_required_for(*, user: User) -> bool:
    """Whether ``user`` must confirm a second factor before any staff page (``/orga/``,
    ``/checkin/``, ``/admin/``; ``kongres.accounts.middleware.TwoFactorMiddleware``): the site
    requires it of everyone (``two_factor_required``), or the account has a confirmed device,
    or an edition where it holds a role requires it (every edition, for a superuser). Read with
    the user at the start of a request (``accounts.backends``: ``two_factor_annotation``), or
    here in one query; kept on the user object for the request."""
    if not (user.is_authenticated and user.is_active):
        return False
    if getattr(settings, "KONGRES_TWO_FACTOR_REQUIRED", False):
        return True
    required = getattr(user, TWO_FACTOR_ATTRIBUTE, None)
    if required is None:
        required = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .filter(two_factor_annotation(superuser=user.is_superuser))
            .exists()
        )
        two_factor_read(user, required)
    return required


TWO_FACTOR_ATTRIBUTE = "_two_factor_required"


def two_factor_annotation(*, superuser: bool | None = None) -> Q:
    """Whether the user of the row (``OuterRef("pk")``) must give a second factor, as a
    condition on the users' table (the reasons of ``two_factor_required_for`` but the site's
    setting); ``superuser``: whether the user is one, when known (else the row's column)."""
    flagged = EditionSettings.objects.filter(requires_two_factor=True)
    by_role = Q(Exists(flagged.filter(edition__orga_roles__user=OuterRef("pk"))))
    as_superuser = Q(Exists(flagged))
    if superuser is None:
        roles = by_role | (Q(is_superuser=True) & as_superuser)
    else:
        roles = as_superuser if superuser else by_role
    devices = [
        Q(Exists(model.objects.filter(user=OuterRef("pk"), confirmed=True)))
        for model in device_classes()
    ]
    return reduce(or_, [roles, *devices])


def two_factor_read(user: AbstractBaseUser, required: bool) -> None:
    """Keep on ``user`` for the request whether it must give a second factor (on the user
    itself: ``request.user`` is a lazy object that passes attributes on to it)."""
    setattr(user, TWO_FACTOR_ATTRIBUTE, required)


# -- a signed-in user's access, kept in the shared cache ---------------------------------------

ACCESS_GENERATION_KEY = "kongres:access-gen"
ACCESS_SECONDS = 3600


def access_of(user: AbstractBaseUser) -> tuple[str | None, bool]:
    """The roles of ``user`` in every edition (as ``roles_annotation`` gives them) and whether
    it must give a second factor (``two_factor_annotation``): what every staff request asks
    (``accounts.backends``).

    ``memoized`` in Django's cache (shared by every process) under the access generation: a
    saved or deleted role, edition setting or second-factor device bumps it
    (``access_changed``), at once and again at the commit, so a role taken away counts from
    the next request in every process. The key holds the superuser flag the value was read
    with (the user's row, read anyway, says the current one)."""

    def load() -> tuple[str | None, bool]:
        read = (
            get_user_model()
            ._default_manager.filter(pk=user.pk)
            .annotate(
                roles=roles_annotation(),
                required=ExpressionWrapper(
                    two_factor_annotation(superuser=user.is_superuser),
                    output_field=BooleanField(),
                ),
            )
            .values_list("roles", "required")
            .first()
        )
        return read if read is not None else (None, False)

    return memoized(
        f"accounts:access:{user.pk}:{int(user.is_superuser)}",
        load,
        seconds=ACCESS_SECONDS,
        generation_key=ACCESS_GENERATION_KEY,
    )


def access_changed(sender=None, **kwargs) -> None:
    """Make every user's access read again (``access_of``): connected to the saves and
    deletes of roles, edition settings and second-factor devices (``AccountsConfig.ready``)."""
    content_changed(kwargs.get("using"), key=ACCESS_GENERATION_KEY)


def access_signals() -> None:
    """Called once from ``AccountsConfig.ready``."""
    for model in (EditionRole, EditionSettings, *device_classes()):
        for signal in (post_save, post_delete):
            signal.connect(
                access_changed,
                sender=model,
                dispatch_uid=f"kongres-access-{model._meta.label_lower}-{id(signal)}",
            )
