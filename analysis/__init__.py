"""Statistics over responses (indicators, weighting, uncertainty, disclosure control). No Flask."""
