"""Every PDF kongres makes is tagged (PDF/UA-1): opened with pdfium (``tests.pdfcheck``), each
has a structure tree (/StructTreeRoot, /MarkInfo /Marked true), the document's language
(/Lang) and title, the title shown by viewers, and alternative text on its QR codes."""

import pytest

from kongres.checkin.badges import badges_pdf
from kongres.checkin.certificates import (
    certificate_issue,
    certificate_pdf,
    certificate_pdf_attachment,
)
from kongres.checkin.selectors import badge_registrations
from kongres.checkin.services import checkin_perform
from kongres.core.pdf import pdf_fonts_shared, pdf_from_html
from kongres.registration.tickets import ticket_for_registration, ticket_pdf
from tests.pdfcheck import pdf_accessibility

pytestmark = pytest.mark.django_db


def assert_tagged(pdf: bytes, *, language: str, title: str) -> list[str]:
    found = pdf_accessibility(pdf)
    assert (found.marked, found.struct_tree_root, found.display_title) == (True, True, True)
    assert (found.language, found.title) == (language, title)
    assert found.structure[0] == "Document"
    return found.alt_texts


@pytest.mark.parametrize(
    ("language", "title", "alt"),
    [
        ("pl", "Bilet · {title_pl}", "Kod QR biletu"),
        ("en", "Ticket · {title_en}", "QR code of the ticket"),
    ],
)
@pytest.mark.parametrize("size", ["a4", "phone"])
def test_ticket_pdf_is_tagged(edition, register, size, language, title, alt):
    ticket = ticket_for_registration(registration=register())
    pdf = ticket_pdf(ticket=ticket, size=size, language=language)
    title = title.format(title_pl=edition.title_pl, title_en=edition.title_en)
    assert assert_tagged(pdf, language=language, title=title) == [alt]


def test_badges_pdf_is_tagged_with_an_alt_text_on_every_qr(edition, register):
    for n in range(3):
        register(first_name=f"Imię{n}")
    pdf = badges_pdf(edition=edition, registrations=badge_registrations(edition=edition))
    alts = assert_tagged(pdf, language="pl", title="Identyfikatory · Kongres")
    assert alts == ["Kod QR biletu"] * 3


def test_certificate_pdf_is_tagged(edition, register, day1, organiser):
    registration = register(language="en")
    ticket = ticket_for_registration(registration=registration)
    checkin_perform(code=ticket.code, day=day1, gate=None, staff=organiser, nonce="tagged")
    certificate = certificate_issue(registration=registration, actor=organiser)
    pdf = certificate_pdf(certificate=certificate)
    title = f"Certificate of attendance · {edition.title_en} · {certificate.serial}"
    assert assert_tagged(pdf, language="en", title=title) == ["QR code of the verification address"]


def test_pdfs_made_with_shared_fonts_are_the_same_and_tagged(edition, register, day1, organiser):
    """The worker makes its PDFs with one font configuration (``pdf_fonts_shared``): the
    same bytes as a PDF made alone, in either language, one after the other."""
    certificates = []
    for n, language in enumerate(["pl", "en", "pl"]):
        registration = register(language=language, first_name=f"Zofia{n}", last_name="Żółć")
        ticket = ticket_for_registration(registration=registration)
        checkin_perform(code=ticket.code, day=day1, gate=None, staff=organiser, nonce=f"s{n}")
        certificates.append(certificate_issue(registration=registration, actor=organiser))
    alone = [certificate_pdf_attachment(certificate=c.pk) for c in certificates]
    with pdf_fonts_shared():
        shared = [certificate_pdf_attachment(certificate=c.pk) for c in certificates]
    assert shared == alone
    title = f"Certificate of attendance · {edition.title_en} · {certificates[1].serial}"
    assert assert_tagged(shared[1], language="en", title=title) == [
        "QR code of the verification address"
    ]


def test_a_pdf_without_language_or_title_is_caught():
    """The check can fail: a document without ``lang`` and ``<title>`` has neither."""
    found = pdf_accessibility(pdf_from_html("<p>Tekst</p>"))
    assert (found.marked, found.language, found.title) == (True, "", "")
