"""Values in scenario files: numbers, prior names, or arithmetic on them ("T1 + dT", "N * f").

``names_in`` checks a value and returns the prior names it uses;
``evaluate`` computes it for one draw of the parameters. Only numbers,
names, + - * / ** and unary minus are allowed: a scenario file can never run
code.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow, ast.USub: operator.neg}


class ScenarioError(ValueError):
    """A scenario specification that cannot be used; the message names the key and what was expected."""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def names_in(value: Any, where: str) -> set:
    """The prior names a value refers to (checking that it is a number or a valid expression)."""
    if is_number(value):
        return set()
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: expected a number, a prior name or an expression, got {value!r}")
    try:
        tree = ast.parse(value, mode="eval")
    except SyntaxError:
        raise ScenarioError(f"{where}: {value!r} is not a valid expression") from None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Load, *_OPERATORS)):
            raise ScenarioError(f"{where}: {value!r} may only use numbers, prior names and + - * / **")
        if isinstance(node, ast.Constant) and not is_number(node.value):
            raise ScenarioError(f"{where}: {value!r} may only use numbers, prior names and + - * / **")
    return names


def evaluate(value: Any, parameters: dict) -> float:
    """A number, a prior name or an arithmetic expression evaluated with the drawn ``parameters``."""
    if is_number(value):
        return float(value)

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(parameters[node.id])
        if isinstance(node, ast.BinOp):
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            return _OPERATORS[type(node.op)](walk(node.operand))
        raise ScenarioError(f"unsupported expression {value!r}")

    try:
        return walk(ast.parse(value, mode="eval"))
    except ZeroDivisionError:
        raise ScenarioError(f"{value!r} divides by zero for {parameters}") from None


def value_range(value: Any, supports: dict) -> tuple[float, float]:
    """The smallest and largest values an expression can take when each prior ranges over its support.

    Interval arithmetic: exact for expressions that use each prior once,
    conservative (wider) otherwise, so a value it finds in range always is.
    A division whose divisor's range contains 0 is a ScenarioError.
    """
    if is_number(value):
        return (float(value), float(value))

    def walk(node: ast.AST) -> tuple[float, float]:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return (float(node.value), float(node.value))
        if isinstance(node, ast.Name):
            return supports[node.id]
        if isinstance(node, ast.UnaryOp):
            low, high = walk(node.operand)
            return (-high, -low)
        (a, b), (c, d) = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Add):
            return (a + c, b + d)
        if isinstance(node.op, ast.Sub):
            return (a - d, b - c)
        if isinstance(node.op, ast.Div):
            if c <= 0 <= d:
                raise ScenarioError(f"{value!r} can divide by zero: its divisor ranges over [{c:g}, {d:g}]")
            c, d = 1 / d, 1 / c
        if isinstance(node.op, (ast.Mult, ast.Div)):
            products = (a * c, a * d, b * c, b * d)
            return (min(products), max(products))
        powers = [x**y for x in (a, b) for y in (c, d) if not (x < 0 and y != int(y))]
        if a < 0 < b and 0 < c:
            powers.append(0.0)
        if not powers:
            raise ScenarioError(f"{value!r} raises a negative number to a fractional power")
        return (min(powers), max(powers))

    return walk(ast.parse(value, mode="eval"))
