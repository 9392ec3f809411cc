"""Query languages: JSONPath, intrinsic functions, payload templates, JSONata and its guard."""
