"""CloudFormation's intrinsic functions, as far as they resolve without AWS.

``Ref`` (parameters, pseudo parameters, resources), ``Fn::Sub`` (both forms), ``Fn::GetAtt``,
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::If`` and the
condition functions ``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not`` with named ``Conditions``.
A resource's ``Ref`` and attributes are the ones recorded in :attr:`Resolver.attributes` by the
time it is referred to (resources are handled in dependency order: :mod:`stepforge.deploy.graph`).
Functions that need AWS (``Fn::ImportValue``, ``Fn::GetAZs``, ...) are refused by name.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

from stepforge.deploy.errors import DeployError
from stepforge.deploy.template import Template

#: What ``Ref: AWS::NoValue`` evaluates to: the property (or list item) holding it is removed.
NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
UNRESOLVABLE = ("Fn::ImportValue", "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::ToJsonString", "Fn::Length",
                "Fn::ForEach")


class Resolver:
    """Evaluates intrinsic functions in template values.

    ``parameters`` are the checked parameter values, ``pseudo`` the pseudo parameters
    (``AWS::Region``, ...). ``attributes[logical_id]`` holds a resource's ``Ref`` value under
    ``"Ref"`` and its ``Fn::GetAtt`` attributes under their names; the resources SAM generates
    (``FlowVersion``, ``FlowAliaslive``, ``FlowNightly``) are there too once deployed.
    """

    def __init__(self, template: Template, parameters: Mapping[str, Any], pseudo: Mapping[str, Any]) -> None:
        self.template = template
        self.parameters = dict(parameters)
        self.pseudo = {**pseudo, "AWS::NoValue": NO_VALUE}
        self.attributes: dict[str, dict[str, Any]] = {}
        self._conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()
        self._functions: dict[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref, "Fn::Sub": self._sub, "Fn::GetAtt": self._get_att, "Fn::Join": self._join,
            "Fn::Select": self._select, "Fn::Split": self._split, "Fn::If": self._if,
            "Fn::FindInMap": self._find_in_map, "Fn::Base64": self._base64,
            "Fn::Equals": self._equals, "Fn::And": self._and, "Fn::Or": self._or, "Fn::Not": self._not,
        }

    def resolve(self, value: Any, path: str) -> Any:
        """``value`` with every intrinsic function evaluated; AWS::NoValue removes what holds it."""
        if isinstance(value, dict):
            if len(value) == 1:
                (key, argument), = value.items()
                if key in self._functions:
                    return self._functions[key](argument, f"{path}/{key}")
                if key in UNRESOLVABLE:
                    raise DeployError(f"{key} needs AWS and cannot be resolved by stepforge deploy", f"{path}/{key}")
            resolved = {k: self.resolve(v, f"{path}/{k}") for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(v, f"{path}/{i}") for i, v in enumerate(value)]
            return [v for v in items if v is not NO_VALUE]
        return value

    def condition(self, name: Any, path: str) -> bool:
        """The value of the named condition in the template's ``Conditions``."""
        if not isinstance(name, str) or name not in self.template.conditions:
            raise DeployError(f"no condition named {name!r} in Conditions", path)
        if name not in self._conditions:
            if name in self._evaluating:
                raise DeployError(f"condition {name!r} depends on itself", f"Conditions/{name}")
            self._evaluating.add(name)
            self._conditions[name] = self._truth(self.template.conditions[name], f"Conditions/{name}")
            self._evaluating.discard(name)
        return self._conditions[name]

    def _truth(self, value: Any, path: str) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"], f"{path}/Condition")
        result = self.resolve(value, path)
        if not isinstance(result, bool):
            raise DeployError("a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not or a Condition", path)
        return result

    def _ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            raise DeployError("Ref takes the name of a parameter or resource", path)
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        return self._attribute(name, "Ref", path)

    def _get_att(self, argument: Any, path: str) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
            raise DeployError("Fn::GetAtt takes [LogicalId, Attribute] or 'LogicalId.Attribute'", path)
        return self._attribute(argument[0], argument[1], path)

    def _attribute(self, logical_id: str, name: str, path: str) -> Any:
        if logical_id not in self.template.resources and logical_id not in self.attributes:
            raise DeployError(f"{logical_id!r} is not a parameter, pseudo parameter or resource", path)
        known = self.attributes.get(logical_id)
        if known is None:
            raise DeployError(f"resource {logical_id!r} is not deployed by this template (its Condition is "
                              "false)", path)
        if name not in known:
            offered = ", ".join(sorted(k for k in known if k != "Ref"))
            raise DeployError(f"resource {logical_id!r} has no attribute {name!r} (it has: {offered})", path)
        return known[name]

    def _sub(self, argument: Any, path: str) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else _sub_parts(argument, path)
        values = {k: self.resolve(v, f"{path}/1/{k}") for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            value = values[name] if name in values else self._sub_variable(name.strip(), path)
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise DeployError(f"${{{name}}} is not a string, it cannot be substituted", path)
            return str(value)

        return SUB_VARIABLE.sub(replace, text)

    def _sub_variable(self, name: str, path: str) -> Any:
        if "." in name and name not in self.parameters and name not in self.pseudo:
            logical_id, attribute = name.split(".", 1)
            return self._attribute(logical_id, attribute, path)
        return self._ref(name, path)

    def _join(self, argument: Any, path: str) -> str:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            raise DeployError("Fn::Join takes [delimiter, [values]]", path)
        items = self.resolve(argument[1], f"{path}/1")
        if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
            raise DeployError("Fn::Join joins a list of strings", f"{path}/1")
        return argument[0].join(str(i) for i in items)

    def _select(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise DeployError("Fn::Select takes [index, [values]]", path)
        index, items = self.resolve(argument[0], f"{path}/0"), self.resolve(argument[1], f"{path}/1")
        if not isinstance(items, list) or not str(index).isdigit() or int(index) >= len(items):
            raise DeployError(f"Fn::Select index {index!r} is not in a list of {_count(items)} values", path)
        return items[int(index)]

    def _split(self, argument: Any, path: str) -> list[str]:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            raise DeployError("Fn::Split takes [delimiter, string]", path)
        text = self.resolve(argument[1], f"{path}/1")
        if not isinstance(text, str):
            raise DeployError("Fn::Split splits a string", f"{path}/1")
        return text.split(argument[0])

    def _if(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise DeployError("Fn::If takes [condition name, value if true, value if false]", path)
        chosen = 1 if self.condition(argument[0], f"{path}/0") else 2
        return self.resolve(argument[chosen], f"{path}/{chosen}")

    def _find_in_map(self, argument: Any, path: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise DeployError("Fn::FindInMap takes [map name, top-level key, second-level key]", path)
        keys = [self.resolve(a, f"{path}/{i}") for i, a in enumerate(argument)]
        found: Any = self.template.mappings
        for key in keys:
            if not isinstance(found, dict) or str(key) not in found:
                raise DeployError(f"Mappings has no {'/'.join(str(k) for k in keys)}", path)
            found = found[str(key)]
        return found

    def _base64(self, argument: Any, path: str) -> str:
        text = self.resolve(argument, path)
        if not isinstance(text, str):
            raise DeployError("Fn::Base64 encodes a string", path)
        return base64.b64encode(text.encode()).decode()

    def _equals(self, argument: Any, path: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise DeployError("Fn::Equals takes [value, value]", path)
        left, right = (self.resolve(a, f"{path}/{i}") for i, a in enumerate(argument))
        return bool(_comparable(left) == _comparable(right))

    def _and(self, argument: Any, path: str) -> bool:
        return all(self._truth(c, f"{path}/{i}") for i, c in enumerate(_conditions(argument, "Fn::And", path)))

    def _or(self, argument: Any, path: str) -> bool:
        return any(self._truth(c, f"{path}/{i}") for i, c in enumerate(_conditions(argument, "Fn::Or", path)))

    def _not(self, argument: Any, path: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 1):
            raise DeployError("Fn::Not takes a list of one condition", path)
        return not self._truth(argument[0], f"{path}/0")


def _sub_parts(argument: Any, path: str) -> tuple[str, dict[str, Any]]:
    if (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)
            and isinstance(argument[1], dict)):
        return argument[0], argument[1]
    raise DeployError("Fn::Sub takes a string, or [string, {variable: value}]", path)


def _conditions(argument: Any, name: str, path: str) -> list[Any]:
    if not (isinstance(argument, list) and 2 <= len(argument) <= 10):
        raise DeployError(f"{name} takes a list of 2 to 10 conditions", path)
    return argument


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _count(items: Any) -> int:
    return len(items) if isinstance(items, list) else 0
