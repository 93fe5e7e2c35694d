from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from config.context_processors import site_name


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    """The friendly 500 page, with no context processors: whatever failed
    may be among them, and this page must render regardless."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"SITE_NAME": site_name()}))


def hello(request: HttpRequest) -> HttpResponse:
    """The benchmark's yardstick: the whole middleware stack, no work."""
    return HttpResponse("Hello", content_type="text/plain")
