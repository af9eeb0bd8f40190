"""What a person sees when the database is busy or a page fails: a plain page, no trace."""

import pytest
from django.contrib.auth.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_busy_and_failed_pages(page, live_server, screenshot, settings):
    User.objects.create_user("someone", password="not-used-here")  # past the set-up page
    settings.ROOT_URLCONF = "tests.urls_faults"
    response = page.goto(f"{live_server.url}/test-locked/")
    assert response.status == 503
    assert "try again in 5 seconds" in page.inner_text("main")
    screenshot("error-busy")
    response = page.goto(f"{live_server.url}/test-boom/")
    assert response.status == 500
    assert "Something went wrong" in page.inner_text("main")
    screenshot("error-failed")
