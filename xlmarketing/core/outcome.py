"""How a family of yes/no models names its outcome: the wording parameter of the model core.

The core fits one kind of model for any yes/no outcome (churn, response, purchase); what it
writes into outputs and messages about that outcome comes from an :class:`Outcome`, so no
family's words are baked into another's results. :data:`YES_NO` is the neutral wording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """The outcome's words in the core's outputs and messages."""

    model: str = "a yes/no model"     # the model in messages: "... features for a churn model"
    effect: str = "the probability"   # what a driver raises or lowers: "churn"
    base_rate: str = "Base rate"      # the metrics row of the share of positive outcomes

    @property
    def raises(self) -> str:
        return f"raises {self.effect}"

    @property
    def lowers(self) -> str:
        return f"lowers {self.effect}"


YES_NO = Outcome()
