"""Send everyone to the set-up page until the first account exists."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect

# Paths that work before any account exists.
OPEN_PREFIXES = ("/setup/", "/static/", "/healthz", "/api/")


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
