"""Summit Outfitters' destination: goals, IT missions, executive interviews, pain points."""

from datetime import date

from cairn.core.demo import ensure
from cairn.goals.models import BusinessGoal, Interview, ITMission, PainPoint, Priority

GOALS = {
    "share": {
        "title": "Double our market share in the Pacific Northwest",
        "description": "Grow from 6% to 12% of outdoor-gear sales in Washington and Oregon, "
        "mostly online and through two new stores in Spokane and Eugene.",
        "target_date": date(2030, 3, 31),
        "owner_name": "Tom Lindqvist",
        "owner_role": "Head of Sales",
        "priority": Priority.HIGH,
    },
    "service": {
        "title": "Become the outdoor industry's leader in customer service",
        "description": "Customers get an answer in one contact, whether they call, write or walk "
        "into a store. Measured by our Net Promoter Score and first-contact resolution.",
        "target_date": date(2029, 12, 31),
        "owner_name": "Grace Mbeki",
        "owner_role": "COO",
        "priority": Priority.HIGH,
    },
    "costs": {
        "title": "Cut operating costs by 20%",
        "description": "Take $4.2M out of a $21M operating cost base, without closing stores or "
        "cutting service, mainly by removing manual work and duplicate systems.",
        "target_date": date(2029, 3, 31),
        "owner_name": "Dana Okafor",
        "owner_role": "CFO",
        "priority": Priority.MEDIUM,
    },
    "rental": {
        "title": "Launch a gear rental and repair service",
        "description": "Rent tents, skis and climbing gear from every store, and repair what we "
        "sell, to bring in younger customers and keep gear out of landfill.",
        "target_date": date(2030, 9, 30),
        "owner_name": "Luis Romero",
        "owner_role": "CMO",
        "priority": Priority.LOW,
    },
}

MISSIONS = [
    (
        "Empower our support teams with seamless, integrated tools that give instant access to "
        "customer history and enable proactive problem-solving, reducing resolution time by 50%.",
        ["service"],
    ),
    (
        "Give stores, the web shop and the sales team one real-time view of stock and customers, "
        "so we can win and serve customers in new towns before we open a store there.",
        ["share", "service"],
    ),
    (
        "Automate order handling, invoice matching and stock replenishment so that routine work "
        "takes minutes instead of hours, and stop paying twice for systems that do the same job.",
        ["costs"],
    ),
]

INTERVIEWS = {
    "cfo": {
        "stakeholder_name": "Dana Okafor",
        "stakeholder_role": "CFO",
        "held_on": date(2026, 10, 6),
        "keeps_up_at_night": "Margins. Freight and staff costs rose 11% last year and we passed "
        "almost none of it on. I can't tell which stores or channels actually make money "
        "until six weeks after the month closes.",
        "biggest_obstacle": "Month-end close takes nine working days because three people match "
        "supplier invoices to purchase orders by hand in spreadsheets.",
        "magic_wand": "Invoice matching. Automatic, with a person only looking at the exceptions.",
    },
    "cmo": {
        "stakeholder_name": "Luis Romero",
        "stakeholder_role": "CMO",
        "held_on": date(2026, 10, 9),
        "keeps_up_at_night": "Younger customers buy from the big online marketplaces. Our loyalty "
        "members are ageing and we don't know who our web customers are.",
        "biggest_obstacle": "Store, web and loyalty data live in three systems that don't agree; a "
        "simple campaign takes two weeks to target.",
        "magic_wand": "One customer record across stores, web and loyalty.",
    },
    "coo": {
        "stakeholder_name": "Grace Mbeki",
        "stakeholder_role": "COO",
        "held_on": date(2026, 10, 14),
        "keeps_up_at_night": "Customers calling three times about the same order. Our support team "
        "can't see store purchases, so they ask customers for receipts.",
        "biggest_obstacle": "Support agents juggle five screens; a new agent needs six weeks "
        "before they can work alone.",
        "magic_wand": "Returns and exchanges: one process for web and stores, with the refund "
        "done the same day.",
    },
    "sales": {
        "stakeholder_name": "Tom Lindqvist",
        "stakeholder_role": "Head of Sales",
        "held_on": date(2026, 10, 20),
        "keeps_up_at_night": "Losing team and club accounts because our quotes are slow.",
        "biggest_obstacle": "Our sales cycle is too long because quoting is a manual process: "
        "prices and stock are checked by phone with the warehouse.",
        "magic_wand": "Quoting. A rep should send a correct quote from a laptop in ten minutes.",
    },
}

PAINS = [
    (
        "Supplier invoices matched by hand",
        "Three people spend most of each month-end "
        "matching invoices to orders in spreadsheets; close takes nine working days.",
        4,
        "cfo",
        ["costs"],
    ),
    (
        "No timely profit figures by store or channel",
        "Profit by store and channel arrives six weeks after month end, too late to act on.",
        3,
        "cfo",
        ["costs", "share"],
    ),
    (
        "Customer data split across three systems",
        "Store tills, the web shop and the loyalty programme each hold their own customer list.",
        4,
        "cmo",
        ["share", "service"],
    ),
    (
        "Support cannot see store purchases",
        "Agents ask customers for receipts; customers call "
        "back two or three times about one order.",
        5,
        "coo",
        ["service"],
    ),
    (
        "New support agents take six weeks to train",
        "Five separate screens to learn.",
        3,
        "coo",
        ["service", "costs"],
    ),
    (
        "Quotes take days because pricing and stock are checked by phone",
        "Team and club accounts go to competitors who quote the same day.",
        5,
        "sales",
        ["share"],
    ),
    (
        "Returns handled differently online and in store",
        "Refunds take up to 14 days for web orders returned in a store.",
        3,
        "coo",
        [],
    ),
]


def load(org, actor) -> None:
    """Add Summit Outfitters' destination (only what is missing)."""
    goals = {
        key: ensure(
            BusinessGoal,
            org,
            actor,
            lookup={"title": data["title"]},
            defaults={k: v for k, v in data.items() if k != "title"},
        )
        for key, data in GOALS.items()
    }
    for statement, keys in MISSIONS:
        ensure(
            ITMission,
            org,
            actor,
            lookup={"statement": statement},
            m2m={"goals": [goals[k] for k in keys]},
        )
    interviews = {
        key: ensure(
            Interview,
            org,
            actor,
            lookup={"stakeholder_name": data["stakeholder_name"], "held_on": data["held_on"]},
            defaults={k: v for k, v in data.items() if k not in ("stakeholder_name", "held_on")},
        )
        for key, data in INTERVIEWS.items()
    }
    for title, description, severity, interview, keys in PAINS:
        ensure(
            PainPoint,
            org,
            actor,
            lookup={"title": title},
            defaults={
                "description": description,
                "severity": severity,
                "interview": interviews[interview],
            },
            m2m={"goals": [goals[k] for k in keys]},
        )


def load_small(org, actor) -> None:
    """A second, smaller client: one goal and its mission."""
    goal = ensure(
        BusinessGoal,
        org,
        actor,
        lookup={"title": "Open three new clinics by 2029"},
        defaults={
            "target_date": date(2029, 6, 30),
            "owner_name": "Dr Ana Ruiz",
            "owner_role": "CEO",
            "priority": Priority.HIGH,
        },
    )
    ensure(
        ITMission,
        org,
        actor,
        lookup={
            "statement": "Run every new clinic on the same booking and records systems "
            "from its first day, so patients can book any clinic online."
        },
        m2m={"goals": [goal]},
    )
