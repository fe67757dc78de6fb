"""PDF and chart rendering for conference reports. No Flask."""
