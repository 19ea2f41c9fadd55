"""The yes/no function families and their semantics: CHURN_* and PROPENSITY_*.

A family owns what its outcome means: the words of its outputs and messages, which label values
mean its positive outcome, and whether a labels header says anything about it. Only the churn
family reads headers ("Retained", "Active", "Renewed": there "yes" means the customer stayed);
the propensity family (ad clicks, offer responses, purchases) predicts "yes" whatever the header.
The engine that both run is :mod:`.outcome`.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.outcome import Outcome
from .outcome import NO_VALUES, YES_VALUES, Family, positive_arg
from .spec import Arg, Bool

# --------------------------------------------------------------------------- churn

#: Label values recognised as "churned" / "stayed" (compared case-insensitively).
POSITIVE_WORDS = frozenset({
    "1", "true", "yes", "y", "churn", "churned", "churner", "lost", "left", "cancelled",
    "canceled", "cancel", "attrited", "lapsed", "inactive", "gone", "quit", "exited",
    "terminated", "closed", "unsubscribed", "defected",
})
NEGATIVE_WORDS = frozenset({
    "0", "false", "no", "n", "active", "retained", "stayed", "stay", "current", "kept",
    "existing", "loyal", "renewed", "subscribed", "not churned", "no churn",
})

#: Header words for which "yes" means the customer churned ...
CHURN_HEADER_WORDS = frozenset({
    "churn", "churned", "churns", "churner", "churning", "left", "leave", "leaver", "lost",
    "cancelled", "canceled", "cancel", "cancellation", "attrition", "attrited", "lapsed", "lapse",
    "inactive", "gone", "quit", "exited", "exit", "terminated", "closed", "unsubscribed",
    "defected", "dropped", "departed",
})
#: ... for which "yes" means the customer stayed ...
STAYED_HEADER_WORDS = frozenset({
    "retained", "retain", "retains", "retention", "active", "stayed", "stay", "stays", "staying",
    "renewed", "renew", "renews", "renewal", "loyal", "current", "kept", "existing", "subscribed",
    "subscriber", "alive", "continuing", "continued", "remained", "remain", "survived",
})
#: ... which turn the next one around ("Not retained") ...
NEGATION_WORDS = frozenset({"not", "no", "non", "never", "didn", "hasn", "isn", "wasn"})
#: ... and which say nothing of the direction: yes/no under them is ambiguous.
STATE_HEADER_WORDS = frozenset({"status", "state"})

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def header_sense(header: Any) -> str | None:
    """What "yes" means under a labels header: "churned", "stayed", "unclear" or None.

    The header is split into words ("IsActive" -> is, active; "not_retained" -> not,
    retained). None: no header, or no word that gives a direction ("Outcome", "Label"), where
    yes keeps its usual meaning of churned. "unclear": words pointing both ways, or a bare
    state word ("Status").
    """
    if not isinstance(header, str):
        return None
    senses: set[str] = set()
    negate = False
    words = [w.lower() for w in _WORD.findall(header)]
    for w in words:
        if w in NEGATION_WORDS:
            negate = not negate
            continue
        sense = "churned" if w in CHURN_HEADER_WORDS else "stayed" if w in STAYED_HEADER_WORDS else None
        if sense:
            senses.add(sense if not negate else {"churned": "stayed", "stayed": "churned"}[sense])
            negate = False
    if len(senses) > 1 or (not senses and STATE_HEADER_WORDS & set(words)):
        return "unclear"
    return senses.pop() if senses else None



def churn_header_rule(header: Any) -> str | None:
    """:func:`header_sense` in the engine's terms: churned is the positive outcome."""
    sense = header_sense(header)
    return {"churned": "positive", "stayed": "negative"}.get(sense, sense)  # type: ignore[arg-type]


CHURN = Family(
    name="churn",
    outcome=Outcome(model="a churn model", effect="churn", base_rate="Base churn rate"),
    prob_label="Churn probability",
    positive_row="Churned label",
    positive_group="churned",
    negative_group="retained",
    two_outcomes="churned or not",
    means="means churned",
    positive_value="the churned value",
    positive_words=POSITIVE_WORDS,
    negative_words=NEGATIVE_WORDS,
    header_rule=churn_header_rule,
    header_words=("churned", "stayed"),
    args={
        "train_data": Arg("Customers whose outcome you know: one row per customer, one column per "
                          "attribute (tenure, spend, contract, last purchase date...). A header row "
                          "is optional and detected."),
        "train_labels": Arg("The outcome of each training customer, same rows as train_data: "
                            "Yes/No, 1/0, TRUE/FALSE, churned/active... A header cell on top is "
                            "fine."),
        "positive": positive_arg('Which label value means "churned", e.g. "Lost". Blank: '
                                 "recognised from Yes, 1, TRUE, churned, lost, cancelled..."),
        "balanced": Arg("TRUE weights churned and retained customers equally (useful when churn "
                        "is rare). Default FALSE.", Bool(default=False)),
    },
)

# --------------------------------------------------------------------------- propensity

#: Label values recognised as the response / no response (compared case-insensitively).
RESPONSE_WORDS = YES_VALUES | frozenset({
    "responded", "response", "clicked", "click", "bought", "buyer", "purchased", "purchase",
    "converted", "conversion", "opened", "accepted", "redeemed", "won",
})
NO_RESPONSE_WORDS = NO_VALUES | frozenset({
    "no response", "not responded", "ignored", "declined", "rejected", "not clicked",
    "not bought", "not purchased", "not converted", "unopened", "not opened",
})

PROPENSITY = Family(
    name="propensity",
    outcome=Outcome(model="a propensity model", effect="the probability", base_rate="Base rate"),
    prob_label="Probability",
    positive_row="Positive label",
    positive_group="positive",
    negative_group="negative",
    two_outcomes="yes or no",
    means="is the outcome to predict",
    positive_value="the outcome to predict",
    positive_words=RESPONSE_WORDS,
    negative_words=NO_RESPONSE_WORDS,
    header_rule=None,  # "yes" is the outcome whatever the header: Subscribed, Renewed, Active...
    args={
        "train_data": Arg("Customers whose outcome you know (clicked, responded, bought...): one "
                          "row per customer, one column per attribute. A header row is optional "
                          "and detected."),
        "train_labels": Arg("The outcome of each training customer, same rows as train_data: "
                            "Yes/No, 1/0, TRUE/FALSE... A header cell on top is fine."),
        "positive": positive_arg('Which outcome value is the one to predict, e.g. "Clicked". '
                                 "Blank: recognised from Yes, 1, TRUE, clicked, responded, "
                                 "bought..."),
        "balanced": Arg("TRUE weights responders and non-responders equally (useful when "
                        "responses are rare). Default FALSE.", Bool(default=False)),
    },
)
