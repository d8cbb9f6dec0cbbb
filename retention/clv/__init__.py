"""Checks of the predictive CLV models: CDNOW holdout, plots, BG/NBD simulation."""
