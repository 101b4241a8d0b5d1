"""Reads of materials: what the public sees (published only), and the back office's lists."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from kongres.events.models import Edition, Session
from kongres.materials.models import Material, UploadLink


def material_published_list(*, session: Session) -> list[Material]:
    """The published materials and recordings of ``session``. One query."""
    return list(Material.objects.filter(session=session, state=Material.State.PUBLISHED))


def material_published_by_session(*, edition: Edition) -> dict[int, list[Material]]:
    """The published materials of ``edition``'s sessions, by session id. One query."""
    by_session: dict[int, list[Material]] = defaultdict(list)
    for material in Material.objects.filter(
        session__edition=edition, state=Material.State.PUBLISHED
    ):
        by_session[material.session_id].append(material)
    return dict(by_session)


def material_list(*, edition: Edition) -> QuerySet[Material]:
    """Every material of ``edition`` for the back office, waiting ones first."""
    return (
        Material.objects.filter(session__edition=edition)
        .select_related("session", "upload_link", "decided_by")
        .order_by("state", "session__starts_at", "pk")  # pending, published, rejected
    )


def material_get(*, edition: Edition, pk: int) -> Material | None:
    return material_list(edition=edition).filter(pk=pk).first()


def upload_link_list(*, edition: Edition) -> QuerySet[UploadLink]:
    return UploadLink.objects.filter(session__edition=edition).select_related("session")


def upload_link_get_by_pk(*, edition: Edition, pk: int) -> UploadLink | None:
    return upload_link_list(edition=edition).filter(pk=pk).first()


def material_submitted_through(*, link: UploadLink) -> list[Material]:
    """What was sent through ``link`` (the speaker sees its state)."""
    return list(link.materials.order_by("pk"))
