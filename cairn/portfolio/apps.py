from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "cairn.portfolio"
    label = "portfolio"
    verbose_name = "Path"

    def ready(self):
        from cairn.core.failed_jobs import when_failed
        from cairn.core.models import Organization
        from cairn.core.services import blank_organization_started
        from cairn.portfolio.frontier import background_run_failed as frontier_run_failed
        from cairn.portfolio.services import add_standard_criteria, background_run_failed

        def standard_criteria(sender, org, actor, via, **kwargs):
            """A blank organisation scores with the four standard criteria from the start."""
            add_standard_criteria(org, actor=actor, via=via)

        blank_organization_started.connect(
            standard_criteria, sender=Organization, weak=False, dispatch_uid="standard_criteria"
        )
        # A background run that ends failed (it raised, or its worker was lost) fails its
        # scenario: the page says so and the organisation's turn is free.
        when_failed("cairn.portfolio.tasks.solve_scenario", background_run_failed)
        when_failed("cairn.portfolio.tasks.work_out_frontier", frontier_run_failed)
