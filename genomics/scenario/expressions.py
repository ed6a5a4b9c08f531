"""Values in scenario files: numbers, prior names, or arithmetic on them ("T1 + dT", "-(1/(T1 - T2)) * log(N1/N2)").

``names_in`` checks a value and returns the prior names it uses;
``evaluate`` computes it for one draw of the parameters; ``value_range``
bounds it over the priors' supports. Only numbers, names, + - * / ** (with
Python's precedence: ``-2**2`` is -4, ``2**-1`` is 0.5, ``**`` groups to
the right), parentheses and a closed list of functions are allowed::

    log(x)  exp(x)  sqrt(x)  min(x, y, ...)  max(x, y, ...)

A scenario file can never run code: there is no attribute access, no other
call, no subscript, no string. The text is read by a small parser of its
own (tokens, then Dijkstra's shunting-yard into postfix order) and the
postfix program is run on an explicit stack, so that a long or deeply
nested expression (a 1,000-term sum, many unary minus) never meets
Python's recursion limit; an expression is at most ``MAX_LENGTH``
characters. Every intermediate value must be a finite float: an overflow
(``10**10**10``), a log of a number <= 0, a square root of a negative number,
a negative number to a fractional power or a division by zero is one
``ScenarioError`` sentence naming the expression.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable

from genomics.errors import SettingError

MAX_LENGTH = 20_000  # characters of one expression
#: The functions an expression may call: name -> (fewest arguments, most arguments or None, function).
FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "log": (1, 1, math.log), "exp": (1, 1, math.exp), "sqrt": (1, 1, math.sqrt), "min": (2, None, min),
    "max": (2, None, max),
}
ALLOWED = "numbers, prior names, + - * / **, parentheses and the functions log, exp, sqrt, min, max"
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "u+": 3, "u-": 3, "**": 4}
_RIGHT_ASSOCIATIVE = {"**", "u+", "u-"}
_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/(),]))")


class ScenarioError(ValueError):
    """A scenario specification that cannot be used; the message names the key and what was expected."""


class ScenarioSettingError(SettingError, ScenarioError):
    """A ``ScenarioError`` whose sentence names the settings involved as ``{name}`` (``genomics.errors``)."""


class _Refused(Exception):
    """A value an operation cannot give (overflow, domain); the caller names the expression."""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def shown(text: str) -> str:
    """An expression as a message quotes it: whole up to 80 characters, else its start and its length."""
    return repr(text) if len(text) <= 80 else f"{text[:60]!r}... ({len(text)} characters)"


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each token: number, name or op; any other character is a ScenarioError."""
    if len(text) > MAX_LENGTH:
        raise ScenarioError(f"{text[:40]!r}... is {len(text)} characters long; an expression may have at most "
                            f"{MAX_LENGTH}")
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if not text[position:].strip():
                break
            character = text[position:].lstrip()[0]
            raise ScenarioError(f"{shown(text)} may only use {ALLOWED} (found {character!r})")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


