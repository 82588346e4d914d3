"""DynamoDB condition objects (`Key("stream").eq(...)`) made into expression strings by a
builder of the call's own.

A resource's client (table.meta.client, and table.query) turns condition objects into
expressions with one ConditionExpressionBuilder per client, which resets and counts its
placeholders as it builds: two queries built at once on two threads (aws/parallel.concurrently)
could share a placeholder, `#n0` bound to `position` in a query whose `#n0` was `stream`
("Query condition missed key schema element: stream", decision 118). Built here, the client
gets plain strings, names and values (it still serializes the values)."""
from __future__ import annotations

from boto3.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder

_BUILT = (("KeyConditionExpression", True), ("FilterExpression", False))


def built(args: dict) -> dict:
    """`args` of a Query or Scan with each condition object built into its expression, names
    and values (merged with any given); the same dict when there is none."""
    if not any(isinstance(args.get(name), ConditionBase) for name, _ in _BUILT):
        return args
    builder, args = ConditionExpressionBuilder(), dict(args)
    names, values = dict(args.get("ExpressionAttributeNames", {})), dict(args.get("ExpressionAttributeValues", {}))
    for name, is_key in _BUILT:
        if isinstance(args.get(name), ConditionBase):
            expression = builder.build_expression(args[name], is_key_condition=is_key)
            args[name] = expression.condition_expression
            names.update(expression.attribute_name_placeholders)
            values.update(expression.attribute_value_placeholders)
    args["ExpressionAttributeNames"] = names
    if values:
        args["ExpressionAttributeValues"] = values
    return args
