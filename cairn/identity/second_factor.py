"""The second factor: an authenticator app (TOTP) with ten single-use recovery codes.

The functions at the top change state (set up, confirm, new codes, remove) and are what the
pages below call; ``SecondFactorMiddleware`` sends a person who has not confirmed their
sign-in to the page that asks for a code. Built on django-otp: ``TOTPDevice`` for the app
(its ``last_t`` refuses a code twice, its throttling slows down guessing) and
``StaticDevice`` with ``StaticToken`` rows for the recovery codes (a used one is deleted).
"""

from __future__ import annotations

import re
import secrets
import time
from base64 import b32encode
from functools import cache
from urllib.parse import quote, urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import Count, Q
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cairn.core.forms import StyledForm
from cairn.core.models import Organization, Role
from cairn.identity.events import record
from cairn.identity.models import SecurityKind

RECOVERY_CODES = 10
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# What the middleware remembers in the session, so that a page costs no query for it:
# {"user": pk, "state": "free" | "verify" | "enrol", "at": unix time}. Looked at again after
# RECHECK_SECONDS, so that a rule an owner sets reaches people already signed in.
STATE_KEY = "cairn_2fa"
RECHECK_SECONDS = 300
CODES_KEY = "cairn_2fa_codes"  # new recovery codes, until the page that shows them once
NEXT_KEY = "cairn_2fa_next"  # where to go once the codes have been seen
SSO_KEY = "cairn_via"  # "sso": the identity provider asked for its own second factor

FREE, VERIFY, ENROL = "free", "verify", "enrol"
API_PREFIX = "/api/"
API_VERIFY = "Confirm your sign-in with your authenticator app first."
API_ENROL = "Set up an authenticator app first: an organisation you belong to requires one."


class SecondFactorError(Exception):
    """A change to the second factor that is refused, with the reason to show."""


# --- Reading


def app_device(user, *, confirmed: bool | None = True) -> TOTPDevice | None:
    """The person's authenticator app (the newest, if a set-up was started twice)."""
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("-id").first()


def recovery_device(user) -> StaticDevice | None:
    """The person's recovery codes, with how many are left (``left``): one query."""
    return (
        StaticDevice.objects.filter(user=user)
        .annotate(left=Count("token_set"))
        .order_by("-id")
        .first()
    )


def requiring_organizations(user) -> list[Organization]:
    """The organisations whose rule asks this person, in their role, for a second factor."""
    managers = [Role.OWNER, Role.EDITOR]
    return list(
        Organization.objects.filter(
            Q(memberships__user=user)
            & (
                Q(require_second_factor="all")
                | Q(require_second_factor="managers", memberships__role__in=managers)
            )
        ).distinct()
    )


def state_for(user) -> str:
    """What a session of ``user`` that has not confirmed a code needs: ``verify`` when they
    have an authenticator app, ``enrol`` when an organisation requires one and they have
    none, else ``free``. One query."""
    managers = [Role.OWNER, Role.EDITOR]
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            apps=Count("totpdevice", filter=Q(totpdevice__confirmed=True), distinct=True),
            rules=Count(
                "memberships",
                filter=Q(memberships__organization__require_second_factor="all")
                | Q(
                    memberships__organization__require_second_factor="managers",
                    memberships__role__in=managers,
                ),
                distinct=True,
            ),
        )
        .values("apps", "rules")
        .first()
    )
    if row and row["apps"]:
        return VERIFY
    return ENROL if row and row["rules"] else FREE


def via_sso(request) -> bool:
    return request.session.get(SSO_KEY) == "sso"


def is_verified(request) -> bool:
    """True when this session confirmed a code (or came through single sign-on)."""
    user = request.user
    return via_sso(request) or bool(getattr(user, "is_verified", lambda: False)())


def remember(request, state: str) -> None:
    request.session[STATE_KEY] = {"user": request.user.pk, "state": state, "at": int(time.time())}


# --- Changes


