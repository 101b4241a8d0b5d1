"""Forms of the back office: the participant filter, the organiser's registration forms,
actions, roles, settings, the audit log search, two-factor codes and the password confirmation
before the second factor changes; news posts."""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import SetPasswordMixin
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kongres.accounts.models import ApiToken, EditionRole
from kongres.core.validators import UploadedImageFormField, validate_uploaded_image
from kongres.events.models import Edition
from kongres.registration.choices import (
    AccessibilityNeed,
    MunicipalitySize,
    QuestionKind,
    Sector,
    Voivodeship,
)
from kongres.registration.forms import RegistrationEditForm, RegistrationFieldsForm
from kongres.registration.models import Question, Registration
from kongres.registration.segments import ANSWER_PREFIX, SORTS
from kongres.webhooks.models import WebhookEvent

YES_NO = [("", _("any")), ("yes", _("yes")), ("no", _("no"))]


def _sort_choices() -> list[tuple[str, str]]:
    labels = {
        "name": _("name"),
        "created": _("registration time"),
        "status": _("status"),
        "institution": _("institution"),
        "voivodeship": _("voivodeship"),
    }
    choices = []
    for key in SORTS:
        choices.append((key, _("%(field)s, ascending") % {"field": labels[key]}))
        choices.append((f"-{key}", _("%(field)s, descending") % {"field": labels[key]}))
    return choices


