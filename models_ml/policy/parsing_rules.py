"""Read the rule sections of `segments.yml`: contact limits, offer rules, channel costs.

Each section is optional; a missing one takes the defaults of `model.py`, a present one is
checked key by key like the rest of the file.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from models_ml.policy.checks import Checker, at
from models_ml.policy.holidays import parse_holidays
from models_ml.policy.model import CHANNELS, ChannelCost, ContactRules, OfferRules

CAPACITY_SCOPES = ("group", "division", "country", "entity")


def parse_contact_rules(value: object, checker: Checker, folder: Path) -> ContactRules | None:
    """Quiet period, monthly maximum, grace days of an instalment plan and the holidays file
    (relative to the segments file)."""
    if value is None:
        return ContactRules()
    where = "contact_rules"
    fields = checker.mapping(
        value,
        where,
        (),
        ("quiet_days", "max_contacts_per_month", "plan_grace_days", "holidays_file"),
    )
    if fields is None:
        return None

    defaults = ContactRules()
    quiet = checker.integer(
        fields.get("quiet_days", defaults.quiet_days), at(where, "quiet_days"), 0
    )
    monthly = checker.integer(
        fields.get("max_contacts_per_month", defaults.max_contacts_per_month),
        at(where, "max_contacts_per_month"),
        1,
    )
    grace = checker.integer(
        fields.get("plan_grace_days", defaults.plan_grace_days), at(where, "plan_grace_days"), 0
    )
    holidays: dict[str, tuple[str, ...]] = {}
    if "holidays_file" in fields:
        name = checker.text(fields["holidays_file"], at(where, "holidays_file"))
        if name is not None:
            holidays = parse_holidays(folder / name, at(where, "holidays_file"), checker)
    if quiet is None or monthly is None or grace is None:
        return None
    return ContactRules(
        quiet_days=quiet,
        max_contacts_per_month=monthly,
        plan_grace_days=grace,
        holidays=holidays,
    )


def parse_offer_rules(value: object, checker: Checker) -> OfferRules | None:
    """When pay-in-3, a payment plan, direct debit and the EPC QR code may be offered."""
    defaults = OfferRules()
    if value is None:
        return defaults
    fields = checker.mapping(
        value, "offers", (), ("epc_qr", "pay_in_3", "payment_plan", "direct_debit")
    )
    if fields is None:
        return None

    keys = {
        "epc_qr": ("currencies",),
        "pay_in_3": ("customer_types", "min_amount_base", "max_amount_base", "min_score"),
        "payment_plan": ("min_amount_base", "max_score"),
        "direct_debit": ("min_late_invoices",),
    }
    parts = {
        offer: checker.mapping(fields.get(offer, {}), at("offers", offer), (), allowed) or {}
        for offer, allowed in keys.items()
    }
    qr, pay3, plan, debit = (parts[offer] for offer in keys)
    checked = {
        "epc_qr_currencies": _texts(qr, "currencies", defaults, checker, "epc_qr"),
        "pay_in_3_customer_types": _texts(pay3, "customer_types", defaults, checker, "pay_in_3"),
        "pay_in_3_min_amount_base": _amount(pay3, "min_amount_base", defaults, checker, "pay_in_3"),
        "pay_in_3_max_amount_base": _amount(pay3, "max_amount_base", defaults, checker, "pay_in_3"),
        "pay_in_3_min_score": _score(pay3, "min_score", defaults, checker, "pay_in_3"),
        "payment_plan_min_amount_base": _amount(
            plan, "min_amount_base", defaults, checker, "payment_plan"
        ),
        "payment_plan_max_score": _score(plan, "max_score", defaults, checker, "payment_plan"),
        "direct_debit_min_late_invoices": checker.integer(
            debit.get("min_late_invoices", defaults.direct_debit_min_late_invoices),
            "offers.direct_debit.min_late_invoices",
            1,
        ),
    }
    low, high = checked["pay_in_3_min_amount_base"], checked["pay_in_3_max_amount_base"]
    if low is not None and high is not None and high <= low:
        checker.fail(
            "offers.pay_in_3.max_amount_base", f"{high} must be higher than min_amount_base ({low})"
        )
    if None in checked.values():
        return None
    return OfferRules(**checked)


def parse_channels(value: object, checker: Checker) -> dict[str, ChannelCost] | None:
    """Cost per contact and optional daily capacity per team; unlisted channels cost 0."""
    costs = {channel: ChannelCost(Decimal(0)) for channel in CHANNELS}
    if value is None:
        return costs
    fields = checker.mapping(value, "channels", (), CHANNELS)
    if fields is None:
        return None

    ok = True
    for channel, settings in fields.items():
        where = at("channels", str(channel))
        spec = checker.mapping(settings, where, ("cost",), ("capacity_per_day", "capacity_per"))
        if channel not in CHANNELS or spec is None or "cost" not in spec:
            ok = False
            continue
        cost = checker.amount(spec["cost"], at(where, "cost"))
        capacity = None
        if "capacity_per_day" in spec:
            capacity = checker.integer(spec["capacity_per_day"], at(where, "capacity_per_day"), 0)
        scope = checker.choice(
            spec.get("capacity_per", "entity"), at(where, "capacity_per"), CAPACITY_SCOPES
        )
        if cost is None or scope is None or ("capacity_per_day" in spec and capacity is None):
            ok = False
            continue
        costs[channel] = ChannelCost(cost, capacity, scope)
    return costs if ok else None


def _texts(
    fields: dict, key: str, defaults: OfferRules, checker: Checker, offer: str
) -> tuple[str, ...] | None:
    if key not in fields:
        return getattr(defaults, f"{offer}_{key}")
    return checker.texts(fields[key], f"offers.{offer}.{key}")


def _amount(
    fields: dict, key: str, defaults: OfferRules, checker: Checker, offer: str
) -> Decimal | None:
    if key not in fields:
        return getattr(defaults, f"{offer}_{key}")
    return checker.amount(fields[key], f"offers.{offer}.{key}")


def _score(
    fields: dict, key: str, defaults: OfferRules, checker: Checker, offer: str
) -> float | None:
    if key not in fields:
        return getattr(defaults, f"{offer}_{key}")
    return checker.score(fields[key], f"offers.{offer}.{key}")