def start_app(user) -> TOTPDevice:
    """The authenticator app being set up: the one started before (so that reloading the
    page keeps the same QR code), or a new secret."""
    device = app_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)
    return device


def new_recovery_codes(user) -> list[str]:
    """Replace the person's recovery codes with ten new ones and return them (shown once)."""
    codes = [_random_code() for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user).order_by("-id").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def confirm_app(request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app being set up with its first code: it replaces any app before it, the
    person gets ten new recovery codes and this session counts as confirmed."""
    user = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        refused = _refusal(device)
        # A wrong code is counted by django-otp's throttling: not rolled back by a raise here.
        ok = not refused and device.verify_token(_digits(code))
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = new_recovery_codes(user)
    if not ok:
        record(SecurityKind.SECOND_FACTOR_FAILED, request=request, user=user, detail="set-up")
        raise SecondFactorError(refused or WRONG_CODE)
    django_otp.login(request, device)
    record(SecurityKind.SECOND_FACTOR_ADDED, request=request, user=user, detail=APP_NAME)
    return codes


def check_code(request, code: str):
    """The device that accepts ``code`` for the signed-in person: an authenticator app code
    (six digits) or a recovery code, which is then used up. Refused codes are recorded and
    counted by django-otp's throttling; SecondFactorError says why."""
    user = request.user
    recovery = not _digits(code).isdigit()
    device = recovery_device(user) if recovery else app_device(user)
    kind = "recovery code" if recovery else APP_NAME.lower()
    if device is None:
        record(SecurityKind.SECOND_FACTOR_FAILED, request=request, user=user, detail=kind)
        raise SecondFactorError(
            "That is not a code of your authenticator app (six digits) or one of your "
            "recovery codes."
        )
    token = _recovery(code) if recovery else _digits(code)
    with transaction.atomic():
        # Locked, so that two requests with the same code cannot both pass.
        device = type(device).objects.select_for_update().get(pk=device.pk)
        refused = _refusal(device)
        ok = not refused and device.verify_token(token)
    if not ok:
        detail = f"{kind}, throttled" if refused else kind
        record(SecurityKind.SECOND_FACTOR_FAILED, request=request, user=user, detail=detail)
        raise SecondFactorError(refused or (WRONG_RECOVERY if recovery else WRONG_CODE))
    if recovery:
        left = device.token_set.count()
        device.left = left
        record(SecurityKind.RECOVERY_CODE_USED, request=request, user=user, detail=f"{left} left")
    return device


def sign_in_with(request, device) -> None:
    """This session has confirmed a code with ``device``."""
    django_otp.login(request, device)
    request.session.pop(STATE_KEY, None)


def remove(request, code: str) -> None:
    """Remove the person's authenticator app and recovery codes, after a current code;
    refused when one of their organisations requires a second factor."""
    user = request.user
    required = requiring_organizations(user)
    if required:
        names = ", ".join(o.name for o in required)
        raise SecondFactorError(
            f"{names} requires a second factor for you, so it cannot be removed. To use a "
            "new phone, set up the authenticator app again instead."
        )
    check_code(request, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    user.otp_device = None
    remember(request, FREE)
    record(SecurityKind.SECOND_FACTOR_REMOVED, request=request, user=user)


WRONG_CODE = (
    "That code is not right. Type the six digits your authenticator app shows now (a code "
    "works only once; if it keeps failing, check the time on your phone)."
)
WRONG_RECOVERY = "That recovery code is not right, or it was used already."


def _refusal(device) -> str:
    """Why django-otp's throttling refuses to look at a code now, or ""."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return ""
    wait = 1
    if data and data.get("locked_until"):
        wait = max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return (
        f"Too many wrong codes in a row. Wait {wait} second{'s' if wait != 1 else ''}, "
        "then try again."
    )


def _digits(code: str) -> str:
    return "".join(code.split())


def _recovery(code: str) -> str:
    """A recovery code as stored: lower case, without the spaces and dash shown."""
    return "".join(c for c in code.lower() if c.isalnum())


def _random_code() -> str:
    # Ten characters of 31 that cannot be confused when copied by hand (no 0/o, 1/l/i):
    # about 50 bits each.
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def show_code(code: str) -> str:
    """``abcde-fghij``: easier to copy by hand than ten letters in a row."""
    return f"{code[:5]}-{code[5:]}"


def otpauth_url(device: TOTPDevice) -> str:
    """The address the QR code holds, with the site's name as issuer in the app."""
    issuer = settings.SITE_NAME.replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    params = {
        "secret": b32encode(device.bin_key).decode(),
        "issuer": issuer,
        "algorithm": "SHA1",
        "digits": device.digits,
        "period": device.step,
    }
    return f"otpauth://totp/{quote(label)}?{urlencode(params, quote_via=quote)}"


def qr_svg(text: str) -> str:
    """The QR code of ``text`` as inline SVG (white background, so dark mode scans too),
    240 pixels wide at most rather than qrcode's millimetres."""
    image = qrcode.make(
        text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=4
    )
    svg = image.to_string(encoding="unicode")
    return re.sub(
        r'^<svg width="[^"]*" height="[^"]*"',
        '<svg width="240" height="240" class="img-fluid qr-code" role="img" '
        'aria-label="QR code for your authenticator app"',
        svg,
        count=1,
    )


# --- Forms and pages


class CodeForm(StyledForm):
    code = forms.CharField(
        label="Code",
        max_length=24,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, label: str = "Code", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = label


def _next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@login_required
def verify(request):
    """After a password sign-in: the code of the authenticator app, or a recovery code."""
    target = _next(request)
    if is_verified(request):
        return redirect(target)
    if app_device(request.user) is None:  # removed meanwhile in another browser
        request.session.pop(STATE_KEY, None)  # so the middleware asks again, not here
        return redirect(target)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            device = check_code(request, form.cleaned_data["code"])
        except SecondFactorError as e:
            form.add_error("code", str(e))
        else:
            sign_in_with(request, device)
            left = getattr(device, "left", None)
            if left is not None:
                messages.warning(
                    request,
                    f"You used a recovery code: {left} left. Make new ones on your profile "
                    "if you are running low.",
                )
            return redirect(target)
    status = 422 if form.is_bound else 200
    return render(
        request, "identity/two_factor_verify.html", {"form": form, "next": target}, status=status
    )


@login_required
def set_up(request):
    """Scan the QR code with an authenticator app, then type its first code."""
    if app_device(request.user) is not None and not is_verified(request):
        return redirect(f"{reverse('two_factor_verify')}?next={quote(request.path)}")
    device = start_app(request.user)
    form = CodeForm(request.POST or None, label="Six-digit code")
    if form.is_valid():
        try:
            codes = confirm_app(request, device, form.cleaned_data["code"])
        except SecondFactorError as e:
            form.add_error("code", str(e))
        else:
            request.session[CODES_KEY] = codes
            request.session[NEXT_KEY] = _next(request, "profile")
            request.session.pop(STATE_KEY, None)
            return redirect("two_factor_codes")
    url = otpauth_url(device)
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "identity/two_factor_enrol.html",
        {
            "form": form,
            "qr": mark_safe(qr_svg(url)),  # noqa: S308 - SVG made here from our own text
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required_by": requiring_organizations(request.user),
            "replacing": app_device(request.user) is not None,
            "next": request.GET.get("next", ""),
        },
        status=422 if form.is_bound else 200,
    )


@login_required
def recovery_codes(request):
    """New recovery codes, shown this once."""
    codes = request.session.pop(CODES_KEY, None)
    target = request.session.pop(NEXT_KEY, None) or reverse("profile")
    if not codes:
        messages.info(request, "Recovery codes are shown only once. Make new ones if you need.")
        return redirect("profile")
    response = render(
        request,
        "identity/two_factor_codes.html",
        {"codes": [show_code(c) for c in codes], "next": target},
    )
    response["Cache-Control"] = "no-store"  # never kept by the browser for the back button
    return response


@login_required
@require_POST
def recovery_codes_new(request):
    """Replace the recovery codes (the old ones stop working)."""
    if app_device(request.user) is None:
        messages.error(request, "Set up an authenticator app first.")
        return redirect("profile")
    request.session[CODES_KEY] = new_recovery_codes(request.user)
    request.session[NEXT_KEY] = reverse("profile")
    record(
        SecurityKind.SECOND_FACTOR_ADDED,
        request=request,
        user=request.user,
        detail="New recovery codes",
    )
    return redirect("two_factor_codes")


@login_required
def remove_view(request):
    """Turn the second factor off, after a current code."""
    if app_device(request.user) is None:
        return redirect("profile")
    required_by = requiring_organizations(request.user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            remove(request, form.cleaned_data["code"])
        except SecondFactorError as e:
            form.add_error("code", str(e))
        else:
            messages.success(
                request, "Your authenticator app and recovery codes are removed from Cairn."
            )
            return redirect("profile")
    return render(
        request,
        "identity/two_factor_remove.html",
        {"form": form, "required_by": required_by},
        status=422 if form.is_bound else 200,
    )


# --- The middleware


@cache
def _open_paths() -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """Paths anyone signed in reaches, and the ones each state adds."""
    always = (
        "/static/",
        "/healthz",
        reverse("login"),
        reverse("logout"),
        reverse("password_reset"),  # and the pages below it
    )
    return always, {
        VERIFY: (reverse("two_factor_verify"),),
        ENROL: (reverse("two_factor_set_up"), reverse("two_factor_codes")),
    }


class SecondFactorMiddleware:
    """A password sign-in of someone with an authenticator app is confirmed with a code
    before anything else; someone an organisation requires to have one sets it up first.
    The API answers 403 to such a session; token requests are not affected.

    Once the session is confirmed, this costs no query: django-otp's OTPMiddleware reads
    the device the session names (one query); the answer for people without an app is kept
    in the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        always, per_state = _open_paths()
        path = request.path_info
        if path.startswith(always[:2]):
            return self.get_response(request)  # static files and /healthz: no user needed
        state = self.state(request)
        if state == FREE:
            return self.get_response(request)
        if path.startswith(API_PREFIX):
            if request.headers.get("Authorization", "").lower().startswith("bearer "):
                # The token decides alone: the unconfirmed session must not stand in when
                # the token is wrong.
                request.user = AnonymousUser()
                return self.get_response(request)
            detail = API_VERIFY if state == VERIFY else API_ENROL
            return JsonResponse({"detail": detail}, status=403)
        if path.startswith(always + per_state[state]):
            return self.get_response(request)
        target = reverse("two_factor_verify" if state == VERIFY else "two_factor_set_up")
        if request.method == "GET":
            target += "?next=" + quote(request.get_full_path())
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target  # a whole page, not a fragment swapped in
            return response
        return redirect(target)

    @staticmethod
    def state(request) -> str:
        """``free`` when nothing is asked of this request, else ``verify`` or ``enrol``."""
        user = request.user
        if not user.is_authenticated or is_verified(request):
            return FREE
        saved = request.session.get(STATE_KEY)
        if (
            isinstance(saved, dict)
            and saved.get("user") == user.pk
            and time.time() - saved.get("at", 0) < RECHECK_SECONDS
        ):
            return saved["state"]
        state = state_for(user)
        remember(request, state)
        return state


@receiver(user_logged_in)
def _state_at_sign_in(sender, request, user, **kwargs):
    """Work out at sign-in what the session needs, so that the pages after it read nothing
    more (the sign-in request pays the one query)."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[STATE_KEY] = {"user": user.pk, "state": state_for(user), "at": int(time.time())}