@functools.lru_cache(maxsize=256)
def _compile(text: str) -> tuple:
    """The postfix program of an expression: ("number", x), ("name", n), ("unary", op), ("binary", op),
    ("call", function, argument count); a text outside the grammar is a ScenarioError."""
    tokens = _tokens(text)
    invalid = ScenarioError(f"{shown(text)} is not a valid expression")
    output: list[tuple] = []
    operators: list[str] = []   # operators, and "(" for every open parenthesis
    groups: list[list] = []     # per open parenthesis: [function name or None, arguments so far]
    expect_operand = True
    index = 0
    while index < len(tokens):
        kind, token = tokens[index]
        index += 1
        if expect_operand:
            if kind == "number":
                value = float(token)
                if not math.isfinite(value):
                    raise ScenarioError(f"{shown(text)} holds the number {token[:20]}, beyond the floats' range "
                                        "(about 1.8e308)")
                output.append(("number", value))
                expect_operand = False
            elif kind == "name" and index < len(tokens) and tokens[index][1] == "(":
                if token not in FUNCTIONS:
                    raise ScenarioError(f"{shown(text)} may only use {ALLOWED}; {token!r} is not one of the functions")
                index += 1
                operators.append("(")
                groups.append([token, 1])
            elif kind == "name":
                if token in FUNCTIONS:
                    raise ScenarioError(f"{shown(text)} uses the function {token} without its argument: write "
                                        f"{token}(...)")
                output.append(("name", token))
                expect_operand = False
            elif token == "(":
                operators.append("(")
                groups.append([None, 1])
            elif token in "+-":
                operators.append("u" + token)
            else:
                raise invalid
        elif kind == "op" and token in _PRECEDENCE:
            while operators and operators[-1] != "(" and (
                    _PRECEDENCE[operators[-1]] > _PRECEDENCE[token]
                    or (_PRECEDENCE[operators[-1]] == _PRECEDENCE[token] and token not in _RIGHT_ASSOCIATIVE)):
                output.append(_operation(operators.pop()))
            operators.append(token)
            expect_operand = True
        elif token in ",)":
            if not groups or (token == "," and groups[-1][0] is None):
                raise invalid
            while operators[-1] != "(":
                output.append(_operation(operators.pop()))
            if token == ",":
                groups[-1][1] += 1
                expect_operand = True
                continue
            operators.pop()
            function, arguments = groups.pop()
            if function is not None:
                fewest, most, _ = FUNCTIONS[function]
                if arguments < fewest or (most is not None and arguments > most):
                    wanted = f"{fewest}" if fewest == most else f"{fewest} or more"
                    raise ScenarioError(f"{shown(text)} calls {function} with {arguments} arguments; it takes {wanted}")
                output.append(("call", function, arguments))
        else:
            raise invalid
    if expect_operand or groups:
        raise invalid
    while operators:
        output.append(_operation(operators.pop()))
    return tuple(output)


def _operation(operator: str) -> tuple:
    return ("unary", operator[1]) if operator.startswith("u") else ("binary", operator)


def _program(value: Any, where: str = "") -> tuple:
    """The compiled program of a string value, with ``where`` before any error."""
    try:
        return _compile(value)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: {error}" if where else str(error)) from None


def names_in(value: Any, where: str) -> set:
    """The prior names a value refers to (checking that it is a number or a valid expression)."""
    if is_number(value):
        return set()
    if not isinstance(value, str):
        raise ScenarioError(f"{where}: expected a number, a prior name or an expression, got {value!r}")
    return {item[1] for item in _program(value, where) if item[0] == "name"}


def _binary(operator: str, a: float, b: float) -> float:
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "/":
        if b == 0:
            raise _Refused("divides by zero")
        return a / b
    if a == 0 and b < 0:
        raise _Refused("divides by zero (0 to a negative power)")
    if a < 0 and b != int(b):
        raise _Refused(f"raises the negative number {a:g} to the fractional power {b:g}")
    try:
        return a**b
    except OverflowError:
        raise _Refused(f"gives a number beyond the floats' range (about 1.8e308) at {a:g} ** {b:g}") from None


def _call(function: str, arguments: list[float]) -> float:
    if function == "log" and arguments[0] <= 0:
        raise _Refused(f"takes the log of {arguments[0]:g} (log needs a number > 0)")
    if function == "sqrt" and arguments[0] < 0:
        raise _Refused(f"takes the square root of {arguments[0]:g} (sqrt needs a number >= 0)")
    try:
        return float(FUNCTIONS[function][2](*arguments))
    except OverflowError:
        raise _Refused(f"gives a number beyond the floats' range (about 1.8e308) at {function}"
                       f"({', '.join(f'{a:g}' for a in arguments)})") from None


