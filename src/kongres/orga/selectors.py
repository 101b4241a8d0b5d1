"""Reads of the back office's own pages. A segment of participants is
``kongres.registration.segments.registration_filter``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from kongres.checkin.models import CheckIn
from kongres.events.models import Edition
from kongres.registration.models import Registration
from kongres.registration.segments import registration_filter


def registration_list(*, edition: Edition, params: Mapping[str, Any]) -> QuerySet[Registration]:
    """``registration_filter`` with what the list page shows of each row (a fixed number of
    queries however many rows): days, panels, whether checked in."""
    return (
        registration_filter(edition=edition, params=params)
        .annotate(
            is_checked_in=Exists(
                CheckIn.objects.filter(registration_id=OuterRef("pk"), result=CheckIn.Result.OK)
            )
        )
        .prefetch_related("days", "tracks")
    )
