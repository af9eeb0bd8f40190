"""The second-factor card of the profile: ``{% second_factor_status as sf %}``."""

from django import template

from cairn.identity import second_factor

register = template.Library()


@register.simple_tag(takes_context=True)
def second_factor_status(context) -> dict:
    """Whether the person has an authenticator app, how many recovery codes are left and
    which organisations require a second factor of them: three queries."""
    request = context["request"]
    user = request.user
    app = second_factor.app_device(user)
    recovery = second_factor.recovery_device(user) if app else None
    required_by = second_factor.requiring_organizations(user)
    return {
        "app": app,
        "recovery_left": recovery.left if recovery else 0,
        "required_by": required_by,
        "via_sso": second_factor.via_sso(request),
    }
