"""The claims the test provider puts in ID tokens and userinfo answers: each person's, from
the JSON file the test wrote (e-mail, whether it is verified, groups, names)."""

import json

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


def people() -> dict:
    with open(settings.PROVIDER_PEOPLE) as f:
        return json.load(f)


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "profile"}

    def get_additional_claims(self, request):
        return dict(people()[request.user.username]["claims"])
