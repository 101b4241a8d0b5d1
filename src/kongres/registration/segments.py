"""Segments of participants: ``registration_filter`` is the one definition of a segment. The
back office's list, its exports and the messages to participants all read the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from kongres.core.search import Fold, fold
from kongres.events.models import Edition
from kongres.registration.choices import (
    AccessibilityNeed,
    MunicipalitySize,
    QuestionKind,
    Sector,
    Voivodeship,
)
from kongres.registration.models import (
    SIGNUP_PLACE_STATUSES,
    Question,
    Registration,
    SessionSignup,
)

Status = Registration.Status

# Sort keys the list offers (the value of ``sort``; "-" in front: descending).
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name", "pk"),
    "created": ("created_at", "pk"),
    "status": ("status", "last_name", "pk"),
    "institution": ("institution", "last_name", "pk"),
    "voivodeship": ("voivodeship", "last_name", "pk"),
}
DEFAULT_SORT = "-created"
# Prefix of the parameters filtering by the answer to a custom question: ``answer_<slug>``.
ANSWER_PREFIX = "answer_"


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    """All non-empty values of ``key`` in a QueryDict or a plain dict (str or list)."""
    if hasattr(params, "getlist"):
        raw = params.getlist(key)
    else:
        value = params.get(key)
        raw = value if isinstance(value, (list, tuple)) else [] if value is None else [value]
    return [str(value).strip() for value in raw if value is not None and str(value).strip()]


def _ints(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


def registration_filter(*, edition: Edition, params: Mapping[str, Any]) -> QuerySet[Registration]:
    """The registrations of ``edition`` matching ``params`` (a QueryDict or a dict; values may
    repeat, meaning "any of"), sorted. Unknown or invalid values are ignored. Parameters:

    ``q`` every word in the name, e-mail, institution or town (case and accents ignored);
    ``status``, ``sector``, ``voivodeship``, ``municipality_size``, ``need`` (accessibility need);
    ``day`` (id; a registration with no days chosen attends all), ``track`` (id);
    ``checked_in`` "yes"/"no" (on any day, or on ``day`` when given);
    ``session`` (id) those holding a place in the session (signed up, or offered one);
    ``answer_<slug>`` the answer to a custom question (yes/no: "yes"/"no"; multiple: one of the
    values; text: contains); ``sort`` one of ``SORTS`` (``-`` in front: descending).
    """
    queryset = Registration.objects.filter(edition=edition)

    words = [word for word in fold(" ".join(_values(params, "q"))).split() if word]
    if words:
        queryset = queryset.annotate(
            _f_first=Fold("first_name"),
            _f_last=Fold("last_name"),
            _f_email=Fold("email"),
            _f_institution=Fold("institution"),
            _f_town=Fold("town"),
        )
        for word in words:
            queryset = queryset.filter(
                Q(_f_first__contains=word)
                | Q(_f_last__contains=word)
                | Q(_f_email__contains=word)
                | Q(_f_institution__contains=word)
                | Q(_f_town__contains=word)
            )

    for key, choices in (
        ("status", Status.values),
        ("sector", Sector.values),
        ("voivodeship", Voivodeship.values),
        ("municipality_size", MunicipalitySize.values),
    ):
        chosen = [value for value in _values(params, key) if value in choices]
        if chosen:
            queryset = queryset.filter(**{f"{key}__in": chosen})

    needs = [value for value in _values(params, "need") if value in AccessibilityNeed.values]
    if needs:
        # JSON list of values: matched as text (``contains`` on JSON is not in SQLite).
        need_q = Q()
        for need in needs:
            need_q |= Q(_f_needs__contains=f'"{need}"')
        queryset = queryset.annotate(_f_needs=Cast("accessibility_needs", TextField())).filter(
            need_q
        )

    through_days = Registration.days.through.objects
    day_ids = _ints(_values(params, "day"))
    if day_ids:
        queryset = queryset.filter(
            Exists(through_days.filter(registration_id=OuterRef("pk"), day_id__in=day_ids))
            | ~Exists(through_days.filter(registration_id=OuterRef("pk")))
        )
    track_ids = _ints(_values(params, "track"))
    if track_ids:
        queryset = queryset.filter(
            Exists(
                Registration.tracks.through.objects.filter(
                    registration_id=OuterRef("pk"), track_id__in=track_ids
                )
            )
        )

    session_ids = _ints(_values(params, "session"))
    if session_ids:
        queryset = queryset.filter(
            Exists(
                SessionSignup.objects.filter(
                    registration_id=OuterRef("pk"),
                    session_id__in=session_ids,
                    status__in=SIGNUP_PLACE_STATUSES,
                )
            )
        )

    checked_in = _values(params, "checked_in")
    if checked_in and checked_in[0] in {"yes", "no"}:
        # through the reverse relation of the check-ins (``checkin.CheckIn.registration``),
        # which build on registrations: "ok" is ``CheckIn.Result.OK``
        scans = Registration.objects.filter(pk=OuterRef("pk"), checkins__result="ok")
        if day_ids:
            scans = scans.filter(checkins__day_id__in=day_ids)
        queryset = queryset.filter(Exists(scans) if checked_in[0] == "yes" else ~Exists(scans))

    answer_keys = [key for key in params if key.startswith(ANSWER_PREFIX) and _values(params, key)]
    if answer_keys:
        questions = {
            question.slug: question
            for question in Question.objects.filter(
                edition=edition, slug__in=[key[len(ANSWER_PREFIX) :] for key in answer_keys]
            )
        }
        for key in answer_keys:
            question = questions.get(key[len(ANSWER_PREFIX) :])
            if question is not None:
                queryset = _filter_answer(queryset, question, _values(params, key))

    return queryset.order_by(*registration_sort(_values(params, "sort")))


def _filter_answer(queryset: QuerySet, question: Question, values: list[str]) -> QuerySet:
    lookup = f"answers__{question.slug}"
    if question.kind == QuestionKind.YESNO:
        wanted = [value == "yes" for value in values if value in {"yes", "no"}]
        return queryset.filter(**{f"{lookup}__in": wanted}) if wanted else queryset
    if question.kind == QuestionKind.TEXT:
        alias = f"_f_answer_{question.pk}"
        queryset = queryset.annotate(**{alias: Fold(KT(lookup))})
        return queryset.filter(**{f"{alias}__contains": fold(values[0])})
    values = [value for value in values if value in question.choice_values]
    if not values:
        return queryset
    if question.kind == QuestionKind.SINGLE:
        return queryset.filter(**{f"{lookup}__in": values})
    alias = f"_f_answer_{question.pk}"
    match = Q()
    for value in values:
        match |= Q(**{f"{alias}__contains": f'"{value}"'})
    return queryset.annotate(**{alias: KT(lookup)}).filter(match)


def registration_sort(values: list[str]) -> tuple[str, ...]:
    """The ``order_by`` fields for the first sort value given (else the default)."""
    key = values[0] if values else DEFAULT_SORT
    descending = key.startswith("-")
    fields = SORTS.get(key.lstrip("-")) or SORTS[DEFAULT_SORT.lstrip("-")]
    if key.lstrip("-") not in SORTS:
        descending = DEFAULT_SORT.startswith("-")
    return tuple(f"-{field}" if descending else field for field in fields)
