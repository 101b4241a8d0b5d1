"""The two ceiling views, served by the same server, settings and middleware as the site.

- ``hello``: the framework ceiling, a response with no template and no query.
- ``naive_register``: the naive-ORM ceiling, the least a registration can do: lock the edition
  row and insert a bare registration (no form, no checks, no seat count, no mail).
"""

import datetime as dt
import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kongres.events.models import Edition
from kongres.registration.models import Registration


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world\n", content_type="text/plain")


@csrf_exempt
@require_POST
def naive_register(request: HttpRequest) -> HttpResponse:
    edition_id = int(request.GET["edition"])
    with transaction.atomic():
        edition = Edition.objects.select_for_update().only("id").get(pk=edition_id)
        Registration.objects.create(
            edition=edition,
            email=f"naive-{uuid.uuid4().hex}@bench.example.org",
            status=Registration.Status.HELD,
            hold_expires_at=timezone.now() + dt.timedelta(hours=2),
        )
    return HttpResponse("registered\n", content_type="text/plain", status=201)
