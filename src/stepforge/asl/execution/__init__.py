"""Execution: the pure step (machine, run, signal, now) -> (run', events, commands)."""
