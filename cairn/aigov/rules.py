"""Where an AI use case sits in the EU AI Act's risk tiers, from a short questionnaire.

No database access: ``tier(purpose, automation, data)`` gives the tier and the sentence
that explains it, tested on hand-picked cases. A guide to the Act's structure, not legal
advice: the register says so, and a person can override the tier with a recorded reason.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the use case decides or does; the Act's categories, in plain words.
PURPOSES: dict[str, tuple[str, str]] = {
    # key: (label, tier)
    "social_scoring": ("Scores people's social behaviour to treat them differently", "prohibited"),
    "manipulation": ("Influences people's choices in ways they cannot notice", "prohibited"),
    "biometric_public": ("Identifies people by face or body in public, in real time", "prohibited"),
    "emotion_workplace": ("Reads the emotions of staff at work", "prohibited"),
    "employment": ("Helps decide who is hired, promoted, assessed or let go", "high"),
    "credit": ("Helps decide people's credit, insurance price or benefits", "high"),
    "education": ("Helps decide admission to or grading in education", "high"),
    "essential_services": ("Helps decide access to essential services", "high"),
    "critical_infrastructure": (
        "Runs part of critical infrastructure (energy, water, traffic)",
        "high",
    ),
    "biometric_other": ("Identifies or categorises people from biometric data", "high"),
    "chatbot": ("Talks with customers or staff (a chatbot or assistant)", "limited"),
    "generated_content": ("Generates text, images or audio that others will see", "limited"),
    "internal": ("Other work: forecasting, matching, routing, spotting errors", "minimal"),
}
TIERS = {
    "prohibited": "Prohibited practice",
    "high": "High risk",
    "limited": "Limited risk (transparency duties)",
    "minimal": "Minimal risk",
}
TIER_COLOURS = {"prohibited": "red", "high": "orange", "limited": "yellow", "minimal": "green"}
TIER_ORDER = ["prohibited", "high", "limited", "minimal"]
DUTIES = {
    "prohibited": "It may not be used in the EU. Stop it, or change what it does.",
    "high": "Risk management, good data, records, human oversight, accuracy and security, "
    "registration before use.",
    "limited": "Tell people they are dealing with AI, and mark generated content.",
    "minimal": "No duties from the Act; good practice still applies.",
}
NIST_FUNCTIONS = {
    "govern": "Govern: owner named, policies apply, staff trained",
    "map": "Map: purpose, people affected and data known and written down",
    "measure": "Measure: accuracy, bias and failures tested and tracked",
    "manage": "Manage: risks ranked, responses planned, incidents handled",
}
SENSITIVE_DATA = {"health", "biometric", "children"}


@dataclass(frozen=True)
class Tier:
    key: str
    reason: str

    @property
    def label(self) -> str:
        return TIERS[self.key]

    @property
    def colour(self) -> str:
        return TIER_COLOURS[self.key]

    @property
    def duties(self) -> str:
        return DUTIES[self.key]


def tier(purpose: str, automation: str, data: list[str]) -> Tier:
    """The tier a use case falls in, and why.

    The purpose decides: the Act lists prohibited practices, high-risk uses and uses with
    transparency duties; everything else is minimal risk. One combination raises a minimal
    or limited use to high risk: acting on its own with sensitive data (health, biometric,
    children's)."""
    label, base = PURPOSES.get(purpose, PURPOSES["internal"])
    if base in ("prohibited", "high"):
        return Tier(
            base, f"It {label[0].lower() + label[1:]}: the Act lists this as {TIERS[base].lower()}."
        )
    sensitive = sorted(SENSITIVE_DATA & set(data))
    if automation == "automatic" and sensitive:
        return Tier(
            "high",
            f"It decides on its own with {', '.join(sensitive)} data: treat it as high risk.",
        )
    if base == "limited":
        return Tier("limited", f"It {label[0].lower() + label[1:]}: people must be told it is AI.")
    return Tier(
        "minimal", "Its purpose is not one the Act lists, and no person's rights turn on it alone."
    )