class RegistrationFilterForm(forms.Form):
    """Renders the filters; ``selectors.registration_filter`` reads the same parameters."""

    q = forms.CharField(
        label=_("Search"), required=False, help_text=_("name, e-mail, institution, town")
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Registration.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sector = forms.MultipleChoiceField(
        label=_("Sector"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    voivodeship = forms.MultipleChoiceField(
        label=_("Voivodeship"),
        choices=Voivodeship.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    municipality_size = forms.MultipleChoiceField(
        label=_("Size of the municipality"),
        choices=MunicipalitySize.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    day = forms.TypedChoiceField(label=_("Day"), required=False, coerce=int)
    track = forms.TypedChoiceField(label=_("Panel"), required=False, coerce=int)
    session = forms.TypedChoiceField(
        label=_("Signed up for the session"), required=False, coerce=int
    )
    need = forms.MultipleChoiceField(
        label=_("Accessibility needs"),
        choices=AccessibilityNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    checked_in = forms.ChoiceField(label=_("Checked in"), choices=YES_NO, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, edition: Edition, questions: list[Question], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [("", _("any"))] + [
            (day.pk, day.name or day.date.isoformat()) for day in edition.days.all()
        ]
        self.fields["track"].choices = [("", _("any"))] + [
            (track.pk, track.name) for track in edition.tracks.all()
        ]
        self.fields["session"].choices = [("", _("any"))] + [
            (session.pk, session.title)
            for session in edition.sessions.exclude(signup_mode="open").order_by("starts_at")
        ]
        self.fields["sort"].choices = _sort_choices()
        self.question_fields = []
        for question in questions:
            name = ANSWER_PREFIX + question.slug
            if question.kind == QuestionKind.TEXT:
                field = forms.CharField(label=question.label, required=False)
            elif question.kind == QuestionKind.YESNO:
                field = forms.ChoiceField(label=question.label, choices=YES_NO, required=False)
            else:
                field = forms.ChoiceField(
                    label=question.label,
                    required=False,
                    choices=[("", _("any"))]
                    + [(value, question.choice_label(value)) for value in question.choice_values],
                )
            self.fields[name] = field
            self.question_fields.append(name)

    @property
    def main_fields(self):
        return [
            self[name] for name in self.fields if name not in {"q", "sort", *self.question_fields}
        ]

    @property
    def answer_fields(self):
        return [self[name] for name in self.question_fields]


class OrgaRegistrationEditForm(RegistrationEditForm):
    """The organiser corrects the answers (the same fields as the participant's edit form)."""


class OrgaRegistrationAddForm(RegistrationFieldsForm):
    """The organiser adds a person by hand: confirmed at once (no address check)."""

    over_capacity = forms.BooleanField(
        label=_("Add even when there is no free seat (over capacity)"), required=False
    )
    SECTIONS = (
        (_("Person"), ("first_name", "last_name", "email")),
        (
            _("Where they work"),
            ("institution", "position", "sector", "town", "voivodeship", "municipality_size"),
        ),
        (_("Participation"), ("days", "tracks")),
        (_("Needs"), ("accessibility_needs", "accessibility_other", "dietary_needs")),
        (_("Consents"), ("photo_consent", "newsletter_consent")),
        (_("Capacity"), ("over_capacity",)),
    )

    def to_data(self):  # type: ignore[override]
        return super().to_data(privacy_consent=False)


class ActionForm(forms.Form):
    over_capacity = forms.BooleanField(
        label=_("Yes, give a seat even though there is no free one (over capacity)"),
        required=False,
    )
    note = forms.CharField(
        label=_("Note for the audit log (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoleGrantForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of an existing account"))
    role = forms.ChoiceField(label=_("Role"), choices=EditionRole.Role.choices)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person invited"))
    role = forms.ChoiceField(label=_("Role"), choices=EditionRole.Role.choices)


class InvitationAcceptForm(SetPasswordMixin, forms.Form):
    """A new account from an invitation: a name and a password (Django's validators, at least
    12 characters); the address is the invitation's."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("Password"), label2=_("Password (again)")
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        for name, autocomplete in (("first_name", "given-name"), ("last_name", "family-name")):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        self.fields["password1"].help_text = _(
            "At least 12 characters; not a common password, not only digits, and not like your "
            "name or e-mail address."
        )
        self.fields["password2"].help_text = ""

    def clean(self):
        self.validate_passwords()
        user = get_user_model()(
            username=self.email,
            email=self.email,
            first_name=self.cleaned_data.get("first_name", ""),
            last_name=self.cleaned_data.get("last_name", ""),
        )
        self.validate_password_for_user(user, password_field_name="password1")  # noqa: S106
        return self.cleaned_data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("of a thing", "Name"),
        max_length=100,
        help_text=_("Who uses it, e.g. the ministry's CRM."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class WebhookForm(forms.Form):
    # a CharField: the URL's own checks (a public address, kongres.webhooks.validators) give
    # the one message, in the service
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("The address of the receiving system, e.g. https://crm.example.org/hooks."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class EditionSettingsForm(forms.Form):
    requires_two_factor = forms.BooleanField(
        label=_("Organisers must use two-factor authentication for this edition"),
        required=False,
    )


class AuditSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args, actions: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("any"))] + [(a, a) for a in actions]


class TokenForm(forms.Form):
    """A code from the authenticator app, or a recovery code (``abcd-efgh``)."""

    token = forms.CharField(
        label=_("Code from the authenticator app or a recovery code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


class PasswordConfirmForm(forms.Form):
    """The signed-in user's password again, before their second factor changes. It goes
    through the same authentication backend as a login (throttled: ``LoginThrottled``)."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        found = authenticate(self.request, username=user.get_username(), password=password)
        if found is None or found.pk != user.pk:
            raise forms.ValidationError(_("This password is not right."), code="invalid")
        return password


class ExportForm(forms.Form):
    """Which columns and which format; the list's filters travel beside it in the query."""

    FORMATS = [("csv", _("CSV (Excel, LibreOffice; UTF-8)")), ("xlsx", _("XLSX (Excel workbook)"))]
    columns = forms.MultipleChoiceField(
        label=_("Columns"), widget=forms.CheckboxSelectMultiple, required=False
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, widget=forms.RadioSelect)

    def __init__(self, *args, columns: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [(column.key, column.label) for column in columns]
        self.fields["columns"].initial = [column.key for column in columns if column.default]
        self.fields["format"].initial = "xlsx"


class CampaignForm(forms.Form):
    subject_pl = forms.CharField(label=_("Subject (Polish)"), max_length=200)
    body_pl = forms.CharField(
        label=_("Message (Polish)"), widget=forms.Textarea(attrs={"rows": 10})
    )
    subject_en = forms.CharField(
        label=_("Subject (English)"),
        max_length=200,
        required=False,
        help_text=_("Leave both English fields empty to send the Polish text to everyone."),
    )
    body_en = forms.CharField(
        label=_("Message (English)"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )
    transactional = forms.BooleanField(
        label=_("About the registration itself"),
        required=False,
        help_text=_(
            "Practical information for confirmed participants. Without it the message goes "
            "only to those who agreed to the newsletter."
        ),
    )


# Parameters of these pages that are not filters of the list.
NOT_FILTERS = frozenset({"page", "columns", "format", "csrfmiddlewaretoken"})


def segment_from(params: QueryDict) -> dict[str, list[str]]:
    """The list's filters in ``params`` as a plain dict (each value a list; empty ones left out)."""
    segment = {}
    for key in params:
        if key in NOT_FILTERS:
            continue
        values = [value for value in params.getlist(key) if value.strip()]
        if values:
            segment[key] = values
    return segment


def segment_query(segment: dict[str, list[str]]) -> str:
    query = QueryDict(mutable=True)
    for key, values in segment.items():
        query.setlist(key, values)
    return query.urlencode()


MARKDOWN_HELP = _(
    "Markdown: **bold**, *italics*, [a link](https://…), lists with “- ”, headings with “## ”."
)


class NewsPostForm(forms.Form):
    """A news post in Polish and English side by side (``content.services.news_post_*``).
    ``has_image``: the post already has an image (its alternative text is then required);
    ``zone``: the name of the time zone the publication time is read in."""

    title_pl = forms.CharField(label=_("Title (Polish)"), max_length=250)
    title_en = forms.CharField(label=_("Title (English)"), max_length=250, required=False)
    lead_pl = forms.CharField(
        label=_("Lead (Polish)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead_en = forms.CharField(
        label=_("Lead (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    body_pl = forms.CharField(
        label=_("Text (Polish)"),
        required=False,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    body_en = forms.CharField(
        label=_("Text (English)"),
        required=False,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    image = UploadedImageFormField(
        label=_("Image"),
        required=False,
        validators=[validate_uploaded_image],
        help_text=_("PNG, JPEG, GIF or WebP."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    image_alt_pl = forms.CharField(
        label=_("Image description for those who cannot see it (Polish)"),
        max_length=200,
        required=False,
    )
    image_alt_en = forms.CharField(
        label=_("Image description for those who cannot see it (English)"),
        max_length=200,
        required=False,
    )
    published_at = forms.DateTimeField(
        label=_("Publication time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=120,
        required=False,
        help_text=_("Empty: made from the Polish title. Changing it breaks links to the post."),
    )

    def __init__(self, *args, has_image: bool = False, zone: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.has_image = has_image
        for name, field in self.fields.items():
            if name.endswith(("_pl", "_en")):  # spelling checked in the text's language
                field.widget.attrs["lang"] = name[-2:]
        self.fields["published_at"].help_text = _(
            "Empty: a draft, not shown. A time to come: shown from then on. Time zone: %(zone)s."
        ) % {"zone": zone}

    def clean(self):
        data = super().clean()
        image = data.get("image")
        will_have_image = bool(image) or (self.has_image and image is not False)
        if will_have_image and not data.get("image_alt_pl", "").strip():
            self.add_error("image_alt_pl", _("Describe the image for those who cannot see it."))
        return data
