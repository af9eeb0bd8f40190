from django.urls import path

from cairn.links import views as v

app_name = "links"
# The same id keywords as the rows' own pages: the access tests fill them already.
PATHS = {
    "initiative": "links/initiatives/<int:initiative_id>/",
    "kpi": "links/kpis/<int:kpi_id>/",
    "painpoint": "links/pain-points/<int:painpoint_id>/",
    "usecase": "links/ai-use-cases/<int:usecase_id>/",
    "application": "links/applications/<int:application_id>/",
}
urlpatterns = [
    *(path(route, v.suggestions(kind), name=kind) for kind, route in PATHS.items()),
    *(
        path(route + "link/", v.accept(kind), name=f"{kind}_accept")
        for kind, route in PATHS.items()
    ),
    # The cards of the lists a row lands on once written: the newest linked to nothing yet.
    path("links/initiatives/", v.unlinked("initiative"), name="initiative_unlinked"),
    path("links/kpis/", v.unlinked("kpi"), name="kpi_unlinked"),
    path("links/pain-points/", v.unlinked("painpoint"), name="painpoint_unlinked"),
    path("links/ai-use-cases/", v.unlinked("usecase"), name="usecase_unlinked"),
    path("links/applications/", v.unlinked("application"), name="application_unlinked"),
]
