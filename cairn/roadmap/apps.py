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
        from cairn.core.failed_jobs import when_failed
        from cairn.roadmap.risk import background_run_failed as simulation_failed
        from cairn.roadmap.services import background_run_failed

        post_save.connect(
            _initiative_saved, sender="portfolio.Initiative", dispatch_uid="roadmap-place"
        )
        # A background run that ends failed (it raised, or its worker was lost) fails the
        # plan: the roadmap says so and the organisation's turn is free.
        when_failed("cairn.roadmap.tasks.schedule_roadmap", background_run_failed)
        when_failed("cairn.roadmap.tasks.simulate_roadmap", simulation_failed)
