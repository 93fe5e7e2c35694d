"""The app's URLs and, for the benchmark only, the bare hello view behind
all of the app's middleware: what the stack costs before any page's work."""

from django.urls import path

from bench.hello.urls import hello
from config.urls import handler500
from config.urls import urlpatterns as app_urlpatterns

# Copied, not include()d: the app's i18n_patterns must stay in the root URLconf.
urlpatterns = [path("bench/hello/", hello), *app_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
