"""Read template.yaml the way CloudFormation would for a local stack: short-form intrinsic tags,
parameters, and the few intrinsics the wiring uses (Ref, Sub, GetAtt, If, Join, Select).

The local runner takes every name, event, filter, queue and environment variable from here,
so the template stays the single source of truth for the wiring.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..problems import ConfigError

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
    pass


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict:
    try:
        return yaml.load(Path(path).read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


@dataclass
class Stack:
    """A template resolved for one local stack: physical names and attributes per logical id."""
    template: dict
    stack_name: str = "minutes-local"
    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)         # logical id -> Ref value
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict]:
        return self.template.get("Resources", {})

    def of_type(self, kind: str) -> dict[str, dict]:
        return {lid: r for lid, r in self.resources.items() if r.get("Type") == kind}

    def parameter_values(self) -> dict[str, str]:
        values = {name: str(spec.get("Default", "")) for name, spec in
                  self.template.get("Parameters", {}).items()}
        values.update(self.parameters)
        return values

    def pseudo(self) -> dict[str, str]:
        return {"AWS::StackName": self.stack_name, "AWS::AccountId": ACCOUNT,
                "AWS::Region": REGION, "AWS::Partition": PARTITION, "AWS::URLSuffix": "amazonaws.com",
                "AWS::NoValue": None}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {}).get(name, False)))

    def resolve(self, value):
        """Evaluate intrinsics with what is known locally; unknown refs raise ConfigError."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        (name, arg), = value.items()
        handler = _INTRINSICS.get(name)
        return handler(self, arg) if handler else {name: self.resolve(arg)}

    def ref(self, name: str):
        if name in self.pseudo():
            return self.pseudo()[name]
        params = self.parameter_values()
        if name in params:
            return params[name]
        if name in self.refs:
            return self.refs[name]
        raise ConfigError(f"template refers to {name}, which the local stack has not created")

    def get_att(self, logical: str, attribute: str) -> str:
        if (logical, attribute) in self.attrs:
            return self.attrs[(logical, attribute)]
        raise ConfigError(f"template asks for {logical}.{attribute}, unknown locally")


def _sub(stack: Stack, arg) -> str:
    text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], stack.resolve(arg[1]))

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name in extra:
            return str(extra[name])
        if "." in name:
            return str(stack.get_att(*name.split(".", 1)))
        return str(stack.ref(name))

    return re.sub(r"\$\{([^}!]+)\}", one, text)


def _if(stack: Stack, arg):
    name, yes, no = arg
    return stack.resolve(yes if stack.condition(name) else no)


_INTRINSICS = {
    "Ref": lambda s, a: s.ref(a),
    "Fn::Sub": _sub,
    "Fn::GetAtt": lambda s, a: s.get_att(*(a if isinstance(a, list) else a.split(".", 1))),
    "Fn::If": _if,
    "Fn::Join": lambda s, a: str(a[0]).join(str(x) for x in s.resolve(a[1]) if x is not None),
    "Fn::Select": lambda s, a: s.resolve(a[1])[int(s.resolve(a[0]))],
    "Fn::Split": lambda s, a: str(s.resolve(a[1])).split(a[0]),
    "Fn::Equals": lambda s, a: s.resolve(a[0]) == s.resolve(a[1]),
    "Fn::Not": lambda s, a: not s.resolve(a[0]),
    "Fn::And": lambda s, a: all(s.resolve(x) for x in a),
    "Fn::Or": lambda s, a: any(s.resolve(x) for x in a),
    "Condition": lambda s, a: s.condition(a),
}
