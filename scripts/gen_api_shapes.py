"""Regenerate src/stepforge/api/shapes.py from botocore's ``stepfunctions`` service model.

The server validates requests against these input shapes (required members, types, lengths,
ranges, enums) without importing botocore at run time. Run after a botocore upgrade:

    .venv/bin/python scripts/gen_api_shapes.py
"""

from __future__ import annotations

import pprint
from pathlib import Path
from typing import Any

import botocore.session

OUT = Path(__file__).resolve().parent.parent / "src" / "stepforge" / "api" / "shapes.py"
HEADER = ('"""The input shapes of every operation, generated from botocore\'s stepfunctions model\n'
          'by scripts/gen_api_shapes.py: do not edit."""\n\n# fmt: off\n')


def _shape(shape: Any, shapes: dict[str, Any]) -> str:
    if shape.name in shapes:
        return str(shape.name)
    entry: dict[str, Any] = {"type": shape.type_name}
    shapes[shape.name] = entry
    for key in ("min", "max", "pattern"):
        if key in shape.metadata:
            entry[key] = shape.metadata[key]
    if getattr(shape, "enum", None):
        entry["enum"] = list(shape.enum)
    if shape.type_name == "structure":
        entry["required"] = list(shape.required_members)
        entry["members"] = {name: _shape(member, shapes) for name, member in shape.members.items()}
    elif shape.type_name == "list":
        entry["member"] = _shape(shape.member, shapes)
    elif shape.type_name == "map":
        entry["key"] = _shape(shape.key, shapes)
        entry["value"] = _shape(shape.value, shapes)
    return str(shape.name)


def main() -> None:
    model = botocore.session.get_session().get_service_model("stepfunctions")
    shapes: dict[str, Any] = {}
    operations = {name: _shape(model.operation_model(name).input_shape, shapes) for name in model.operation_names}
    body = pprint.pformat({"operations": operations, "shapes": shapes}, width=110, sort_dicts=True)
    OUT.write_text(HEADER + "from typing import Any\n\nMODEL: dict[str, Any] = " + body + "\n")


if __name__ == "__main__":
    main()
