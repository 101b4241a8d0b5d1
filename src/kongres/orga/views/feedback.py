"""The feedback survey in the back office: build it (texts, questions), open and close it,
invite the participants now (the worker does it after the event anyway), and read the
anonymous results with their charts and exports. Building: administrators and editors (the
need "feedback"); results: also registration managers ("feedback_results")."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kongres.events.models import Edition
from kongres.feedback import selectors
from kongres.feedback.forms import QuestionForm, SurveyForm
from kongres.feedback.models import Question, Survey
from kongres.feedback.services import (
    FeedbackError,
    question_delete,
    question_save,
    survey_invite,
    survey_invite_after,
    survey_save,
    survey_status_change,
)
from kongres.orga import feedback as results
from kongres.orga.access import orga_access_survey_question, orga_view


def _survey_or_404(edition: Edition) -> Survey:
    survey = selectors.survey_of_edition(edition=edition)
    if survey is None:
        raise Http404("no survey")
    return survey


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("feedback")
def survey_page(request: HttpRequest, edition: Edition) -> HttpResponse:
    """The survey: its texts and settings (a form), its questions, its state and actions."""
    survey = selectors.survey_of_edition(edition=edition)
    form = SurveyForm(request.POST or None, initial=SurveyForm.initial_of(survey))
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_save(edition=edition, actor=request.user, **form.cleaned_data)
        except FeedbackError as error:
            form.add_error(error.field, str(error.message))
        else:
            messages.success(request, _("The survey was saved."))
            return redirect("orga:feedback", edition=edition.slug)
    return render(
        request,
        "orga/feedback/survey.html",
        {
            "edition": edition,
            "survey": survey,
            "form": form,
            "groups": selectors.question_groups(survey=survey) if survey else [],
            "counts": selectors.survey_counts(survey=survey) if survey else None,
            "invite_after": survey_invite_after(survey=survey) if survey else None,
        },
    )


def _question_form_page(
    request: HttpRequest, edition: Edition, survey: Survey, question: Question | None
) -> HttpResponse:
    form = QuestionForm(
        request.POST or None, edition=edition, initial=QuestionForm.initial_of(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            question_save(survey=survey, data=form.to_data(), question=question, actor=request.user)
        except FeedbackError as error:
            form.add_error(error.field, str(error.message))
        else:
            messages.success(request, _("The question was saved."))
            return redirect("orga:feedback", edition=edition.slug)
    return render(
        request,
        "orga/feedback/question_form.html",
        {"edition": edition, "survey": survey, "form": form, "question": question},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("feedback")
def question_add(request: HttpRequest, edition: Edition) -> HttpResponse:
    return _question_form_page(request, edition, _survey_or_404(edition), None)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("feedback")
def question_edit(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    question = orga_access_survey_question(user=request.user, edition=edition, question_id=pk)
    return _question_form_page(request, edition, question.survey, question)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("feedback")
def question_delete_view(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """GET: the question and a confirm button; POST: delete it (refused once answered)."""
    question = orga_access_survey_question(user=request.user, edition=edition, question_id=pk)
    if request.method == "POST":
        try:
            question_delete(question=question, actor=request.user)
        except FeedbackError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The question was deleted."))
        return redirect("orga:feedback", edition=edition.slug)
    return render(
        request, "orga/feedback/question_delete.html", {"edition": edition, "question": question}
    )


@require_POST
@orga_view("feedback")
def survey_status(request: HttpRequest, edition: Edition) -> HttpResponse:
    survey = _survey_or_404(edition)
    try:
        survey = survey_status_change(
            survey=survey, status=request.POST.get("status", ""), actor=request.user
        )
    except FeedbackError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("The survey is now: %(state)s.") % {"state": survey.get_status_display()}
        )
    return redirect("orga:feedback", edition=edition.slug)


@require_POST
@orga_view("feedback")
def survey_invite_view(request: HttpRequest, edition: Edition) -> HttpResponse:
    survey = _survey_or_404(edition)
    try:
        invited = survey_invite(survey=survey, actor=request.user, now=timezone.now())
    except FeedbackError as error:
        messages.error(request, str(error.message))
    else:
        if invited:
            messages.success(
                request,
                _("Invitations queued: %(count)s. Nobody is invited twice.") % {"count": invited},
            )
        else:
            messages.info(request, _("Everyone who can be invited has been invited already."))
    return redirect("orga:feedback", edition=edition.slug)


@require_safe
@orga_view("feedback_results")
def survey_results(request: HttpRequest, edition: Edition) -> HttpResponse:
    survey = _survey_or_404(edition)
    return render(
        request,
        "orga/feedback/results.html",
        {
            "edition": edition,
            "survey": survey,
            "counts": selectors.survey_counts(survey=survey),
            "results": selectors.survey_results(survey=survey),
        },
    )


# An SVG shown through <img>: it runs nothing and styles itself with its own <style> element,
# which this policy allows for this response only (as the dashboard's charts).
@never_cache
@require_safe
@csp_override(
    {
        "default-src": [CSP.NONE],
        "style-src": [CSP.UNSAFE_INLINE],
        "frame-ancestors": [CSP.NONE],
    }
)
@orga_view("feedback_results")
def survey_chart(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    svg = results.feedback_chart_svg(survey=_survey_or_404(edition), question_id=pk)
    if svg is None:
        raise Http404("no such chart")
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@require_safe
@orga_view("feedback_results")
def survey_export(request: HttpRequest, edition: Edition, extension: str) -> HttpResponse:
    """Every response, anonymous (no column says who): CSV or XLSX."""
    survey = _survey_or_404(edition)
    day = timezone.localdate().isoformat()
    filename = f"{edition.slug}-{_('survey')}-{day}.{extension}"
    if extension == "csv":
        response = StreamingHttpResponse(
            results.feedback_csv(survey=survey), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if extension == "xlsx":
        return FileResponse(
            results.feedback_xlsx(survey=survey),
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    raise Http404("no such format")
