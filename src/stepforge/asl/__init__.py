"""The Amazon States Language: compile definitions, evaluate states. Pure: no I/O, no clock."""
