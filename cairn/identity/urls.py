from django.urls import path  # noqa: F401

# At /accounts/ (the sign-in pages): each part adds its own list below.
urlpatterns: list = []
