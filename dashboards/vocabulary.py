"""Words for the codes the policy writes, so a credit manager reads reasons, not identifiers."""

from __future__ import annotations

REASONS = {
    # in the run
    "remind_overdue": "Reminded: overdue past the segment's grace period",
    "remind_channel_fallback": "Reminded on a fallback channel: no contact detail for the first",
    "remind_pre_due": "Nudged before the due date",
    "phone_task": "A call: the strategy's step is a phone call",
    "final_notice": "Final notice: the strategy's last reminder before hand-over",
    "collection_handover": "Handed over to collection",
    # not in the run
    "net_credit": "Not reminded: the debtor's net balance is a credit",
    "all_disputed": "Not reminded: every overdue invoice is disputed",
    "paid_signal": "Not reminded: a payment provider reports the overdue invoices paid",
    "paid_at_handover": "Not sent: paid between the decision and the hand-over",
    "not_overdue": "Not reminded: nothing is past the segment's grace period yet",
    "before_first_step": "Not reminded: not yet at the strategy's first step",
    "awaiting_next_step": "Not reminded: the next step of the strategy is not due yet",
    "strategy_complete": "Not reminded: every step of the strategy has been sent",
    "no_contact": "Not reminded: no channel the debtor can be reached on",
    "quiet_period": "Not reminded: contacted too recently (quiet period)",
    "monthly_limit": "Not reminded: the monthly maximum of contacts is reached",
    "capacity_full": "Not reminded: the channel's capacity for the day is used up",
    "phone_not_working_day": "Not called: not a working day in the debtor's country",
    "holdout_no_reminder": "Hold-out group: deliberately not reminded, to measure the effect",
    "holdout_standard": "Hold-out group: sent the standard reminder, to measure the effect",
}


def reason_text(code: str | None) -> str:
    """The sentence for a reason code; an unknown code (a newer policy) prints as it is."""
    if not code:
        return "–"
    return REASONS.get(code, code.replace("_", " ").capitalize())
