"""Send everyone to the set-up page until the first account exists; errors of the API in JSON."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import redirect

from cairn.core.errors import api_detail

API_PREFIX = "/api/"

# Paths that work before any account exists.
OPEN_PREFIXES = ("/setup/", "/static/", "/healthz", "/readyz", API_PREFIX)


class FirstRunMiddleware:
    """On an install with no users yet, every page leads to the set-up page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.has_users = False  # once true, stays true: no query per request after that

    def __call__(self, request):
        # A signed-in visitor proves there are accounts, so only anonymous requests ask.
        if (
            not self.has_users
            and not request.user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
        ):
            self.has_users = get_user_model().objects.exists()
            if not self.has_users:
                return redirect("setup")
        return self.get_response(request)


class ApiErrorsMiddleware:
    """Every error under ``/api/`` is JSON with ``detail``: whatever answered it (the URL
    resolver's 404, the router's 405, Django's 400 and 413, the 500 and 503 pages), an API
    client never parses an HTML page. Keeps headers such as ``Allow`` and ``Retry-After``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            detail = (
                getattr(response, "api_detail", "")
                or _limit_detail(response)
                or api_detail(response.status_code, response.get("Allow", ""))
            )
            converted = JsonResponse({"detail": detail}, status=response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    converted[header] = response[header]
            return converted
        return response


def _limit_detail(response) -> str:
    """A 413 says the limit, in megabytes."""
    if response.status_code != 413:
        return ""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20
    return f"The request body is larger than the limit of {limit} MB. Send it in smaller parts."
