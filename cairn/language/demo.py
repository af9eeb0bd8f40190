"""Summit Outfitters' glossary and words: some acronyms defined, some left for the check to
find, and the demo's texts keep a little jargon for the report to show."""

from cairn.core.demo import ensure
from cairn.language.models import GlossaryTerm, JargonRule

TERMS = [
    ("ERP", "The system that runs finance, stock and orders in one place."),
    ("CRM", "The system that holds every customer's history with us."),
    ("NPS", "Net Promoter Score: promoters minus detractors among customers asked."),
    ("POS", "The tills in our stores and the software behind them."),
    ("EDI", "Orders and invoices exchanged with suppliers automatically."),
]
RULES = [
    ("touch points", "moments a customer deals with us", False),
    ("bandwidth", "", True),  # the network team means the network: allowed
]


def load(org, actor) -> None:
    for term, meaning in TERMS:
        ensure(GlossaryTerm, org, actor, lookup={"term": term}, defaults={"meaning": meaning})
    for phrase, alternative, silenced in RULES:
        ensure(
            JargonRule,
            org,
            actor,
            lookup={"phrase": phrase},
            defaults={"alternative": alternative, "silenced": silenced},
        )
