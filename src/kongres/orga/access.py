"""Who may see and do what in the back office: the one place that decides.

Every back-office view and action gets its objects through these getters (or the
``orga_view`` decorator, which calls them). The permission table (which roles fulfil which
need) is ``kongres.accounts.roles``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from kongres.accounts.invitations import invitations_pending
from kongres.accounts.models import ApiToken, EditionRole, Invitation
from kongres.accounts.roles import NEEDS, User, role_can, roles_of, two_factor_required
from kongres.audit.models import AuditLogEntry
from kongres.campaigns.models import Campaign
from kongres.content.models import NewsPost
from kongres.events.ics import edition_zone
from kongres.events.models import Edition
from kongres.feedback.models import Question as SurveyQuestion
from kongres.materials.models import Material, UploadLink
from kongres.materials.selectors import material_get, upload_link_get_by_pk
from kongres.registration.models import Registration
from kongres.webhooks.models import WebhookSubscription


def orga_access_edition(*, user: User, edition: Edition | None, need: str) -> Edition:
    """``edition`` when ``user`` has a role there that fulfils ``need``; else PermissionDenied."""
    if edition is None:
        raise Http404("no edition")
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")
    if not role_can(user=user, edition=edition, need=need):
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


def orga_access_invitation(*, user: User, edition: Edition, invitation_id: int) -> Invitation:
    """A pending invitation of ``edition`` (404 for another edition's or a spent one)."""
    orga_access_edition(user=user, edition=edition, need="roles")
    invitation = (
        invitations_pending(edition=edition).select_related("edition").filter(pk=invitation_id)
    ).first()
    if invitation is None:
        raise Http404("no such invitation")
    return invitation


def orga_access_audit_entries(*, user: User, edition: Edition):
    orga_access_edition(user=user, edition=edition, need="audit")
    return AuditLogEntry.objects.filter(edition=edition)


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
            request.orga_roles = roles_of(user=request.user, edition=found)
            request.orga_edition = found
            with timezone.override(edition_zone(edition=found)):
                return view(request, found, *args, **kwargs)

        wrapper.orga_need = need
        return wrapper

    return decorator


def orga_access_campaign(*, user: User, edition: Edition, campaign_id: int, need: str):
    """A message to participants of ``edition`` (404 for another edition's)."""
    orga_access_edition(user=user, edition=edition, need=need)
    campaign = (
        Campaign.objects.select_related("edition", "created_by", "queued_by")
        .filter(edition=edition, pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404("no such message")
    return campaign


def orga_access_api_token(*, user: User, edition: Edition, token_id: int) -> ApiToken:
    """An API token of ``edition`` (404 for another edition's); administrators only."""
    orga_access_edition(user=user, edition=edition, need="settings")
    token = ApiToken.objects.select_related("edition").filter(edition=edition, pk=token_id).first()
    if token is None:
        raise Http404("no such token")
    return token


def orga_access_news_post(*, user: User, edition: Edition, post_id: int) -> NewsPost:
    """A news post of ``edition`` (404 for another edition's or one of no edition) that
    ``user`` may edit (the need "content": administrators and editors)."""
    orga_access_edition(user=user, edition=edition, need="content")
    post = NewsPost.objects.select_related("edition").filter(edition=edition, pk=post_id).first()
    if post is None:
        raise Http404("no such news post")
    return post


def orga_access_webhook(*, user: User, edition: Edition, webhook_id: int) -> WebhookSubscription:
    """A webhook of ``edition`` (404 for another edition's); administrators only."""
    orga_access_edition(user=user, edition=edition, need="settings")
    webhook = (
        WebhookSubscription.objects.select_related("edition", "created_by")
        .filter(edition=edition, pk=webhook_id)
        .first()
    )
    if webhook is None:
        raise Http404("no such webhook")
    return webhook


def orga_access_survey_question(
    *, user: User, edition: Edition, question_id: int
) -> SurveyQuestion:
    """A question of ``edition``'s feedback survey (404 for another edition's) that ``user``
    may change (the need "feedback": administrators and editors)."""
    orga_access_edition(user=user, edition=edition, need="feedback")
    question = (
        SurveyQuestion.objects.select_related("survey", "survey__edition", "session")
        .filter(survey__edition=edition, pk=question_id)
        .first()
    )
    if question is None:
        raise Http404("no such question")
    return question


def orga_access_material(*, user: User, edition: Edition, material_id: int) -> Material:
    """A material of a session of ``edition`` (404 for another edition's); need "content"."""
    orga_access_edition(user=user, edition=edition, need="content")
    material = material_get(edition=edition, pk=material_id)
    if material is None:
        raise Http404("no such material")
    return material


def orga_access_upload_link(*, user: User, edition: Edition, link_id: int) -> UploadLink:
    """A speaker's upload link of ``edition`` (404 for another edition's); need "content"."""
    orga_access_edition(user=user, edition=edition, need="content")
    link = upload_link_get_by_pk(edition=edition, pk=link_id)
    if link is None:
        raise Http404("no such upload link")
    return link
