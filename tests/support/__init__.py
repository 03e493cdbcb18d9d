"""Builders shared by test modules (import as `from support.<module> import ...`)."""
