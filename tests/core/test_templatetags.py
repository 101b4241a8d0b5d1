import pytest
from django.template import Context, Template
from django.utils import translation

from kongres.content.models import NewsPost


def _post(**fields) -> NewsPost:
    return NewsPost(slug="wpis", **fields)  # unsaved: the tag reads attributes only


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_tr_gives_the_english_text_under_english():
    post = _post(title_pl="Tytuł", title_en="Title")
    with translation.override("en"):
        assert _render('{% tr post "title" %}', post=post) == "Title"


def test_tr_gives_the_polish_text_under_polish():
    post = _post(title_pl="Tytuł", title_en="Title")
    with translation.override("pl"):
        assert _render('{% tr post "title" %}', post=post) == "Tytuł"


def test_tr_falls_back_to_polish_marked_with_its_language():
    post = _post(title_pl="Tylko polski", title_en="")
    with translation.override("en"):
        assert _render('{% tr post "title" %}', post=post) == '<span lang="pl">Tylko polski</span>'


def test_tr_markdown_fallback_is_a_div():
    post = _post(body_pl="Tekst **gruby**.\n\n- jeden")
    with translation.override("en"):
        html = _render('{% tr post "body" markdown=True %}', post=post)
    assert html == (
        '<div lang="pl"><p>Tekst <strong>gruby</strong>.</p>\n<ul>\n<li>jeden</li>\n</ul></div>'
    )


def test_tr_markdown_in_the_active_language_is_not_wrapped():
    post = _post(body_pl="Polski", body_en="*English*")
    with translation.override("en"):
        assert _render('{% tr post "body" markdown=True %}', post=post) == (
            "<p><em>English</em></p>"
        )


def test_tr_escapes_html_in_plain_fields():
    post = _post(title_pl='<script>alert("x")</script> & co', title_en="")
    with translation.override("pl"):
        assert _render('{% tr post "title" %}', post=post) == (
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
        )
    with translation.override("en"):
        assert _render('{% tr post "title" %}', post=post) == (
            '<span lang="pl">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</span>'
        )


def test_tr_empty_in_every_language_gives_nothing():
    with translation.override("en"):
        assert _render('{% tr post "lead" %}', post=_post(lead_pl="", lead_en="")) == ""


def test_tr_markdown_is_sanitised():
    post = _post(body_pl='<img src=x onerror="alert(1)"><script>alert(2)</script>Treść')
    with translation.override("pl"):
        assert _render('{% tr post "body" markdown=True %}', post=post) == "<p>Treść</p>"


def test_markdown_filter():
    assert _render("{{ text|markdown }}", text="**a** <em onclick='x'>b</em>") == (
        "<p><strong>a</strong> <em>b</em></p>"
    )


@pytest.mark.parametrize(
    ("path", "code", "expected"),
    [
        ("/aktualnosci/wpis/", "en", "/en/news/wpis/"),
        ("/en/news/wpis/", "pl", "/aktualnosci/wpis/"),
        ("/aktualnosci/?page=2", "en", "/en/news/?page=2"),
        ("/aktualnosci/", "pl", "/aktualnosci/"),
        ("/nie-ma-takiej-strony/", "en", "/en/"),
    ],
)
def test_other_language_url(rf, path, code, expected):
    request = rf.get(path)
    language = "en" if path.startswith("/en/") else "pl"
    with translation.override(language):
        assert _render("{% other_language_url code %}", request=request, code=code) == expected


def test_other_language_url_absolute(rf):
    request = rf.get("/aktualnosci/wpis/")
    with translation.override("pl"):
        html = _render("{% other_language_url 'en' absolute=True %}", request=request)
    assert html == "http://testserver/en/news/wpis/"
