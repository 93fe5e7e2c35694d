from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.health import healthz

HEALTH_CHECK_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answer the health probe before host validation and HTTPS redirects.

    Load balancers and Docker probe the container by IP over plain HTTP, which
    ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise turn away.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_CHECK_PATH:
            return healthz(request)
        return self.get_response(request)
