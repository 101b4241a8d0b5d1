"""The participant's survey page, opened by the link of the invitation: the questions, then a
thank-you page. A used link (a second try) gets a kind page saying the answers are in; nothing
on the pages says who answered."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from kongres.core.ratelimit import RateLimited, client_ip, network_key, ratelimit_hit
from kongres.feedback.forms import AnswerForm
from kongres.feedback.models import Survey
from kongres.feedback.selectors import question_groups
from kongres.feedback.services import (
    FeedbackError,
    invitation_get_by_token,
    survey_response_submit,
)


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ratelimit_hit(scope="token-ip", value=network_key(client_ip(request)))
    except RateLimited as error:
        response = _page(request, "feedback/refused.html", {"code": "ratelimited"}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    invitation = invitation_get_by_token(token=token)
    if invitation is None:
        return _page(request, "feedback/refused.html", {"code": "unknown"}, status=404)
    found = invitation.survey
    context = {"survey": found, "edition": found.edition}
    if invitation.used:
        return _page(request, "feedback/refused.html", {**context, "code": "used"})
    if found.status != Survey.Status.OPEN:
        return _page(request, "feedback/refused.html", {**context, "code": "closed"})
    groups = question_groups(survey=found)
    form = AnswerForm(request.POST if request.method == "POST" else None, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            survey_response_submit(token=token, answers=form.answers())
        except FeedbackError as error:
            if error.code in {"used", "closed", "unknown"}:
                return _page(request, "feedback/refused.html", {**context, "code": error.code})
            form.add_error(None, str(error.message))
        else:
            return redirect("feedback:thanks")
    return _page(request, "feedback/survey.html", {**context, "form": form, "token": token})


@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    return _page(request, "feedback/thanks.html", {})
