"""The model core: pandas, numpy and scikit-learn only. Knows nothing of Excel."""
