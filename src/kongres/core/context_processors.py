from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"current_edition": getattr(request, "edition", None)}
