from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    name = "cairn.roadmap"
    label = "roadmap"
    verbose_name = "Roadmap"
