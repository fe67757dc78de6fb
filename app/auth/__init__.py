"""Accounts, login and access rules for the back office."""
