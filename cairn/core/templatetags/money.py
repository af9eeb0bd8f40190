"""Amounts in the organisation's currency and numbers without meaningless decimals:
``{{ amount|money:org }}``, ``{{ amount|money_short:org }}``, ``{{ score|plain_number }}``."""

from django import template

from cairn.core.money import format_money, format_number, symbol

register = template.Library()


def _currency(org) -> str:
    # An organisation, or a currency code (documents and exports pass the code alone).
    return org if isinstance(org, str) else org.currency


@register.filter
def money(amount, org) -> str:
    """$1,250,000."""
    return format_money(amount, _currency(org))


@register.filter
def money_short(amount, org) -> str:
    """$1.25M, for cards and charts."""
    return format_money(amount, _currency(org), short=True)


@register.filter
def plain_number(value) -> str:
    """1064.0 → 1,064; 3.25 stays 3.25."""
    return format_number(value)


@register.filter
def currency_symbol(currency: str) -> str:
    """The sign of a currency code, for charts that format amounts in the browser."""
    return symbol(currency)


@register.filter
def percent(share) -> str:
    """A share from 0 to 1 as a whole percentage: 0.634 → 63%; under 1% but not nothing, <1%."""
    if share is None:
        return "—"
    value = float(share) * 100
    if 0 < value < 1:
        return "<1%"
    if 99 < value < 100:
        return ">99%"
    return f"{round(value)}%"
