from django.apps import AppConfig
from django.db.models.signals import post_save


def _initiative_saved(sender, instance, raw=False, **kwargs):
    """Every way an initiative is approved (a decision, its form, the API) puts it on the
    roadmap in the same transaction; loading fixtures or an export brings its own items."""
    if not raw:
        from cairn.roadmap.services import place_approved

        place_approved(instance)


class RoadmapConfig(AppConfig):
    name = "cairn.roadmap"
    label = "roadmap"
    verbose_name = "Roadmap"

    def ready(self):
        post_save.connect(
            _initiative_saved, sender="portfolio.Initiative", dispatch_uid="roadmap-place"
        )
