"""Public registration pages: the form, the page after sending it, the pages a secret link
opens (confirm the address, take an offered seat, see, change, cancel, download), and "I lost
my link". Views parse input with a form, call one service, and show its result or its error.

Nothing changes state on GET: a link from an e-mail opens a page with a button (a test asks
every GET of these pages and counts the writes).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kongres.core.ratelimit import (
    RateLimited,
    client_ip,
    network_key,
    ratelimit_enabled,
    ratelimit_hit,
    ratelimit_hit_with,
    ratelimit_soft_count,
)
from kongres.events import ics
from kongres.events.models import Edition
from kongres.registration import antibot, pages, selectors, services
from kongres.registration import sessions as places
from kongres.registration.choices import AccessibilityNeed, QuestionKind
from kongres.registration.data import EditionParts
from kongres.registration.fields import OTHER_NEED, day_label
from kongres.registration.forms import LinkRequestForm, RegistrationEditForm, RegistrationForm
from kongres.registration.models import Question, Registration, Ticket
from kongres.registration.rules import Window, edit_deadline, registration_window
from kongres.registration.services import RegistrationError
from kongres.registration.tickets import active_ticket, ticket_issue
from kongres.registration.validators import normalise_line

SUBMITTED_COOKIE = "kongres_submitted"
SUBMITTED_MAX_AGE = 24 * 3600
WINDOW_CODES = {"not_open", "closed"}


# -- shared pieces ---------------------------------------------------------------------------


def _too_many(request: HttpRequest, error: RateLimited) -> HttpResponse:
    minutes = max(1, -(-error.retry_after // 60))
    response = render(request, "registration/ratelimited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def _limit(request: HttpRequest, *, ip_scope: str, email_scope: str = "") -> None:
    """Count this request against the address's limit and, when the form has an e-mail
    address, against that address's limit. Raises ``RateLimited``."""
    if not ratelimit_enabled():  # not even the keys
        return
    ratelimit_hit(scope=ip_scope, value=network_key(client_ip(request)))
    email = normalise_line(request.POST.get("email", ""))[:254] if email_scope else ""
    if email:
        ratelimit_hit(scope=email_scope, value=email)


def _limit_register(
    request: HttpRequest,
) -> tuple[bool, tuple[antibot.FormToken | None, bool] | None]:
    """The registration form sent: count it against the address's limits and the e-mail
    address's, and use its one-time token, in one round trip to the cache (a counter that
    exists already, a busy address's, costs one more). Raises ``RateLimited``. Returns whether
    the address is past the soft limit (the form must carry a proof of work) and the token
    read (None: not genuine) with whether it was used now for the first time; None in place of
    that pair when the rate limits are off (the form then reads and uses the token itself). A
    refused form has counted its e-mail address and used its token all the same."""
    if not ratelimit_enabled():  # not even the keys
        return False, None
    address = network_key(client_ip(request))
    email = normalise_line(request.POST.get("email", ""))[:254]
    token = antibot.form_token_read(request.POST.get("started", "") or "")
    once = token is not None and antibot.form_token_once()
    past_soft, added = ratelimit_hit_with(
        [("register-ip", address), *([("register-email", email)] if email else [])],
        soft="register-ip-soft",
        adds=[antibot.form_token_add(token)] if once else [],
    )
    return past_soft, (token, bool(added[0]) if once else True)


def _proof_required(request: HttpRequest) -> bool:
    """Count this form opened against the address's soft limit; whether the form must carry
    the proof of work. Past the soft limit of the forms opened, the page carries the widget
    from the start, so that the people of an office tick it while they fill in the form,
    instead of sending the form and getting it back (every form sent needs a token from a
    form opened; a form opened without the widget whose address then passed the soft limit of
    the forms sent comes back with it, ``_limit``)."""
    return ratelimit_soft_count(
        scope="register-ip-soft",
        counter="register-form-ip",
        value=network_key(client_ip(request)),
    )


def _window_page(request: HttpRequest, edition: Edition | None, state: str) -> HttpResponse:
    return render(request, "registration/window.html", {"edition": edition, "state": state})


def _form_kwargs(
    edition: Edition, *, seats: bool = True, parts: EditionParts | None = None
) -> tuple[dict, selectors.FullSeats, EditionParts]:
    """What the registration forms are built from, the seats (with ``seats`` the days without
    a free seat are marked so) and the parts read for them (unless given). A sent form that is
    valid is not shown again, so the form view reads the seats only when it shows the form
    (``RegistrationForm.mark_full_days``)."""
    if parts is None:
        parts = selectors.edition_form_parts(edition=edition)
    days, tracks, questions = parts.days, parts.tracks, parts.questions
    full = (
        selectors.edition_full_seats(edition=edition, days=days)
        if seats
        else selectors.FullSeats(edition=False, day_ids=frozenset())
    )
    kwargs = {
        "edition": edition,
        "days": days,
        "full_day_ids": full.day_ids,
        "tracks": tracks,
        "questions": questions,
    }
    return kwargs, full, parts


