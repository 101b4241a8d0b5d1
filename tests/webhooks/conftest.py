"""Webhook fixtures: a real HTTP receiver on 127.0.0.1 (http.server in a thread), the worker
run once, and time passing for the deliveries' due times."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import translation
from django_tasks_db.models import DBTaskResult, get_date_max

from kongres.webhooks.models import WebhookDelivery, WebhookEvent
from kongres.webhooks.services import webhook_subscription_create
from tests.factories import DayFactory, EditionFactory
from tests.factories.registration import RegistrationFactory


class Receiver:
    """Records every request (headers, body); answers ``status`` (503 while ``down``). While
    ``hold`` is set, a request waits (``arrived`` is set) until ``release`` is set."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.down = False
        self.hold = False
        self.arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((dict(self.headers.items()), body))
                if receiver.hold:
                    receiver.arrived.set()
                    receiver.release.wait(timeout=30)
                self.send_response(503 if receiver.down else receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?from=kongres"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for headers, _body in self.requests]


@pytest.fixture
def receiver(settings):
    settings.KONGRES_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(autouse=True)
def _polish():
    with translation.override("pl"):
        yield


@pytest.fixture
def edition(db):
    edition = EditionFactory(capacity=2)
    DayFactory(edition=edition)
    return edition


@pytest.fixture
def subscription(edition, receiver):
    return webhook_subscription_create(
        edition=edition, url=receiver.url, events=WebhookEvent.values, actor=None
    )


def run_worker() -> None:
    """The real worker, once: periodic jobs, then every ready task."""
    call_command("worker", "--batch", verbosity=0)


def time_passes(delta: dt.timedelta) -> None:
    """Move every pending due time back by ``delta``, as if that much time had passed."""
    for delivery in WebhookDelivery.objects.all():
        delivery.next_attempt_at -= delta
        if delivery.claimed_until:
            delivery.claimed_until -= delta
        delivery.save(update_fields=["next_attempt_at", "claimed_until"])
    for task in DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max()):
        task.run_after -= delta
        task.save(update_fields=["run_after"])


def register(edition, *, verified: bool = True, **data):
    """A registration through the services, for the edition's days."""
    return RegistrationFactory(
        edition=edition,
        verified=verified,
        data__day_ids=[day.pk for day in edition.days.all()],
        **{f"data__{key}": value for key, value in data.items()},
    )
