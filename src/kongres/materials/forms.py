from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

ACCEPT = ".pdf,.pptx,.odp,.mp4,.webm,application/pdf,video/mp4,video/webm"


class MaterialForm(forms.Form):
    """A file (slides or a video) or a recording's address; checked by the service."""

    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("PDF, PPTX or ODP slides, or an MP4 or WebM recording."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    url = forms.CharField(
        label=_("Or the address of a recording"),
        required=False,
        max_length=500,
        help_text=_("A link starting with https:// (e.g. to a video platform)."),
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )


class UploadLinkForm(forms.Form):
    session = forms.TypedChoiceField(label=_("Session"), coerce=int)
    email = forms.EmailField(label=_("Speaker's e-mail address"))
    language = forms.ChoiceField(
        label=_("Language of the e-mail"), choices=[("pl", _("Polish")), ("en", _("English"))]
    )

    def __init__(self, *args, sessions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [(s.pk, s.title) for s in sessions]


class OrganiserMaterialForm(MaterialForm):
    """An organiser adds a material or a recording (published at once)."""

    session = forms.TypedChoiceField(label=_("Session"), coerce=int)
    field_order = ["session", "title", "file", "url"]

    def __init__(self, *args, sessions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [(s.pk, s.title) for s in sessions]
        self.order_fields(self.field_order)
