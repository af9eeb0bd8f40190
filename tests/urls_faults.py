"""The site's URLs plus two that fail on purpose, to test what a fault looks like."""

from django.db import OperationalError
from django.urls import path

from cairn.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a bug")


def locked(request):
    raise OperationalError("database is locked")


urlpatterns = [
    path("api/v1/test-boom", boom),
    path("api/v1/test-locked", locked),
    path("test-boom/", boom),
    path("test-locked/", locked),
    *urlpatterns,
]
