"""``{% certificates_of registration as certificates %}``: the participant's valid certificate of
attendance, for their page in the registration app (which imports nothing of check-in)."""

from django import template

from kongres.checkin.certificates import certificates_of_registration

register = template.Library()


@register.simple_tag
def certificates_of(registration):
    return certificates_of_registration(registration=registration)
