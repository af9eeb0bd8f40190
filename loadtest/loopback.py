"""Secure cookies over plain HTTP on the loopback, as browsers allow for localhost.

With DEBUG off Cairn's session and CSRF cookies are ``Secure``; the cluster speaks plain HTTP
on 127.0.0.1. Python's cookie jar would then never send them back (and requests copies the
jar for each request, so a policy set on a session is lost): the load test's clients treat
the loopback as a secure origin instead, the way browsers treat http://localhost.
"""

from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlparse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_return_ok_secure = DefaultCookiePolicy.return_ok_secure


def _loopback_is_secure(self, cookie, request):
    if urlparse(request.get_full_url()).hostname in LOOPBACK:
        return True
    return _return_ok_secure(self, cookie, request)


DefaultCookiePolicy.return_ok_secure = _loopback_is_secure
