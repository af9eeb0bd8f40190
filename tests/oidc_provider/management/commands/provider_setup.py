"""Make the provider's database: its tables, its people and the one client, Cairn."""

import os

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application

from tests.oidc_provider.validator import people


class Command(BaseCommand):
    help = "Create the test provider's tables, people and the Cairn client."

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0)
        for username, person in people().items():
            User.objects.create_user(username, password=person["password"])
        Application.objects.create(
            name="Cairn",
            client_id=os.environ["PROVIDER_CLIENT_ID"],
            client_secret=os.environ["PROVIDER_CLIENT_SECRET"],  # stored hashed
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=os.environ["PROVIDER_REDIRECT_URI"],
            post_logout_redirect_uris=os.environ["PROVIDER_POST_LOGOUT_URI"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,  # no consent page: the test signs in and is sent back
        )
