"""Compilation of a validated definition into an immutable tree of typed state objects."""
