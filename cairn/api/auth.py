"""API authentication: a personal token (``Authorization: Bearer …``) or the browser session."""

from ninja.security import HttpBearer, SessionAuth

from cairn.core.services import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user  # so handlers read request.user whichever way they came in
        return user


# The session works for the interactive docs in the browser; it checks the CSRF token.
AUTH = [TokenAuth(), SessionAuth()]
