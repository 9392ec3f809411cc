"""Pure parts of schedules and event rules: schedule expressions, event patterns, input transforms.

No I/O, no clock, no store: the service layer (``service.schedules``, ``service.rules``) brings those.
"""
