"""Codes of the standard codebook that other parts rely on (population table, weighting)."""

GENDERS = ("f", "m", "d")
AGE_GROUPS = ("14-17", "18-29", "30-44", "45-59", "60-74", "75+")
