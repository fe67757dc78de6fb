"""The back office for municipal staff (and read-only views for police)."""