def _submitted_set(response: HttpResponse, shown: dict) -> None:
    """Remember what the page after the form shows, in a signed cookie (a registration writes
    no session: nobody registering is logged in). The page reads nothing else, so that a
    registered address sent again shows the page of a new registration and nothing of the
    registration already there (review 2026-12, L1)."""
    response.set_signed_cookie(
        SUBMITTED_COOKIE,
        json.dumps(shown, separators=(",", ":")),
        salt=SUBMITTED_COOKIE,
        max_age=SUBMITTED_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _submitted_get(request: HttpRequest) -> dict | None:
    value = request.get_signed_cookie(
        SUBMITTED_COOKIE, default=None, salt=SUBMITTED_COOKIE, max_age=SUBMITTED_MAX_AGE
    )
    try:
        shown = json.loads(value) if value else None
    except ValueError:
        return None
    return shown if isinstance(shown, dict) and {"email", "status"} <= shown.keys() else None


def _shown(
    email: str, status: str, hold_expires_at: dt.datetime | None, *, parts: EditionParts
) -> dict:
    """What the page after the form shows. ``applying``: an application for the draw (only a
    registration without a seat can be one; read with the form's parts, memoized with the
    content generation, which an allocation or a draw saved bumps: the rush's POSTs spend no
    query on it, and the page itself reads nothing from the database)."""
    until = hold_expires_at.isoformat() if hold_expires_at else None
    applying = status == Registration.Status.WAITING_UNVERIFIED and parts.seats_closed
    return {"email": email, "status": status, "hold_expires_at": until, "applying": applying}


# -- the form --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    # The current edition (what request.edition would read) and the form's parts in one round
    # trip to the cache; for a form sent, with the privacy notice's version and the stencils of
    # the verification mail in the form's language.
    sent = request.method == "POST"
    edition, parts = services.registration_current_parts(
        privacy=sent,
        language=(get_language() or settings.LANGUAGE_CODE).split("-")[0] if sent else "",
    )
    request.edition = edition
    if edition is None:
        return _window_page(request, None, "none")
    state = registration_window(edition, timezone.now())
    if state != Window.OPEN:
        return _window_page(request, edition, state)

    if request.method == "POST":
        try:
            proof_required, token_used = _limit_register(request)
        except RateLimited as error:
            return _too_many(request, error)
        kwargs, _full, parts = _form_kwargs(edition, seats=False, parts=parts)
        form = RegistrationForm(
            request.POST, proof_required=proof_required, token_used=token_used, **kwargs
        )
        if form.is_valid():
            try:
                registration, _token = services.registration_create(
                    edition=edition, data=form.to_data(), parts=parts
                )
            except RegistrationError as error:
                if error.code == "duplicate":
                    return _duplicate(request, edition, form.cleaned_data["email"], error, parts)
                if error.code in WINDOW_CODES:
                    return _window_page(request, edition, error.code)
                form.add_error(None, error.message)
            else:
                response = redirect("registration:submitted")
                shown = _shown(
                    registration.email,
                    registration.status,
                    registration.hold_expires_at,
                    parts=parts,
                )
                _submitted_set(response, shown)
                return response
        full = selectors.edition_full_seats(edition=edition, days=kwargs["days"])
        form.mark_full_days(full.day_ids)
        proof_required = form.proof_required
        started = form.started_value()
        return pages.form_page(request, edition, form, full, started, proof_required=proof_required)
    kwargs, full, _parts = _form_kwargs(edition, parts=parts)
    proof_required = _proof_required(request)
    # The blank form's fields come from the cached page or fragment for nearly everyone: the
    # form is built only when they are rendered (it copies every field).
    form = SimpleLazyObject(lambda: RegistrationForm(proof_required=proof_required, **kwargs))
    started = RegistrationForm.sign_started(time.time())
    return pages.blank_form_page(request, edition, form, full, started, proof_required)


def _duplicate(
    request: HttpRequest,
    edition: Edition,
    email: str,
    error: RegistrationError,
    parts: EditionParts,
) -> HttpResponse:
    """A registered address sent again: the owner gets a mail with their link, and the sender
    the answer of a new registration (the same redirect and page, a mail queued likewise), so
    that nobody learns from the form whether an address is registered (review 2026-12, L1)."""
    services.registration_link_resend(
        edition=edition, email=email, language=(get_language() or "pl").split("-")[0], again=True
    )
    response = redirect("registration:submitted")
    shown = _shown(email, error.would_be, error.hold_expires_at, parts=parts)
    _submitted_set(response, shown)
    return response


@require_safe
@never_cache
def submitted(request: HttpRequest) -> HttpResponse:
    """After sending the form: seat held (or waiting list), and the e-mail link to click."""
    shown = _submitted_get(request)
    edition = request.edition or None
    if shown is None or edition is None:
        return redirect("registration:register")
    until = shown.get("hold_expires_at")
    shown["hold_expires_at"] = dt.datetime.fromisoformat(until) if until else None
    return pages.submitted_page(request, shown, edition)


# -- "I lost my link" ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    """Send the link again. The answer is the same whether or not the address is registered."""
    edition = request.edition or None
    if edition is None:
        return _window_page(request, None, "none")
    if request.method == "POST":
        try:
            _limit(request, ip_scope="link-ip", email_scope="link-email")
        except RateLimited as error:
            return _too_many(request, error)
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            services.registration_link_resend(
                edition=edition,
                email=form.cleaned_data["email"],
                language=(get_language() or "pl").split("-")[0],
            )
            return redirect("registration:link-sent")
    else:
        form = LinkRequestForm(initial={"email": request.GET.get("email", "")[:254]})
    return render(request, "registration/link_request.html", {"form": form, "edition": edition})


@require_safe
def link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/link_sent.html", {"edition": request.edition or None})


# -- pages opened by a secret link -----------------------------------------------------------


def token_page(view: Callable) -> Callable:
    """Look the registration up by the secret link (404 page when it is unknown or replaced);
    rate-limited per network; never cached, never indexed."""

    @wraps(view)
    @never_cache
    def wrapper(request: HttpRequest, token: str, **kwargs) -> HttpResponse:
        try:
            ratelimit_hit(scope="token-ip", value=network_key(client_ip(request)))
        except RateLimited as error:
            return _too_many(request, error)
        registration = selectors.registration_get_by_token(token=token) if token else None
        if registration is None:
            expired = selectors.registration_get_by_expired_token(token=token) if token else None
            if expired is not None:
                response = render(
                    request,
                    "registration/link_expired.html",
                    {"edition": expired.edition, "valid_days": settings.KONGRES_LINK_VALID_DAYS},
                    status=410,
                )
            else:
                response = render(request, "registration/link_invalid.html", status=404)
        else:
            response = view(request, registration, token, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def action_failed(request: HttpRequest, error: RegistrationError, token: str) -> HttpResponse:
    messages.error(request, str(error.message))
    return redirect("registration:manage", token=token)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def verify(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """Confirm the e-mail address: a page with a button; the button confirms."""
    if registration.status not in {
        Registration.Status.HELD,
        Registration.Status.WAITING_UNVERIFIED,
    }:
        return redirect("registration:manage", token=token)
    if request.method == "POST":
        try:
            registration = services.registration_verify(token=token)
        except RegistrationError as error:
            return action_failed(request, error, token)
        messages.success(request, _("Thank you: your e-mail address is confirmed."))
        return redirect("registration:manage", token=token)
    return render(
        request,
        "registration/verify.html",
        {
            "registration": registration,
            "edition": registration.edition,
            "token": token,
            "applying": selectors.seats_closed(registration.edition_id),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def claim(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """Take a seat offered from the waiting list: a page with a button; the button takes it."""
    if registration.status != Registration.Status.OFFERED:
        return redirect("registration:manage", token=token)
    if request.method == "POST":
        try:
            services.registration_offer_claim(token=token)
        except RegistrationError as error:
            return action_failed(request, error, token)
        messages.success(request, _("The seat is yours."))
        return redirect("registration:manage", token=token)
    return render(
        request,
        "registration/claim.html",
        {"registration": registration, "edition": registration.edition, "token": token},
    )


def _can_edit(registration: Registration, now: dt.datetime) -> bool:
    return registration.is_active and now < edit_deadline(registration.edition)


def _answer_rows(registration: Registration, questions: list[Question]) -> list[tuple[str, str]]:
    """The answers to the organisers' questions as (question, answer) text pairs."""
    rows = []
    answers = registration.answers or {}
    for question in questions:
        if question.slug not in answers:
            continue
        value = answers[question.slug]
        if question.kind == QuestionKind.YESNO or isinstance(value, bool):
            text = _("Yes") if value in (True, "yes") else _("No")
        elif isinstance(value, list):
            text = ", ".join(question.choice_label(item) for item in value)
        elif question.kind == QuestionKind.SINGLE:
            text = question.choice_label(value)
        else:
            text = str(value)
        rows.append((question.label, text))
    return rows


def _needs_text(registration: Registration) -> list[str]:
    labels = dict(AccessibilityNeed.choices)
    out = [
        str(labels.get(need, need))
        for need in (registration.accessibility_needs or [])
        if need != OTHER_NEED
    ]
    if registration.accessibility_other:
        out.append(registration.accessibility_other)
    return out


def _ticket(registration: Registration) -> Ticket | None:
    """The active ticket of a confirmed registration, else None (read only: a ticket is issued
    with the confirmation, or by the button of the page)."""
    if registration.status != Registration.Status.CONFIRMED:
        return None
    return active_ticket(registration)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def manage(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """The participant's page. A confirmed registration without a ticket (issued with the
    confirmation; made otherwise, say imported, it has none) gets one by the page's button."""
    if request.method == "POST":
        try:
            ticket_issue(registration=registration)
        except RegistrationError as error:
            return action_failed(request, error, token)
        return redirect("registration:manage", token=token)
    now = timezone.now()
    edition = registration.edition
    response = render(
        request,
        "registration/manage.html",
        _agenda_context(registration, token)
        | {
            "registration": registration,
            "edition": edition,
            "token": token,
            "ticket": _ticket(registration),
            "position": (
                selectors.registration_waiting_position(registration=registration)
                if registration.is_waiting
                else None
            ),
            "days": [day_label(day) for day in registration.days.all()],
            "tracks": [track.name for track in registration.tracks.all()],
            "needs": _needs_text(registration),
            "answers": _answer_rows(registration, selectors.question_list(edition=edition)),
            "can_edit": _can_edit(registration, now),
            "edit_deadline": edit_deadline(edition),
        },
    )
    if registration.status == Registration.Status.CONFIRMED:
        # the programme knows the participant from now on (sign-ups for sessions, issue 18)
        places.participant_cookie_set(response, token=token)
    return response


def _agenda_context(registration: Registration, token: str) -> dict:
    """The personal agenda (sign-ups by day) and the sessions one can sign up for."""
    if registration.status != Registration.Status.CONFIRMED:
        return {"agenda_days": [], "signup_sessions": []}
    signups = places.agenda(registration=registration)
    mine = {signup.session_id: signup for signup in signups}
    offered = places.signup_sessions(edition=registration.edition)
    counts = places.session_places(sessions=offered + [s.session for s in signups])
    zone = ics.edition_zone(edition=registration.edition)
    days: dict = {}
    for signup in signups:
        session = signup.session
        session.places_info, session.my_signup = counts.get(session.pk), signup
        days.setdefault(timezone.localtime(session.starts_at, zone).date(), []).append(session)
    for session in offered:
        session.places_info, session.my_signup = counts.get(session.pk), mine.get(session.pk)
    feed_url, feed_download_url = places.feed_urls(registration)
    return {
        "agenda_days": sorted(days.items()),
        "signup_sessions": [s for s in offered if s.pk not in mine],
        "participant": registration,
        "participant_token": token,
        "feed_url": feed_url,
        "feed_download_url": feed_download_url,
        "next": reverse("registration:manage", kwargs={"token": token}),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def edit(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    edition = registration.edition
    if not _can_edit(registration, timezone.now()):
        messages.error(request, _("Your answers can no longer be changed."))
        return redirect("registration:manage", token=token)
    kwargs, _full, _parts = _form_kwargs(edition)
    kwargs["registration"] = registration
    if request.method == "POST":
        form = RegistrationEditForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.registration_update(registration=registration, data=form.to_data())
            except RegistrationError as error:
                if error.code == "deadline":
                    return action_failed(request, error, token)
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect("registration:manage", token=token)
    else:
        form = RegistrationEditForm(**kwargs)
    return render(
        request,
        "registration/edit.html",
        {"registration": registration, "edition": edition, "form": form, "token": token},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def cancel(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """Cancel (or leave the waiting list): a page that asks to confirm; the button cancels."""
    if not registration.is_active:
        return redirect("registration:manage", token=token)
    if request.method == "POST":
        was_waiting = registration.is_waiting
        try:
            services.registration_cancel(registration=registration)
        except RegistrationError as error:
            return action_failed(request, error, token)
        messages.success(
            request,
            _("You have left the waiting list.")
            if was_waiting
            else _("Your registration is cancelled."),
        )
        return redirect("registration:manage", token=token)
    return render(
        request,
        "registration/cancel.html",
        {"registration": registration, "edition": registration.edition, "token": token},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@token_page
def links_replace(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """The owner revokes every link of the registration (say, a mail forwarded by mistake)
    and gets a new one by mail: a page that asks to confirm; the button replaces them."""
    if request.method == "POST":
        services.registration_links_replace(token=token)
        return render(
            request,
            "registration/links_replaced.html",
            {"registration": registration, "edition": registration.edition},
        )
    return render(
        request,
        "registration/links_replace.html",
        {"registration": registration, "edition": registration.edition, "token": token},
    )


@require_safe
@token_page
def export(request: HttpRequest, registration: Registration, token: str) -> HttpResponse:
    """The participant's data, as JSON, to download."""
    data = selectors.registration_data_export(registration=registration)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    filename = f"registration-{registration.edition.slug}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
