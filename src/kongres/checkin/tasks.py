"""Background work of the check-in app (``kongres worker``): certificates of attendance, as a
periodic job after each edition (``settings.KONGRES_PERIODIC_JOBS``) and as a task an
organiser starts from the back office (``django.tasks``)."""

from django.contrib.auth import get_user_model
from django.tasks import task

from kongres.checkin.certificates import certificates_due, certificates_issue_edition
from kongres.events.models import Edition


def certificates_issue_due() -> int:
    """Issue the certificates of editions that ended lately (``certificates_due``)."""
    return certificates_due()


@task()
def certificates_issue(edition_id: int, actor_id: int | None = None) -> int:
    """Issue what is missing in one edition now (an organiser's request)."""
    edition = Edition.objects.filter(pk=edition_id).first()
    if edition is None:
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return certificates_issue_edition(edition=edition, actor=actor).total
