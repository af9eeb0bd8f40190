"""The committee's work, one module per sub-domain: the committee and its agendas, decisions
and meetings, reviews and embedding, the calendar, people. Callers use ``services.<name>``."""

from cairn.governance.services.calendar import (
    calendar,
    new_calendar_feed,
    org_for_calendar_key,
    revoke_calendar_feed,
)
from cairn.governance.services.committee import (
    Draft,
    _extra_sources,
    add_drafted_agenda,
    committee_for,
    draft_agenda,
    plan_year,
    saved_committee,
    warnings,
)
from cairn.governance.services.decisions import (
    CHANGE_DONE,
    _touch,
    add_agenda_point,
    approve_and_schedule,
    briefing_facts,
    decide,
    decide_in_meeting,
    remove_agenda_point,
    remove_roadblock,
    set_matrix,
)
from cairn.governance.services.people import (
    Accountability,
    accountable_for,
    people,
)
from cairn.governance.services.reviews import (
    _link,
    complete_review,
    plan_reviews,
    snapshot,
    visit_to_initiative,
    visit_to_pain_point,
)

__all__ = [
    "_extra_sources",
    "_link",
    "_touch",
    "Accountability",
    "accountable_for",
    "add_agenda_point",
    "add_drafted_agenda",
    "approve_and_schedule",
    "briefing_facts",
    "calendar",
    "CHANGE_DONE",
    "committee_for",
    "complete_review",
    "decide",
    "decide_in_meeting",
    "Draft",
    "draft_agenda",
    "new_calendar_feed",
    "org_for_calendar_key",
    "people",
    "plan_reviews",
    "plan_year",
    "remove_agenda_point",
    "remove_roadblock",
    "revoke_calendar_feed",
    "saved_committee",
    "set_matrix",
    "snapshot",
    "visit_to_initiative",
    "visit_to_pain_point",
    "warnings",
]
