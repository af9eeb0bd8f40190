"""The Permissions-Policy header: Cairn's pages use no camera, microphone, location,
payment or USB device, so the browser refuses them to any script on them (Django has no
setting for this header; the other security headers come from SecurityMiddleware and
django-csp, see docs/security-headers.md)."""

from django.conf import settings

# Only features Chromium and Firefox know: an unknown name makes the browser log an error.
DEFAULT = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (settings.CAIRN_PERMISSIONS_POLICY, "" for none)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "CAIRN_PERMISSIONS_POLICY", DEFAULT)

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
