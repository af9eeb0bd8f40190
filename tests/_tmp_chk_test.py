import io
from django.core.management import call_command
from cairn.core import transfer
from cairn.core.models import Organization
from cairn.portfolio.models import Scenario
from cairn.portfolio.services import result_is_stale
from cairn.governance.models import Review
from tests.base import CairnTestCase

class T(CairnTestCase):
    def test_x(self):
        call_command("demo", stdout=io.StringIO())
        summit = Organization.objects.get(slug="summit")
        copy = transfer.import_organization(transfer.export(summit), name="Summit copy", actor=self.owner)
        for s in Scenario.objects.filter(organization=summit):
            print("orig", s.name, s.state, result_is_stale(s))
        for s in Scenario.objects.filter(organization=copy):
            print("copy", s.name, s.state, result_is_stale(s))
        for r in Review.objects.filter(organization=copy).exclude(snapshot=None):
            print("snap scenario", r.snapshot.get("scenario"))
        from cairn.kpis.models import Kpi
        print("kpis", Kpi.objects.filter(organization=copy).count(), [ (k.name,k.status_code,k.latest_value) for k in Kpi.objects.filter(organization=copy)][:3])
        from cairn.documents.models import StrategyDocument
        print("docs", list(StrategyDocument.objects.filter(organization=copy).values_list("state","progress")))
        from cairn.core.models import AuditEvent
        print("audit", AuditEvent.objects.filter(organization=copy).count(), list(AuditEvent.objects.filter(organization=copy).values_list("via","after")))
