"""Analyses over codings: frequencies (and later co-occurrence, agreement, evaluation)."""
