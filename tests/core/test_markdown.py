import pytest

from kongres.core.markdown import render_markdown


def test_markdown_keeps_links_lists_and_tables():
    html = render_markdown(
        'Zapisz się przez [formularz](/zarejestruj/ "Rejestracja").\n\n'
        "1. pierwszy\n2. drugi\n\n"
        "| Dzień | Panel |\n|---|---|\n| 7 X | Rewitalizacja |\n"
    )
    assert (
        '<a href="/zarejestruj/" title="Rejestracja" rel="noopener noreferrer">formularz</a>'
        in html
    )
    assert "<ol>\n<li>pierwszy</li>\n<li>drugi</li>\n</ol>" in html
    assert "<th>Dzień</th>" in html
    assert "<td>Rewitalizacja</td>" in html


@pytest.mark.parametrize(
    "url", ["https://example.org/a?b=1", "mailto:biuro@example.org", "tel:+48123456789"]
)
def test_markdown_keeps_safe_link_schemes(url):
    assert f'href="{url.replace("&", "&amp;")}"' in render_markdown(f"[x]({url})")


def test_markdown_drops_script():
    html = render_markdown("Przed <script>alert('x')</script> po")
    assert "script" not in html
    assert "alert" not in html
    assert html == "<p>Przed  po</p>"


def test_markdown_drops_event_handlers():
    html = render_markdown('<p onclick="x()">a</p> <img src="x" onerror="alert(1)">')
    assert "onclick" not in html
    assert "onerror" not in html
    assert "<img" not in html


@pytest.mark.parametrize(
    "source",
    [
        "[kliknij](javascript:alert(1))",
        '<a href="javascript:alert(1)">kliknij</a>',
        '<a href="JaVaScRiPt:alert(1)">kliknij</a>',
        "[kliknij](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_markdown_drops_dangerous_links(source):
    html = render_markdown(source)
    assert "javascript" not in html.lower()
    assert "data:" not in html
    assert "kliknij" in html


def test_markdown_drops_styles_and_iframes():
    html = render_markdown(
        '<style>p{}</style><iframe src="https://x.org"></iframe><b style="x">t</b>'
    )
    assert html.strip() == "<p>t</p>"


def test_markdown_turns_a_top_heading_into_h2():
    assert render_markdown("# Tytuł\n\n## Niżej") == "<h2>Tytuł</h2>\n<h2>Niżej</h2>"


def test_markdown_of_nothing_is_empty():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
