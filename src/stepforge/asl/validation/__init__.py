"""Validation of a definition as AWS does it: diagnostics with JSON pointers, lines and columns."""
