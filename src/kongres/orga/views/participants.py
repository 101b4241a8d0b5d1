"""The participants of an edition in the back office: the list, a person's page, the actions on
a registration (approve, reject, offer, cancel, restore, resend, re-issue the ticket), adding and
editing. Objects come from ``access.py``; changes go through the registration services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from kongres.audit.selectors import audit_history
from kongres.events.models import Edition
from kongres.events.selectors import edition_tracks
from kongres.orga import selectors
from kongres.orga.access import (
    orga_access_registration,
    orga_view,
)
from kongres.orga.forms import (
    ActionForm,
    OrgaRegistrationAddForm,
    OrgaRegistrationEditForm,
    RegistrationFilterForm,
)
from kongres.registration import selectors as registration_selectors
from kongres.registration import services as registration_services
from kongres.registration.choices import AccessibilityNeed
from kongres.registration.models import ACTIVE_STATUSES, FINAL_STATUSES, Registration
from kongres.registration.services import RegistrationError

Status = Registration.Status
PAGE_SIZE = 50

# Actions on a registration: label, the statuses it applies to, whether it may go over capacity.
ACTIONS: dict[str, tuple[str, frozenset, bool]] = {
    "approve": (gettext_lazy("Approve"), frozenset({Status.PENDING_APPROVAL}), False),
    "reject": (gettext_lazy("Reject"), frozenset({Status.PENDING_APPROVAL}), False),
    "offer": (
        gettext_lazy("Offer a seat (move from the waiting list)"),
        frozenset({Status.WAITING, Status.WAITING_UNVERIFIED}),
        True,
    ),
    "cancel": (gettext_lazy("Cancel the registration"), frozenset(ACTIVE_STATUSES), False),
    "restore": (gettext_lazy("Restore the registration"), frozenset(FINAL_STATUSES), True),
    "resend": (gettext_lazy("Send the link again"), frozenset(ACTIVE_STATUSES), False),
    "reissue": (
        gettext_lazy("Issue a new ticket (the old code stops working; mailed with a new link)"),
        frozenset({Status.CONFIRMED}),
        False,
    ),
}


@require_safe
@orga_view("view")
def registration_list(request: HttpRequest, edition: Edition) -> HttpResponse:
    questions = registration_selectors.question_list(edition=edition)
    form = RegistrationFilterForm(request.GET or None, edition=edition, questions=questions)
    registrations = selectors.registration_list(edition=edition, params=request.GET)
    page = Paginator(registrations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orga/registration_list.html",
        {
            "edition": edition,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "needs": dict(AccessibilityNeed.choices),
        },
    )


@require_safe
@orga_view("view")
def registration_detail(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    registration = orga_access_registration(
        user=request.user, edition=edition, registration_id=pk, need="view"
    )
    questions = registration_selectors.question_list(edition=edition)
    answers = [
        (question, _answer_text(question, registration.answers.get(question.slug)))
        for question in questions
        if question.slug in registration.answers
    ]
    needs = dict(AccessibilityNeed.choices)
    return render(
        request,
        "orga/registration_detail.html",
        {
            "edition": edition,
            "registration": registration,
            "answers": answers,
            "needs": [needs.get(need, need) for need in registration.accessibility_needs],
            "history": audit_history(obj=registration),
            "actions": _actions_for(registration),
            "position": registration_selectors.registration_waiting_position(
                registration=registration
            ),
            "checkins": registration.checkins.filter(result="ok").select_related("day"),
            "privacy_version": registration_selectors.privacy_notice_version_get(
                fingerprint=registration.privacy_notice_version
            ),
        },
    )


def _answer_text(question, value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(question.choice_label(item) for item in value)
    if question.choices:
        return question.choice_label(value)
    return str(value)


def _actions_for(registration: Registration) -> list[tuple[str, str]]:
    return [
        (name, label)
        for name, (label, statuses, _over) in ACTIONS.items()
        if registration.status in statuses
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("change")
def registration_action(
    request: HttpRequest, edition: Edition, pk: int, action: str
) -> HttpResponse:
    """GET: what the action does, with a confirm button (and the "over capacity" box when
    the action may give a seat); POST: do it through the registration service."""
    if action not in ACTIONS:
        raise Http404("no such action")
    registration = orga_access_registration(
        user=request.user, edition=edition, registration_id=pk, need="change"
    )
    label, statuses, may_overbook = ACTIONS[action]
    form = ActionForm(request.POST if request.method == "POST" else None)
    if not may_overbook:
        del form.fields["over_capacity"]
    error = None
    if registration.status not in statuses:
        error = _("This cannot be done with a registration in this state.")
    elif request.method == "POST" and form.is_valid():
        try:
            registration_services.registration_organiser_act(
                registration=registration,
                action=action,
                actor=request.user,
                over_capacity=form.cleaned_data.get("over_capacity", False),
                note=form.cleaned_data["note"],
            )
        except RegistrationError as failure:
            error = failure.message
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": label})
            return redirect("orga:registration-detail", edition=edition.slug, pk=registration.pk)
    return render(
        request,
        "orga/registration_action.html",
        {
            "edition": edition,
            "registration": registration,
            "action": action,
            "label": label,
            "form": form,
            "error": error,
        },
        status=409 if error and request.method == "POST" else 200,
    )


def _form_kwargs(edition: Edition) -> dict:
    return {
        "edition": edition,
        "days": list(edition.days.all()),
        "tracks": edition_tracks(edition=edition),
        "questions": registration_selectors.question_list(edition=edition),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("change")
def registration_edit(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    registration = orga_access_registration(
        user=request.user, edition=edition, registration_id=pk, need="change"
    )
    form = OrgaRegistrationEditForm(
        request.POST or None, registration=registration, **_form_kwargs(edition)
    )
    if request.method == "POST" and form.is_valid():
        try:
            registration_services.registration_update(
                registration=registration, data=form.to_data(), actor=request.user
            )
        except RegistrationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The answers were saved."))
            return redirect("orga:registration-detail", edition=edition.slug, pk=registration.pk)
    return render(
        request,
        "orga/registration_form.html",
        {"edition": edition, "registration": registration, "form": form},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("change")
def registration_add(request: HttpRequest, edition: Edition) -> HttpResponse:
    form = OrgaRegistrationAddForm(request.POST or None, **_form_kwargs(edition))
    if request.method == "POST" and form.is_valid():
        try:
            registration, _token = registration_services.registration_create(
                edition=edition,
                data=form.to_data(),
                actor=request.user,
                over_capacity=form.cleaned_data["over_capacity"],
            )
        except RegistrationError as error:
            form.add_error(None, error.message)
        else:
            if registration.is_waiting:
                messages.warning(
                    request,
                    _("There was no free seat: the person is on the waiting list."),
                )
            else:
                messages.success(request, _("The person was added."))
            return redirect("orga:registration-detail", edition=edition.slug, pk=registration.pk)
    return render(request, "orga/registration_form.html", {"edition": edition, "form": form})


# -- audit log ---------------------------------------------------------------------------------
