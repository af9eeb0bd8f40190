"""Money and numbers as people read them: one formatter for every amount, and the plain
words for a number out of range, shared by forms, imports and the API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# The common ISO 4217 codes, with the symbol people expect before the figure.
CURRENCIES: dict[str, tuple[str, str]] = {
    "USD": ("$", "US dollar"),
    "EUR": ("€", "Euro"),
    "GBP": ("£", "Pound sterling"),
    "JPY": ("¥", "Japanese yen"),
    "CNY": ("CN¥", "Chinese yuan"),
    "CHF": ("CHF ", "Swiss franc"),
    "CAD": ("CA$", "Canadian dollar"),
    "AUD": ("A$", "Australian dollar"),
    "NZD": ("NZ$", "New Zealand dollar"),
    "SEK": ("SEK ", "Swedish krona"),
    "NOK": ("NOK ", "Norwegian krone"),
    "DKK": ("DKK ", "Danish krone"),
    "PLN": ("zł ", "Polish złoty"),
    "CZK": ("Kč ", "Czech koruna"),
    "HUF": ("Ft ", "Hungarian forint"),
    "RON": ("lei ", "Romanian leu"),
    "TRY": ("₺", "Turkish lira"),
    "INR": ("₹", "Indian rupee"),
    "SGD": ("S$", "Singapore dollar"),
    "HKD": ("HK$", "Hong Kong dollar"),
    "KRW": ("₩", "South Korean won"),
    "TWD": ("NT$", "New Taiwan dollar"),
    "MXN": ("MX$", "Mexican peso"),
    "BRL": ("R$", "Brazilian real"),
    "ZAR": ("R ", "South African rand"),
    "AED": ("AED ", "UAE dirham"),
    "SAR": ("SAR ", "Saudi riyal"),
    "ILS": ("₪", "Israeli new shekel"),
    "THB": ("฿", "Thai baht"),
    "MYR": ("RM ", "Malaysian ringgit"),
    "IDR": ("Rp ", "Indonesian rupiah"),
    "PHP": ("₱", "Philippine peso"),
}
# The signs alone ("€", "CHF"): a KPI whose unit is one of them counts money.
MONEY_SIGNS = frozenset(sign.strip() for sign, _ in CURRENCIES.values())
CURRENCY_CHOICES = [(code, f"{code} — {name}") for code, (_, name) in CURRENCIES.items()]
DEFAULT_CURRENCY = "USD"

# Short forms from this size up: "€1.25M" reads faster than "€1,250,000" on a chart or card.
_SHORT = [(Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "k")]


def symbol(currency: str) -> str:
    """The sign written before an amount in ``currency`` ($, €, CHF …); none for no currency."""
    if not currency:
        return ""
    return CURRENCIES.get(currency, (f"{currency} ", ""))[0]


def money_unit(unit: str, currency: str) -> str:
    """A unit that is a money sign (the KPI library writes "€"), in ``currency`` instead."""
    return symbol(currency).strip() if unit in MONEY_SIGNS else unit


def format_money(amount, currency: str, *, short: bool = False) -> str:
    """An amount as people read it: "$1,250,000", or with ``short`` "$1.25M"; whole units,
    the sign before the figure, a minus before the sign; "—" for no amount."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if not value.is_finite():
        return "—"
    sign = "−" if value < 0 else ""
    value = abs(value)
    if short:
        for size, suffix in _SHORT:
            if value >= size:
                text = f"{value / size:,.2f}".rstrip("0").rstrip(".")
                return f"{sign}{symbol(currency)}{text}{suffix}"
    return f"{sign}{symbol(currency)}{value:,.0f}"


def money_header(label: str, currency: str) -> str:
    """A column heading for amounts in exports: "One-off cost (EUR)"."""
    return f"{label} ({currency})"


def format_number(value, places: int = 2) -> str:
    """A count or score without meaningless decimals: 1064.0 → "1,064", 3.25 → "3.25",
    rounded to at most ``places`` decimals."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return "—"
    text = f"{number:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# The plain words for a number out of bounds, the same in a form, an import and the API
# (which knows one bound at a time, so each message names only the one crossed).
def too_large_message(maximum) -> str:
    return f"Enter a number no more than {format_number(maximum)}."


def too_small_message(minimum) -> str:
    return f"Enter a number of at least {format_number(minimum)}."


def places_message(decimal_places: int) -> str:
    """The plain words for too many decimals."""
    if decimal_places == 0:
        return "Enter a whole number."
    return f"Use at most {decimal_places} decimal place{'s' if decimal_places != 1 else ''}."


def number_problem(value: Decimal, minimum, maximum, decimal_places: int | None) -> str | None:
    """What is wrong with ``value`` in plain words, or None: out of range, or too precise."""
    if maximum is not None and value > maximum:
        return too_large_message(maximum)
    if minimum is not None and value < minimum:
        return too_small_message(minimum)
    if decimal_places is not None:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimal_places:
            return places_message(decimal_places)
    return None