def evaluate(value: Any, parameters: dict) -> float:
    """A number, a prior name or an expression evaluated with the drawn ``parameters``; always a finite float."""
    if is_number(value):
        return float(value)
    if not isinstance(value, str):
        raise ScenarioError(f"expected a number, a prior name or an expression, got {value!r}")
    program = _program(value)
    stack: list[float] = []
    try:
        for item in program:
            kind = item[0]
            if kind == "number":
                stack.append(item[1])
            elif kind == "name":
                if item[1] not in parameters:
                    raise _Refused(f"names {item[1]!r}, which is not a parameter (parameters: {sorted(parameters)})")
                stack.append(float(parameters[item[1]]))
            elif kind == "unary":
                stack.append(-stack.pop() if item[1] == "-" else stack.pop())
            elif kind == "binary":
                b = stack.pop()
                stack.append(_binary(item[1], stack.pop(), b))
            else:
                arguments = stack[len(stack) - item[2]:]
                del stack[len(stack) - item[2]:]
                stack.append(_call(item[1], arguments))
            if not math.isfinite(stack[-1]):
                raise _Refused(f"gives {stack[-1]}, beyond the floats' range (about 1.8e308)")
    except _Refused as refused:
        raise ScenarioError(f"{shown(value)} {refused} for the parameters {parameters}") from None
    return stack[0]


def value_range(value: Any, supports: dict) -> tuple[float, float]:
    """The smallest and largest values an expression can take when each prior ranges over its support.

    Interval arithmetic: exact for expressions that use each prior once,
    conservative (wider) otherwise, so a value it finds in range always is.
    A division whose divisor's range contains 0, a log or square root whose
    argument's range reaches below its domain, and a bound beyond the
    floats' range are ScenarioErrors.
    """
    if is_number(value):
        return (float(value), float(value))
    stack: list[tuple[float, float]] = []
    try:
        for item in _program(value):
            kind = item[0]
            if kind == "number":
                stack.append((item[1], item[1]))
            elif kind == "name":
                if item[1] not in supports:
                    raise _Refused(f"names {item[1]!r}, which is not a prior")
                stack.append(tuple(map(float, supports[item[1]])))
            elif kind == "unary":
                low, high = stack.pop()
                stack.append((-high, -low) if item[1] == "-" else (low, high))
            elif kind == "binary":
                right = stack.pop()
                stack.append(_interval_binary(item[1], stack.pop(), right))
            else:
                arguments = stack[len(stack) - item[2]:]
                del stack[len(stack) - item[2]:]
                stack.append(_interval_call(item[1], arguments))
            if not all(math.isfinite(bound) for bound in stack[-1]):
                raise _Refused("can reach beyond the floats' range (about 1.8e308)")
    except _Refused as refused:
        raise ScenarioError(f"{shown(value)} {refused} over the priors' supports") from None
    return stack[0]


def _interval_binary(operator: str, left: tuple[float, float], right: tuple[float, float]) -> tuple[float, float]:
    (a, b), (c, d) = left, right
    if operator == "+":
        return (a + c, b + d)
    if operator == "-":
        return (a - d, b - c)
    if operator == "/":
        if c <= 0 <= d:
            raise _Refused(f"can divide by zero: its divisor ranges over [{c:g}, {d:g}]")
        c, d = 1 / d, 1 / c
    if operator in "*/":
        products = (a * c, a * d, b * c, b * d)
        return (min(products), max(products))
    if a <= 0 <= b and c < 0:
        raise _Refused(f"can divide by zero: 0 is in [{a:g}, {b:g}], raised to powers down to {c:g}")
    try:
        powers = [x**y for x in (a, b) for y in (c, d) if not (x < 0 and y != int(y))]
    except OverflowError:
        raise _Refused("can reach beyond the floats' range (about 1.8e308)") from None
    if a < 0 < b and 0 < c:
        powers.append(0.0)
    if not powers:
        raise _Refused("raises a negative number to a fractional power")
    return (min(powers), max(powers))


def _interval_call(function: str, arguments: list[tuple[float, float]]) -> tuple[float, float]:
    if function in ("min", "max"):
        pick = FUNCTIONS[function][2]
        return (pick(low for low, _ in arguments), pick(high for _, high in arguments))
    (low, high), = arguments
    if function == "log" and low <= 0:
        raise _Refused(f"can take the log of numbers down to {low:g} (log needs numbers > 0)")
    if function == "sqrt" and low < 0:
        raise _Refused(f"can take the square root of numbers down to {low:g} (sqrt needs numbers >= 0)")
    try:  # log, exp and sqrt increase: the bounds map to the bounds
        return (FUNCTIONS[function][2](low), FUNCTIONS[function][2](high))
    except OverflowError:
        raise _Refused(f"can reach beyond the floats' range (about 1.8e308) at {function}({high:g})") from None
