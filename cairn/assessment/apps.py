from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "cairn.assessment"
    label = "assessment"
    verbose_name = "Terrain"
