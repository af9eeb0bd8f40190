"""Formulas of derived KPIs, e.g. ``{Operating cost} / {Orders}``.

A formula is parsed by a small recursive-descent parser into a tree of
numbers, KPI references and the four arithmetic operations; it is never
handed to ``eval``. Anything else — a function call, an attribute, a
keyword, a very long or deeply nested text — is refused with a message
that says where. Evaluating a tree with a division by zero gives no value
(``None``) rather than an error: that date simply has no derived value.

Pure Python, no Django: tested on its own, including hostile input.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Union

MAX_LENGTH = 500
MAX_DEPTH = 25
MAX_REFERENCES = 20

HELP = (
    "Put each KPI's name in braces and combine them with + − × ÷ and brackets, "
    "e.g. {IT operating cost} / {Orders shipped}. Numbers are allowed: {Returns} / {Orders} * 100."
)


class FormulaError(ValueError):
    """The formula cannot be read; the message says where and why."""


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Op:
    symbol: str  # + - * / or "neg"
    left: Node
    right: Node | None = None


Node = Union[float, Ref, Op]  # noqa: UP007 (a runtime alias: the dataclasses above refer to it)

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d{1,3})?|\.\d+)"
    r"|\{(?P<ref>[^{}]{1,120})\}"
    r"|(?P<op>[-+*/()×÷−]))"
)
_SYMBOLS = {"×": "*", "÷": "/", "−": "-"}


def _tokens(text: str) -> list[tuple[str, str | float, int]]:
    tokens: list[tuple[str, str | float, int]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            rest = text[position:].lstrip()
            where = len(text) - len(rest) + 1
            if rest.startswith("{"):
                raise FormulaError(
                    f"At character {where}: a KPI name in braces is not closed, or is empty."
                )
            raise FormulaError(
                f"At character {where}: “{rest[:12]}” is not allowed. " + HELP.split(".")[0] + "."
            )
        start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
        if match.group("number") is not None:
            number = float(match.group("number"))
            if not math.isfinite(number):
                raise FormulaError(f"At character {start + 1}: the number is too large.")
            tokens.append(("number", number, start))
        elif match.group("ref") is not None:
            name = match.group("ref").strip()
            if not name:
                raise FormulaError(f"At character {start + 1}: empty braces; put a KPI name in.")
            tokens.append(("ref", name, start))
        else:
            op = match.group("op")
            tokens.append(("op", _SYMBOLS.get(op, op), start))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.i += 1
        return token

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("The formula is nested too deeply; simplify it.")
        node = self.term()
        while (t := self.peek()) and t[0] == "op" and t[1] in "+-":
            self.take()
            node = Op(str(t[1]), node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        while (t := self.peek()) and t[0] == "op" and t[1] in "*/":
            self.take()
            node = Op(str(t[1]), node, self.unary())
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t and t[0] == "op" and t[1] in "+-":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError("The formula is nested too deeply; simplify it.")
            inner = self.unary()
            self.depth -= 1
            return Op("neg", inner) if t[1] == "-" else inner
        return self.primary()

    def primary(self) -> Node:
        t = self.take()
        if t is None:
            raise FormulaError("The formula ends too early: something is missing after the end.")
        kind, value, position = t
        if kind == "number":
            return float(value)
        if kind == "ref":
            return Ref(str(value))
        if value == "(":
            node = self.expression()
            closing = self.take()
            if closing is None or closing[1] != ")":
                raise FormulaError(f"The bracket opened at character {position + 1} is not closed.")
            return node
        raise FormulaError(f"At character {position + 1}: “{value}” is out of place.")


@dataclass(frozen=True)
class Formula:
    text: str
    tree: Node

    @property
    def references(self) -> list[str]:
        """The KPI names it uses, in order of first use."""
        seen: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Ref):
                if node.name not in seen:
                    seen.append(node.name)
            elif isinstance(node, Op):
                walk(node.left)
                if node.right is not None:
                    walk(node.right)

        walk(self.tree)
        return seen

    def evaluate(self, values: dict[str, float]) -> float | None:
        """The formula's value, or None when an input is missing or it divides by zero."""
        try:
            result = _evaluate(self.tree, values)
        except (KeyError, ZeroDivisionError, OverflowError):
            return None
        return result if math.isfinite(result) else None


def _evaluate(node: Node, values: dict[str, float]) -> float:
    if isinstance(node, float):
        return node
    if isinstance(node, Ref):
        return values[node.name]
    left = _evaluate(node.left, values)
    if node.symbol == "neg":
        return -left
    right = _evaluate(node.right, values)  # type: ignore[arg-type]
    if node.symbol == "+":
        return left + right
    if node.symbol == "-":
        return left - right
    if node.symbol == "*":
        return left * right
    return left / right


def parse(text: str) -> Formula:
    """Read a formula, or raise FormulaError with a message a person can act on."""
    text = (text or "").strip()
    if not text:
        raise FormulaError("The formula is empty.")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"The formula is longer than {MAX_LENGTH} characters.")
    parser = _Parser(_tokens(text))
    tree = parser.expression()
    extra = parser.peek()
    if extra is not None:
        raise FormulaError(f"At character {extra[2] + 1}: “{extra[1]}” is out of place.")
    formula = Formula(text, tree)
    references = formula.references
    if not references:
        raise FormulaError("The formula uses no KPI: put at least one KPI name in braces.")
    if len(references) > MAX_REFERENCES:
        raise FormulaError(f"A formula can use at most {MAX_REFERENCES} KPIs.")
    return formula


def rename(text: str, old: str, new: str) -> str:
    """The formula with every reference to KPI ``old`` renamed to ``new``."""
    return re.sub(r"\{\s*" + re.escape(old) + r"\s*\}", lambda _: "{" + new + "}", text)
