"""The login page every staff area builds on (the back office's and the check-in's): Django's,
with a login refused by the throttle (``kongres.accounts.backends``) shown as the form's error,
the user name kept, status 429."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from kongres.accounts.backends import LoginThrottled


class LoginView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.get_form()
        try:
            valid = form.is_valid()
        except LoginThrottled as error:
            form.add_error(None, error.message)
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        return self.form_valid(form) if valid else self.form_invalid(form)
