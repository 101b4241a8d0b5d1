"""QR codes and PDFs read back with real tools: pdfium renders the pages, zxing-cpp decodes the
QR codes and must find the ticket's code."""

import base64
import io

import pypdfium2
import pytest
import zxingcpp
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from PIL import Image
from weasyprint import HTML

from kongres.checkin.badges import badges_pdf
from kongres.checkin.selectors import badge_registrations
from kongres.core.qr import qr_png, qr_svg
from kongres.registration.tickets import ticket_for_registration, ticket_mail, ticket_pdf_attachment

pytestmark = pytest.mark.django_db


def decode(image: Image.Image) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def pdf_pages(pdf: bytes) -> list[tuple[Image.Image, str]]:
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        image = page.render(scale=2).to_pil()
        text = page.get_textpage().get_text_range()
        pages.append((image, text))
    return pages


def svg_to_image(svg: bytes) -> Image.Image:
    page = "<style>@page{size:60mm 60mm;margin:0} img{width:60mm}</style>"
    source = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    pdf = HTML(string=f'{page}<img src="{source}">').write_pdf()
    return pdf_pages(pdf)[0][0]


def test_png_and_svg_decode_to_the_ticket_code(register):
    ticket = ticket_for_registration(registration=register())
    assert decode(Image.open(io.BytesIO(qr_png(ticket.code)))) == [ticket.code]
    assert decode(svg_to_image(qr_svg(ticket.code).encode())) == [ticket.code]


@pytest.mark.parametrize("size", ["a4", "phone"])
def test_ticket_pdf_has_the_details_and_a_qr_that_decodes(client, register, size):
    registration = register(first_name="Zofia", last_name="Żółć", institution="Urząd Miasta Łodzi")
    ticket = ticket_for_registration(registration=registration)
    url = reverse("checkin:ticket-pdf", kwargs={"token": registration.token}) + f"?size={size}"
    pages = pdf_pages(client.get(url).content)
    assert len(pages) == 1
    image, text = pages[0]
    assert decode(image) == [ticket.code]
    for expected in ("Zofia", "Żółć", "Urząd Miasta Łodzi", "Kongres", "Centrum Testowe"):
        assert expected in text
    assert "Dni udziału" in text
    assert "Dzień pierwszy" in text and "Dzień drugi" in text


def test_ticket_pdf_in_english(client, register):
    registration = register()
    with translation.override("en"):
        url = reverse("checkin:ticket-pdf", kwargs={"token": registration.token})
    assert url == f"/en/registration/manage/{registration.token}/ticket.pdf"
    _image, text = pdf_pages(client.get(url).content)[0]
    assert "Days attending" in text


def test_badges_eight_per_sheet_with_names_sector_labels_and_qr(edition, register):
    registrations = [
        register(first_name=f"Imię{n}", last_name=f"Nazwisko {n:02d}", sector="science")
        for n in range(9)
    ]
    registrations.append(register(first_name="Jan", last_name="Zzz", sector="business"))
    chosen = badge_registrations(edition=edition)
    pdf = badges_pdf(edition=edition, registrations=chosen)
    pages = pdf_pages(pdf)
    assert len(pages) == 2
    first_image, first_text = pages[0]
    codes = {r.pk: ticket_for_registration(registration=r).code for r in registrations}
    first_eight = chosen[:8]
    assert decode(first_image) == sorted(codes[r.pk] for r in first_eight)
    assert "Imię0" in first_text and "Nazwisko 00" in first_text
    assert "Urząd Miasta Krakowa" in first_text
    assert "NAUKA" in first_text.upper()  # the sector in words, not colour alone
    second_image, second_text = pages[1]
    assert "Zzz" in second_text
    assert decode(second_image) == sorted(codes[r.pk] for r in chosen[8:])


def test_badges_only_for_confirmed_and_filtered_by_sector(edition, register, organiser):
    from kongres.registration.services import registration_cancel

    register(first_name="Ala", sector="science")
    register(first_name="Ola", sector="business")
    registration_cancel(registration=register(first_name="Ela", sector="science"), actor=organiser)
    chosen = badge_registrations(edition=edition, sector="science")
    assert [r.first_name for r in chosen] == ["Ala"]


def test_mail_parts_carry_the_qr_inline_and_the_pdfs_made_when_sent(register):
    registration = register(first_name="Zofia")
    parts = ticket_mail(registration=registration)
    assert parts.ticket == ticket_for_registration(registration=registration)
    qr, *pdfs = parts.attachments
    assert (qr.filename, qr.mimetype) == ("ticket-qr.png", "image/png")
    assert parts.context["ticket_qr_src"] == f"cid:{qr.content_id}"
    assert decode(Image.open(io.BytesIO(qr.content))) == [parts.ticket.code]
    slug = registration.edition.slug
    assert [(a.filename, a.content, a.renderer, a.params) for a in pdfs] == [
        (
            f"ticket-{slug}{suffix}.pdf",
            b"",
            "registration.ticket_pdf",
            {"ticket": parts.ticket.pk, "size": size, "language": "pl"},
        )
        for size, suffix in (("a4", ""), ("phone", "-phone"))
    ]
    for pdf in pdfs:  # what the mail worker makes
        made = ticket_pdf_attachment(**pdf.params)
        assert decode(pdf_pages(made)[0][0]) == [parts.ticket.code]
    html = render_to_string("registration/mail/_ticket.html", parts.context)
    assert f'<img src="cid:{qr.content_id}" width="198" height="198"' in html
    text = render_to_string("registration/mail/_ticket.txt", parts.context)
    assert parts.ticket.code_grouped in text


def test_participant_page_snippet_has_an_accessible_inline_qr(register):
    registration = register()
    ticket = ticket_for_registration(registration=registration)
    with translation.override("pl"):
        html = render_to_string(
            "registration/_ticket.html", {"ticket": ticket, "token": registration.token}
        )
    assert '<svg role="img" focusable="false"' in html
    assert "<title>Kod QR Twojego biletu</title>" in html
    assert ticket.code_grouped in html
    pdf = reverse("checkin:ticket-pdf", kwargs={"token": registration.token})
    assert f'href="{pdf}"' in html
    assert f'href="{pdf}?size=phone"' in html
