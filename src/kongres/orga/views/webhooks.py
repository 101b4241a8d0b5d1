"""The edition's webhooks (``kongres.webhooks``): list, subscribe (the signing secret shown
once), the delivery log, a test event, turn off or on, delete. Administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kongres.events.models import Edition
from kongres.orga.access import orga_access_webhook, orga_view
from kongres.orga.forms import WebhookForm
from kongres.webhooks.models import WebhookSubscription
from kongres.webhooks.services import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_disable,
    webhook_subscription_enable,
    webhook_test_send,
)
from kongres.webhooks.validators import WebhookError

DELIVERIES_SHOWN = 100


@never_cache  # the page that shows a new secret must not be kept anywhere
@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def webhooks(request: HttpRequest, edition: Edition) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_subscription_create(
                edition=edition,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                actor=request.user,
            )
        except WebhookError as error:
            form.add_error("url", error.message)
        else:
            form = WebhookForm()
    subscriptions = WebhookSubscription.objects.filter(edition=edition).select_related("created_by")
    return render(
        request,
        "orga/webhooks.html",
        {"edition": edition, "form": form, "subscriptions": subscriptions, "created": created},
    )


@require_http_methods(["GET", "HEAD"])
@orga_view("settings")
def webhook_detail(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    webhook = orga_access_webhook(user=request.user, edition=edition, webhook_id=pk)
    deliveries = webhook.deliveries.order_by("-created_at", "-id")[:DELIVERIES_SHOWN]
    return render(
        request,
        "orga/webhook_detail.html",
        {"edition": edition, "webhook": webhook, "deliveries": deliveries},
    )


@require_POST
@orga_view("settings")
def webhook_test(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    webhook = orga_access_webhook(user=request.user, edition=edition, webhook_id=pk)
    if webhook.active:
        webhook_test_send(subscription=webhook, actor=request.user)
        messages.success(request, _("A test event is on its way; its answer shows below."))
    else:
        messages.error(request, _("Turn the webhook on before sending a test event."))
    return redirect("orga:webhook-detail", edition=edition.slug, pk=webhook.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@orga_view("settings")
def webhook_manage(request: HttpRequest, edition: Edition, pk: int) -> HttpResponse:
    """Turn the webhook off or on again, or delete it (with its delivery log)."""
    webhook = orga_access_webhook(user=request.user, edition=edition, webhook_id=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            webhook_subscription_delete(subscription=webhook, actor=request.user)
            messages.success(request, _("The webhook was deleted."))
            return redirect("orga:webhooks", edition=edition.slug)
        if action == "disable" and webhook.active:
            webhook_subscription_disable(subscription=webhook, actor=request.user)
            messages.success(request, _("The webhook was turned off."))
        elif action == "enable" and not webhook.active:
            try:
                webhook_subscription_enable(subscription=webhook, actor=request.user)
            except WebhookError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("The webhook was turned on again."))
        return redirect("orga:webhook-detail", edition=edition.slug, pk=webhook.pk)
    return render(request, "orga/webhook_manage.html", {"edition": edition, "webhook": webhook})
