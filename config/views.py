from django.http import HttpRequest, HttpResponse


def hello(request: HttpRequest) -> HttpResponse:
    """The benchmark's yardstick: the whole middleware stack, no work."""
    return HttpResponse("Hello", content_type="text/plain")
