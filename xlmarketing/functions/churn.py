"""CHURN_PROB, CHURN_METRICS, CHURN_DRIVERS (and companions). Filled in by the churn issue."""
