from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "events/home.html", {"edition": request.edition})


def _later(request: HttpRequest, slug: str = "") -> HttpResponse:  # replaced by the pages' work
    return render(request, "events/home.html", {"edition": request.edition})


programme = session_detail = session_ics = speaker_list = speaker_detail = _later
venue = organisers = archive = edition_detail = edition_ics = _later
