"""A small, safe expression language for derived variables in instrument specs.

Instrument specs define derived variables with formulas such as ``ln(1 + sanctions)``,
``clamp(age, 18, 80)`` or ``if prior_count > 3 then 2 else 0``. This module parses such text
into a syntax tree made only of the node types below, checked against a whitelist of
functions, and evaluates it vectorised over numpy arrays. Python's ``eval``/``exec``/
``compile`` and the ``ast`` module are never used: the tokenizer and the precedence-climbing
parser are our own, so the grammar is exactly what is documented here and every error carries
a character position.

Grammar (lowest precedence first; all binary operators are left-associative unless noted)::

    expression  := "if" expression "then" expression "else" expression  | or_expr
    or_expr     := and_expr ("or" and_expr)*
    and_expr    := not_expr ("and" not_expr)*
    not_expr    := "not" not_expr | comparison
    comparison  := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]     # no chaining
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := ("-" | "+") unary | power
    power       := atom [("^" | "**") unary]                             # right-associative
    atom        := number | "true" | "false" | name | name "(" arguments ")" | "(" expression ")"
    number      := digits ["." digits] [("e" | "E") ["+" | "-"] digits]   (also ".5", "1.")
    name        := [A-Za-z_][A-Za-z0-9_]*   (not a keyword)

Keywords (reserved, lowercase): ``if then else and or not true false``. ``-2^2`` is ``-(2^2)``,
``2^-1`` is allowed, ``2^3^2`` is ``2^(3^2)``. ``a < b < c`` is rejected (write
``a < b and b < c``). An ``if`` expression or a ``not`` used as an operand of a tighter
operator must be parenthesised: ``1 + (if a then b else c)``, ``a == (not b)``. The ``else``
branch extends as far to the right as possible; ``if`` expressions nest. There is no
attribute access, indexing, strings, assignment, lambdas or anything else.

Semantics
---------
* Every value is a float64; ``true``/``false`` and the results of comparisons and logical
  operators are 1.0/0.0. In a condition or logical operator any nonzero number counts as true.
* Missing values are NaN. NaN propagates through arithmetic, through every function except
  ``is_missing`` and ``coalesce``, and through comparisons: ``NaN > 3`` is NaN (missing), not
  false.
* ``and``/``or``/``not`` follow Kleene's three-valued logic: ``false and missing`` is false,
  ``true or missing`` is true, ``not missing`` is missing, and otherwise any missing operand
  gives missing.
* ``if C then A else B`` is evaluated elementwise: where C is missing the result is missing;
  otherwise A where C is true and B where C is false. Both branches are evaluated over the whole
  array (so a domain error in the branch that is not selected does no harm).
* The language has no infinities. Domain errors and overflow give NaN, never ``inf``: division by
  zero, ``ln``/``log10`` of a value <= 0, ``sqrt`` of a negative value, a negative number to a
  fractional power, ``0 ^ negative``, ``exp`` overflow, and ``clamp`` with ``lo > hi``. Input
  values of +-inf are treated as missing (NaN) too. ``0 ^ 0`` is 1, but ``missing ^ 0`` and
  ``1 ^ missing`` are missing (IEEE ``pow`` would give 1).
* ``round`` rounds half away from zero (0.5 -> 1, 1.5 -> 2, 2.5 -> 3, -2.5 -> -3), *not*
  numpy's round-half-to-even. Decimal numbers are usually not exactly representable in binary
  (2.345 is stored as 2.34499999999999997...), so after scaling by ``10**digits`` a value within
  64 units in the last place (about 1e-14 relative) of a half is treated as an exact half:
  ``round(2.345, 2)`` is 2.35 and ``round(7 * 0.35, 1)`` is 2.5, as a researcher reading the
  decimals would expect (the tolerance is capped at 2**-10 once 64 ulps exceed it, i.e. for
  scaled values above 2**36). ``digits`` must be a whole-number constant between -15 and 15.
* Results never contain negative zero.

Limits: the text may be at most :data:`MAX_LENGTH` characters and may nest (parentheses,
function calls, prefix operators, ``if`` and ``^`` chains) at most :data:`MAX_DEPTH` levels.
Long flat chains such as ``item1 + item2 + ... + item54`` do not count as nesting.

Example
-------
>>> import numpy as np
>>> expr = parse_expression("if prior_count > 3 then 2 else round(ln(1 + prior_count), 1)")
>>> expr.evaluate({"prior_count": np.array([0.0, 2.0, 5.0, np.nan])})
array([0. , 1.1, 2. , nan])
>>> sorted(expr.names), sorted(expr.functions)
(['prior_count'], ['ln', 'round'])
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "BoolOp",
    "Binary",
    "Call",
    "Compare",
    "Expression",
    "ExpressionError",
    "FunctionSpec",
    "IfThenElse",
    "Name",
    "Node",
    "Not",
    "Number",
    "Unary",
    "parse_expression",
]

#: Maximum length of an expression's text, in characters.
MAX_LENGTH = 4000
#: Maximum nesting depth (parentheses, calls, prefix operators, ``if``, ``^`` chains).
MAX_DEPTH = 64
#: Reserved words; they cannot be used as variable names.
KEYWORDS = frozenset({"if", "then", "else", "and", "or", "not", "true", "false"})

_ROUND_DIGITS_LIMIT = 15
_TIE_ULPS = 64  # tolerance for treating a scaled value as an exact half in round()...
_TIE_CAP = 2.0**-10  # ...but never more than this (64 ulps reach 1/2 at 2**46)


# ---------------------------------------------------------------------------------- errors


class ExpressionError(ValueError):
    """An expression could not be parsed, checked or evaluated.

    Attributes: ``message`` (what is wrong), ``expression`` (the full text), ``position``
    (0-based character offset of the problem, or ``None`` when it is not about one place) and
    ``hint`` (a suggestion such as ``"did you mean 'prior_count'?"``, or ``None``).

    ``str(error)`` is one line, e.g. ``unknown name 'prior_cnt' at column 8 in
    'ln(1 + prior_cnt)'; did you mean 'prior_count'?`` (columns are 1-based; for multi-line
    text the line is given too). :meth:`caret` gives the offending line with a ``^`` under the
    problem, for terminal output.
    """

    def __init__(
        self,
        message: str,
        expression: str = "",
        position: int | None = None,
        hint: str | None = None,
    ):
        self.message = message
        self.expression = expression
        self.position = position
        self.hint = hint
        super().__init__(self._one_line())

    def __reduce__(self):  # picklable despite the custom __init__ (multiprocessing)
        return (type(self), (self.message, self.expression, self.position, self.hint))

    @property
    def line(self) -> int | None:
        """1-based line of the problem (``None`` without a position)."""
        return None if self.position is None else _line_col(self.expression, self.position)[0]

    @property
    def column(self) -> int | None:
        """1-based column (within its line) of the problem (``None`` without a position)."""
        return None if self.position is None else _line_col(self.expression, self.position)[1]

    def _one_line(self) -> str:
        out = self.message
        if self.position is not None and self.expression.strip():
            line, col = _line_col(self.expression, self.position)
            where = f"line {line}, column {col}" if "\n" in self.expression else f"column {col}"
            out += f" at {where} in {_quote(self.expression)}"
        elif self.expression.strip():
            out += f" in {_quote(self.expression)}"
        if self.hint:
            out += f"; {self.hint}"
        return out

    def caret(self) -> str:
        """The offending line of the expression with a ``^`` under the problem ('' if unknown).

        >>> try:
        ...     parse_expression("ln(1 + * x)")
        ... except ExpressionError as e:
        ...     print(e.caret())
            ln(1 + * x)
                   ^
        """
        if self.position is None or not self.expression:
            return ""
        pos = min(max(self.position, 0), len(self.expression))
        start = self.expression.rfind("\n", 0, pos) + 1
        end = self.expression.find("\n", pos)
        text = self.expression[start : end if end != -1 else len(self.expression)]
        text = "".join(" " if c.isspace() else c for c in text)
        col = pos - start
        width = 72
        lo = 0
        if len(text) > width:
            lo = min(max(0, col - width // 2), len(text) - width)
            lo = max(lo, 0)
        excerpt = text[lo : lo + width]
        prefix = "..." if lo > 0 else ""
        suffix = "..." if lo + width < len(text) else ""
        return f"    {prefix}{excerpt}{suffix}\n    {' ' * (len(prefix) + col - lo)}^"


def _line_col(text: str, position: int) -> tuple[int, int]:
    position = min(max(position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    return line, col


def _quote(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 3] + "..."
    return f"'{flat}'"


def _did_you_mean(word: str, options: Iterable[str]) -> str | None:
    options = [o for o in options if isinstance(o, str)]
    lowered = {o.lower(): o for o in options}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"did you mean '{lowered[word.lower()]}'? (names are case-sensitive)"
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


# ----------------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class Node:
    """Base class of syntax-tree nodes. ``pos`` is the 0-based offset of the node's token in
    the source text (the operator for operators, the function name for calls); it is ignored
    by ``==`` and ``hash`` so trees parsed from differently spaced texts compare equal."""

    pos: int = field(default=-1, compare=False, kw_only=True)


@dataclass(frozen=True)
class Number(Node):
    """A numeric literal (``true``/``false`` are 1.0/0.0 with ``boolean=True``)."""

    value: float
    boolean: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Name(Node):
    """A reference to a variable."""

    name: str


@dataclass(frozen=True)
class Unary(Node):
    """Prefix ``-`` or ``+``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic ``+ - * / ^``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    """Comparison ``< <= > >= == !=`` (1.0/0.0, NaN if either side is missing)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp(Node):
    """Kleene ``and`` / ``or``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    """Kleene ``not``."""

    operand: Node


@dataclass(frozen=True)
class Call(Node):
    """A call of a whitelisted function (see :data:`FUNCTIONS`)."""

    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class IfThenElse(Node):
    """``if condition then if_true else if_false``, elementwise."""

    condition: Node
    if_true: Node
    if_false: Node


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary | Compare | BoolOp):
        return (node.left, node.right)
    if isinstance(node, Unary | Not):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, IfThenElse):
        return (node.condition, node.if_true, node.if_false)
    return ()


def _postorder(root: Node) -> Iterator[Node]:
    """Nodes children-first, left to right, without recursion (trees may be deep)."""
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))


# ------------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class FunctionSpec:
    """A whitelisted function: its arity (``max_args=None`` means no upper limit), usage and
    a one-line description (used in error messages and the spec JSON schema)."""

    name: str
    min_args: int
    max_args: int | None
    signature: str
    description: str

    def arity_text(self) -> str:
        """E.g. 'exactly 1 argument', '1 or 2 arguments', 'at least 2 arguments'."""
        lo, hi = self.min_args, self.max_args
        plural = "s" if (hi or lo) != 1 else ""
        if hi is None:
            return f"at least {lo} argument{plural}"
        if lo == hi:
            return f"exactly {lo} argument{plural}"
        if hi == lo + 1:
            return f"{lo} or {hi} arguments"
        return f"{lo} to {hi} arguments"


def _spec(name: str, lo: int, hi: int | None, signature: str, description: str) -> FunctionSpec:
    return FunctionSpec(name, lo, hi, signature, description)


#: The whitelist of functions: name -> :class:`FunctionSpec` (read-only).
FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(
    {
        s.name: s
        for s in (
            _spec("ln", 1, 1, "ln(x)", "natural logarithm; NaN for x <= 0"),
            _spec("log10", 1, 1, "log10(x)", "base-10 logarithm; NaN for x <= 0"),
            _spec("exp", 1, 1, "exp(x)", "e to the power x; NaN on overflow"),
            _spec("sqrt", 1, 1, "sqrt(x)", "square root; NaN for x < 0"),
            _spec("abs", 1, 1, "abs(x)", "absolute value"),
            _spec("floor", 1, 1, "floor(x)", "largest whole number <= x"),
            _spec("ceil", 1, 1, "ceil(x)", "smallest whole number >= x"),
            _spec("min", 2, None, "min(a, b, ...)", "smallest argument; NaN if any is missing"),
            _spec("max", 2, None, "max(a, b, ...)", "largest argument; NaN if any is missing"),
            _spec("clamp", 3, 3, "clamp(x, lo, hi)", "x limited to [lo, hi]; NaN if lo > hi"),
            _spec(
                "round",
                1,
                2,
                "round(x) or round(x, digits)",
                "round half away from zero to `digits` decimals (a constant from -15 to 15; "
                "default 0); values within 64 ulps of a half count as a half",
            ),
            _spec("is_missing", 1, 1, "is_missing(x)", "1 if x is missing (NaN), else 0"),
            _spec(
                "coalesce",
                2,
                None,
                "coalesce(x, default, ...)",
                "first argument that is not missing, elementwise",
            ),
        )
    }
)

_FUNCTION_HINTS = {
    "log": "use ln() for the natural logarithm or log10() for base 10",
    "log2": "use ln(x) / ln(2)",
    "log1p": "use ln(1 + x)",
    "pow": "use the '^' operator, e.g. x^2",
    "power": "use the '^' operator, e.g. x^2",
    "int": "use floor() or round()",
    "trunc": "use floor() for positive values, or round()",
    "isnan": "use is_missing()",
    "isna": "use is_missing()",
    "isnull": "use is_missing()",
    "is_na": "use is_missing()",
    "is_nan": "use is_missing()",
    "missing": "use is_missing()",
    "ifelse": "use 'if CONDITION then VALUE else VALUE'",
    "if_else": "use 'if CONDITION then VALUE else VALUE'",
    "iif": "use 'if CONDITION then VALUE else VALUE'",
    "where": "use 'if CONDITION then VALUE else VALUE'",
    "nvl": "use coalesce()",
    "ifnull": "use coalesce()",
    "fillna": "use coalesce()",
    "clip": "use clamp(x, lo, hi)",
    "minimum": "use min()",
    "maximum": "use max()",
    "sum": "write the sum with '+'",
    "mean": "write the mean as (a + b) / 2",
}


# ----------------------------------------------------------------------------------- lexer


class _Token(NamedTuple):
    kind: str  # number, name, keyword, op, (, ), ",", eof
    text: str
    pos: int
    value: float = 0.0


_NUMBER_RE = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_NUMBER_START = frozenset("0123456789.")
_WORD_CHAR_RE = re.compile(r"[A-Za-z0-9_.]", re.ASCII)
_OPERATORS = ("**", "<=", ">=", "==", "!=", "+", "-", "*", "/", "^", "<", ">")
_STRING_HINT = "strings are not allowed; expressions work on numbers only"
_BAD_CHARS: dict[str, tuple[str, str | None]] = {
    ".": ("'.' (attribute access) is not allowed", None),
    "[": ("'[' (indexing) is not allowed", None),
    "]": ("']' (indexing) is not allowed", None),
    "'": ('quote character "\'" is not allowed', _STRING_HINT),
    '"': ("quote character '\"' is not allowed", _STRING_HINT),
    "\u2018": ("quote character '\u2018' is not allowed", _STRING_HINT),
    "\u2019": ("quote character '\u2019' is not allowed", _STRING_HINT),
    "\u201c": ("quote character '\u201c' is not allowed", _STRING_HINT),
    "\u201d": ("quote character '\u201d' is not allowed", _STRING_HINT),
    "=": ("'=' is not an operator", "use '==' to test equality"),
    "!": ("'!' is not an operator", "use 'not' for negation or '!=' for 'not equal'"),
    "&": ("'&' is not an operator", "use 'and'"),
    "|": ("'|' is not an operator", "use 'or'"),
    "%": ("'%' (remainder) is not supported", None),
    "{": ("'{' is not allowed", "use parentheses for grouping"),
    "}": ("'}' is not allowed", "use parentheses for grouping"),
    "\u2212": ("Unicode minus sign '\u2212' is not allowed", "type an ASCII '-'"),
    "\u2013": ("dash '\u2013' is not allowed", "type an ASCII '-'"),
    "\u00d7": ("'\u00d7' is not allowed", "use '*' for multiplication"),
    "\u00f7": ("'\u00f7' is not allowed", "use '/' for division"),
    "\u2264": ("'\u2264' is not allowed", "use '<='"),
    "\u2265": ("'\u2265' is not allowed", "use '>='"),
    "\u2260": ("'\u2260' is not allowed", "use '!='"),
}


class _Lexer:
    """Produces tokens on demand so that errors are reported left to right."""

    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.end = len(text.rstrip())

    def error(self, message: str, pos: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, self.text, pos, hint)

    def next(self) -> _Token:
        text, n = self.text, len(self.text)
        i = self.i
        while i < n and text[i].isspace():
            i += 1
        self.i = i
        if i >= n:
            return _Token("eof", "", self.end)
        c = text[i]
        m = _NUMBER_RE.match(text, i) if c in _NUMBER_START else None
        if m is not None:
            j = m.end()
            if j < n and _WORD_CHAR_RE.match(text[j]):
                k = j
                while k < n and _WORD_CHAR_RE.match(text[k]):
                    k += 1
                if text[j] == ".":
                    hint = "a number has at most one decimal point"
                elif text[j] in "eE" and not text[j + 1 : j + 2].isalpha():
                    hint = "an exponent needs digits, e.g. 1e3 or 2.5e-4"
                else:
                    hint = "put an operator between a number and a name, e.g. '2 * x'"
                raise self.error(f"malformed number '{text[i:k]}'", i, hint)
            value = float(m.group())
            if not np.isfinite(value):
                raise self.error(f"number '{m.group()}' is too large", i)
            self.i = j
            return _Token("number", m.group(), i, value)
        m = _NAME_RE.match(text, i)
        if m is not None:
            self.i = m.end()
            word = m.group()
            if self.i < n and text[self.i].isalnum():  # e.g. a non-ASCII letter inside a name
                bad = text[self.i]
                raise self.error(
                    f"character '{bad}' is not allowed in a name",
                    self.i,
                    "names use ASCII letters, digits and '_' only",
                )
            return _Token("keyword" if word in KEYWORDS else "name", word, i)
        for op in _OPERATORS:
            if text.startswith(op, i):
                self.i = i + len(op)
                return _Token("op", "^" if op == "**" else op, i)
        if c in "(),":
            self.i = i + 1
            return _Token(c, c, i)
        message, hint = _BAD_CHARS.get(c, (f"character {c!r} is not allowed", None))
        if not c.isascii() and c not in _BAD_CHARS:
            message = f"non-ASCII character {c!r} (U+{ord(c):04X}) is not allowed"
        raise self.error(message, i, hint)


# ---------------------------------------------------------------------------------- parser

_PREC_IF, _PREC_OR, _PREC_AND, _PREC_NOT, _PREC_CMP = 0, 1, 2, 3, 4
_PREC_ADD, _PREC_MUL, _PREC_UNARY, _PREC_POW, _PREC_ATOM = 5, 6, 7, 8, 9
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})
_BINARY_PREC = {
    "or": _PREC_OR,
    "and": _PREC_AND,
    **dict.fromkeys(_COMPARISONS, _PREC_CMP),
    "+": _PREC_ADD,
    "-": _PREC_ADD,
    "*": _PREC_MUL,
    "/": _PREC_MUL,
    "^": _PREC_POW,
}


def _binary_operator(tok: _Token) -> str | None:
    if tok.kind == "op" and tok.text in _BINARY_PREC:
        return tok.text
    if tok.kind == "keyword" and tok.text in ("and", "or"):
        return tok.text
    return None


def _describe(tok: _Token) -> str:
    if tok.kind == "eof":
        return "the end of the expression"
    if tok.kind == "number":
        return f"number '{tok.text}'"
    if tok.kind == "name":
        return f"name '{tok.text}'"
    if tok.kind == "keyword":
        return f"keyword '{tok.text}'"
    return f"'{tok.text}'"


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.lexer = _Lexer(text)
        self.prev: _Token | None = None
        self.tok = self.lexer.next()

    def error(self, message: str, pos: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, self.text, pos, hint)

    def advance(self) -> None:
        self.prev = self.tok
        self.tok = self.lexer.next()

    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise self.error("expression is empty", 0)
        node = self.expr(_PREC_IF, 0)
        if self.tok.kind != "eof":
            raise self.unexpected_after_value(None)
        return node

    # precedence climbing over binary operators
    def expr(self, min_prec: int, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.error(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                self.tok.pos,
                "split it into several derived variables",
            )
        left = self.prefix(min_prec, depth)
        while True:
            op_tok = self.tok
            op = _binary_operator(op_tok)
            if op is None or _BINARY_PREC[op] < min_prec:
                return left
            prec = _BINARY_PREC[op]
            self.advance()
            # only '^' recurses to the right; other operators loop, so they add no nesting
            right = self.expr(prec, depth + 1) if op == "^" else self.expr(prec + 1, depth)
            if op in _COMPARISONS:
                left = Compare(op, left, right, pos=op_tok.pos)
                nxt = _binary_operator(self.tok)
                if nxt in _COMPARISONS:
                    raise self.error(
                        f"comparisons cannot be chained ('{op}' followed by '{nxt}')",
                        self.tok.pos,
                        "write 'a < b and b < c' instead of 'a < b < c'",
                    )
            elif op in ("and", "or"):
                left = BoolOp(op, left, right, pos=op_tok.pos)
            else:
                left = Binary(op, left, right, pos=op_tok.pos)

    def prefix(self, min_prec: int, depth: int) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Number(tok.value, pos=tok.pos)
        if tok.kind == "name":
            self.advance()
            if self.tok.kind == "(":
                return self.call(tok, depth)
            return Name(tok.text, pos=tok.pos)
        if tok.kind == "(":
            self.advance()
            if self.tok.kind == ")":
                raise self.error("empty parentheses", tok.pos, "put an expression inside '( )'")
            inner = self.expr(_PREC_IF, depth + 1)
            self.close_paren(tok, None)
            return inner
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.advance()
            operand = self.expr(_PREC_UNARY, depth + 1)
            return Unary(tok.text, operand, pos=tok.pos)
        if tok.kind == "keyword":
            word = tok.text
            if word in ("true", "false"):
                self.advance()
                return Number(1.0 if word == "true" else 0.0, True, pos=tok.pos)
            if word == "not":
                if min_prec > _PREC_NOT:
                    raise self.error(
                        f"'not' must be in parentheses here{self.after_prev()}",
                        tok.pos,
                        "e.g. 'a == (not b)'",
                    )
                self.advance()
                return Not(self.expr(_PREC_NOT, depth + 1), pos=tok.pos)
            if word == "if":
                if min_prec > _PREC_IF:
                    raise self.error(
                        f"an 'if' expression must be in parentheses here{self.after_prev()}",
                        tok.pos,
                        "e.g. '1 + (if a > 0 then 1 else 0)'",
                    )
                return self.if_then_else(depth)
            if word in ("then", "else"):
                raise self.error(
                    f"expected a value, found keyword '{word}'", tok.pos, self.missing_if(word)
                )
        if tok.kind == "eof":
            where = f" after '{self.prev.text}'" if self.prev is not None else ""
            raise self.error(f"expected a value{where}, but the expression ends", tok.pos)
        found = _describe(tok)
        where = f" after '{self.prev.text}'" if self.prev is not None else ""
        raise self.error(f"expected a value{where}, found {found}", tok.pos)

    def after_prev(self) -> str:
        return f" (after '{self.prev.text}')" if self.prev is not None else ""

    @staticmethod
    def missing_if(word: str) -> str:
        return f"'{word}' belongs to 'if CONDITION then VALUE else VALUE'"

    def if_then_else(self, depth: int) -> Node:
        if_tok = self.tok
        self.advance()
        condition = self.expr(_PREC_IF, depth + 1)
        self.expect_keyword("then")
        if_true = self.expr(_PREC_IF, depth + 1)
        self.expect_keyword("else")
        if_false = self.expr(_PREC_IF, depth + 1)
        return IfThenElse(condition, if_true, if_false, pos=if_tok.pos)

    def expect_keyword(self, word: str) -> None:
        if self.tok.kind == "keyword" and self.tok.text == word:
            self.advance()
            return
        raise self.error(
            f"'if' is missing its '{word}' (found {_describe(self.tok)})",
            self.tok.pos,
            "write 'if CONDITION then VALUE else VALUE' (the 'else' part is required)",
        )

    def close_paren(self, open_tok: _Token, function: str | None) -> None:
        if self.tok.kind == ")":
            self.advance()
            return
        if self.tok.kind == "eof":
            what = f"'(' of the call to {function}()" if function else "'('"
            raise self.error(f"{what} is never closed", open_tok.pos, "add the missing ')'")
        raise self.unexpected_after_value("')'")

    def unexpected_after_value(self, expected: str | None) -> ExpressionError:
        tok = self.tok
        if tok.kind in ("name", "number", "(") or (
            tok.kind == "keyword" and tok.text in ("true", "false", "not", "if")
        ):
            hint = "put an operator such as '+', '*' or 'and' between them"
            if tok.kind == "name" and tok.text.lower() in KEYWORDS:
                hint = f"keywords are lowercase: did you mean '{tok.text.lower()}'?"
            return self.error(f"missing operator before {_describe(tok)}", tok.pos, hint)
        if tok.kind == ")":
            return self.error("unmatched ')'", tok.pos, "remove it or add a matching '('")
        if tok.kind == ",":
            return self.error(
                "unexpected ','", tok.pos, "commas only separate the arguments of a function"
            )
        if tok.kind == "keyword" and tok.text in ("then", "else"):
            return self.error(
                f"'{tok.text}' without a matching 'if'", tok.pos, self.missing_if(tok.text)
            )
        want = expected or "an operator or the end of the expression"
        return self.error(f"expected {want}, found {_describe(tok)}", tok.pos)

    def call(self, name_tok: _Token, depth: int) -> Node:
        fname = name_tok.text
        spec = FUNCTIONS.get(fname)
        if spec is None:
            hint = _FUNCTION_HINTS.get(fname) or _did_you_mean(fname, FUNCTIONS)
            if hint is None:
                hint = "available functions: " + ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function '{fname}'", name_tok.pos, hint)
        open_tok = self.tok
        self.advance()
        args: list[Node] = []
        if self.tok.kind != ")":
            while True:
                args.append(self.expr(_PREC_IF, depth + 1))
                if self.tok.kind == ",":
                    self.advance()
                    continue
                break
        self.close_paren(open_tok, fname)
        n = len(args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            raise self.error(
                f"{fname}() takes {spec.arity_text()} ({n} given)",
                name_tok.pos,
                f"usage: {spec.signature}",
            )
        if fname == "round" and n == 2 and _constant_int(args[1]) is None:
            raise self.error(
                "the number of digits in round() must be a whole-number constant between "
                f"-{_ROUND_DIGITS_LIMIT} and {_ROUND_DIGITS_LIMIT}",
                args[1].pos,
                "e.g. round(x, 2)",
            )
        return Call(fname, tuple(args), pos=name_tok.pos)


def _constant_int(node: Node) -> int | None:
    sign = 1.0
    if isinstance(node, Unary):
        sign = -1.0 if node.op == "-" else 1.0
        node = node.operand
    if not isinstance(node, Number) or node.boolean:
        return None
    value = sign * node.value
    if value != int(value) or abs(value) > _ROUND_DIGITS_LIMIT:
        return None
    return int(value)


# ------------------------------------------------------------------------------ evaluation


class _Run:
    """State of one evaluation: which arrays are our own temporaries (full-shape float64 arrays
    created during this run, never the caller's inputs), so operations may overwrite them
    instead of allocating; this keeps memory traffic close to hand-written numpy."""

    def __init__(self, inputs: Mapping[str, np.ndarray], shape: tuple[int, ...]):
        self.input_ids = {id(v) for v in inputs.values()}
        self.shape = shape

    def owned(self, x: Any) -> bool:
        return type(x) is np.ndarray and x.shape == self.shape and id(x) not in self.input_ids

    def scratch(self, *xs: Any) -> np.ndarray | None:
        """An operand that may be overwritten with the result, or None."""
        for x in xs:
            if self.owned(x):
                return x
        return None

    def set_nan(self, result: Any, where: Any) -> Any:
        """``result`` with NaN where ``where`` is true (in place when ``result`` is ours)."""
        if not where.any():
            return result
        if self.owned(result):
            np.copyto(result, np.nan, where=where)
            return result
        return np.where(where, np.nan, result)

    def no_inf(self, x: Any) -> Any:
        """Map +-inf to NaN (the language has no infinities)."""
        return self.set_nan(x, np.isinf(x))

    # operators -------------------------------------------------------------------------
    def arithmetic(self, op: str, a: Any, b: Any) -> Any:
        # IEEE pow gives NaN^0 == 1 and 1^NaN == 1; a missing operand must stay missing
        missing = (np.isnan(a) | np.isnan(b)) if op == "^" else None
        out = self.scratch(a, b)
        result = _ARITHMETIC[op](a, b) if out is None else _ARITHMETIC[op](a, b, out=out)
        if missing is not None:
            result = self.set_nan(result, missing)
        return self.no_inf(result)

    def negative(self, a: Any) -> Any:
        out = self.scratch(a)
        return np.negative(a) if out is None else np.negative(a, out=out)

    def compare(self, op: str, a: Any, b: Any) -> Any:
        missing = np.isnan(a) | np.isnan(b)  # before an operand is overwritten
        out = self.scratch(a, b)
        ufunc = _COMPARE_UFUNCS[op]
        result = ufunc(a, b).astype(np.float64) if out is None else ufunc(a, b, out=out)
        return self.set_nan(result, missing)

    def kleene_and(self, a: Any, b: Any) -> Any:
        false = (a == 0) | (b == 0)
        missing = (np.isnan(a) | np.isnan(b)) & ~false
        return self.set_nan(np.where(false, 0.0, 1.0), missing)

    def kleene_or(self, a: Any, b: Any) -> Any:
        a_nan, b_nan = np.isnan(a), np.isnan(b)
        true = ((a != 0) & ~a_nan) | ((b != 0) & ~b_nan)
        return self.set_nan(np.where(true, 1.0, 0.0), (a_nan | b_nan) & ~true)

    def kleene_not(self, a: Any) -> Any:
        return self.set_nan((a == 0).astype(np.float64), np.isnan(a))

    def if_then_else(self, c: Any, a: Any, b: Any) -> Any:
        return self.set_nan(np.where(c != 0, a, b), np.isnan(c))

    # functions -------------------------------------------------------------------------
    def call(self, name: str, args: list[Any]) -> Any:
        return getattr(self, "f_" + name)(*args)

    def _unary(self, ufunc: Any, x: Any) -> Any:
        out = self.scratch(x)
        return ufunc(x) if out is None else ufunc(x, out=out)

    def _log(self, ufunc: Any, x: Any) -> Any:
        invalid = x <= 0  # before x is overwritten
        return self.set_nan(self._unary(ufunc, x), invalid)

    def f_ln(self, x: Any) -> Any:
        return self._log(np.log, x)

    def f_log10(self, x: Any) -> Any:
        return self._log(np.log10, x)

    def f_exp(self, x: Any) -> Any:
        return self.no_inf(self._unary(np.exp, x))

    def f_sqrt(self, x: Any) -> Any:
        return self._unary(np.sqrt, x)

    def f_abs(self, x: Any) -> Any:
        return self._unary(np.abs, x)

    def f_floor(self, x: Any) -> Any:
        return self._unary(np.floor, x)

    def f_ceil(self, x: Any) -> Any:
        return self._unary(np.ceil, x)

    def _reduce(self, ufunc: Any, xs: tuple[Any, ...]) -> Any:
        result = xs[0]
        for x in xs[1:]:
            out = self.scratch(result, x)  # only an operand consumed by this step
            result = ufunc(result, x) if out is None else ufunc(result, x, out=out)
        return result

    def f_min(self, *xs: Any) -> Any:
        return self._reduce(np.minimum, xs)

    def f_max(self, *xs: Any) -> Any:
        return self._reduce(np.maximum, xs)

    def f_clamp(self, x: Any, lo: Any, hi: Any) -> Any:
        invalid = lo > hi
        return self.set_nan(
            self._reduce(np.minimum, (self._reduce(np.maximum, (x, lo)), hi)), invalid
        )

    def f_round(self, x: Any, digits: Any = 0.0) -> Any:
        return _round_half_away(x, int(np.asarray(digits)))

    def f_is_missing(self, x: Any) -> Any:
        return np.isnan(x).astype(np.float64)

    def f_coalesce(self, *xs: Any) -> Any:
        result = xs[0]
        for x in xs[1:]:
            result = np.where(np.isnan(result), x, result)
        return result


def _round_half_away(x: Any, digits: int) -> Any:
    """Round half away from zero to ``digits`` decimals, treating values within
    ``_TIE_ULPS`` ulps of a half (after scaling) as exact halves."""
    scale = 10.0 ** abs(digits)  # exact for |digits| <= 22
    y = x * scale if digits >= 0 else x / scale
    a = np.abs(y)
    whole = np.floor(a)
    # cap the tolerance so that it stays far below 1/2 when ulps are large (|y| > 2**36)
    up = (a - whole) >= 0.5 - np.minimum(_TIE_ULPS * np.spacing(a), _TIE_CAP)
    r = np.copysign(whole + up, y)
    r = r / scale if digits >= 0 else r * scale
    # at |y| >= 2**52 every float is already whole at this scale (also catches overflow)
    return np.where(a < 2.0**52, r, x)


_COMPARE_UFUNCS = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "^": np.power}


def _as_float_array(name: str, raw: Any, expression: Expression) -> np.ndarray:
    try:
        if hasattr(raw, "to_numpy"):  # pandas Series / Index / extension arrays (pd.NA -> NaN)
            arr = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ExpressionError(
            f"variable '{name}' is not numeric ({exc})",
            expression.text,
            expression._first_position(name),
            "expressions work on numbers only; recode categories to numbers first",
        ) from None
    bad = np.isinf(arr)
    return np.where(bad, np.nan, arr) if bad.any() else arr


# ------------------------------------------------------------------------------ expression


@dataclass(frozen=True, repr=False, eq=False)
class Expression:
    """A parsed expression: the source ``text``, its syntax ``tree``, the variable ``names`` and
    ``functions`` it uses. Build one with :func:`parse_expression`; ``str()`` gives canonical
    text that parses back to the same tree."""

    text: str
    tree: Node
    names: frozenset[str]
    functions: frozenset[str]

    def __repr__(self) -> str:
        return f"Expression({str(self)!r})"

    # Equality and hashing use the text and the canonical form (which determines the tree
    # exactly) rather than the recursive dataclass comparison of nodes, so that expressions
    # with long operator chains (trees ~1000 deep) can be compared and hashed.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return (self.text, str(self)) == (other.text, str(other))

    def __hash__(self) -> int:
        return hash((self.text, str(self)))

    def __str__(self) -> str:
        return self._canonical

    @cached_property
    def _program(self) -> tuple[Node, ...]:
        return tuple(_postorder(self.tree))

    @cached_property
    def _canonical(self) -> str:
        return _to_text(self._program)

    @cached_property
    def _name_positions(self) -> dict[str, int]:
        first: dict[str, int] = {}
        for node in self._program:
            if isinstance(node, Name) and (node.name not in first or node.pos < first[node.name]):
                first[node.name] = node.pos
        return dict(sorted(first.items(), key=lambda kv: kv[1]))

    def _first_position(self, name: str) -> int | None:
        pos = self._name_positions.get(name)
        return None if pos is None or pos < 0 else pos

    def check_names(self, known: Iterable[str]) -> None:
        """Raise :class:`ExpressionError` for the first (leftmost) variable not in ``known``,
        with its position and a close-match suggestion."""
        known = list(known)
        known_set = set(known)
        for name in self._name_positions:
            if name not in known_set:
                raise ExpressionError(
                    f"unknown name '{name}'",
                    self.text,
                    self._first_position(name),
                    _did_you_mean(name, known),
                )

    def evaluate(self, env: Mapping[str, Any]) -> np.ndarray:
        """Evaluate over whole arrays (vectorised, scalars broadcast) and return float64.

        ``env`` maps each referenced name to an array-like or a number (a dict of numpy arrays,
        a pandas DataFrame, ...). Booleans and integers are converted to float64; pandas
        ``NA``/``None`` become NaN. The result is a new array with the broadcast shape of the
        inputs (0-d if the expression references no variable). Missing values, Kleene logic and
        domain errors follow the rules in the module docstring. Raises
        :class:`ExpressionError` if a variable is missing from ``env``, is not numeric, or the
        variables' shapes do not broadcast.
        """
        inputs: dict[str, np.ndarray] = {}
        for name in self._name_positions:
            try:
                raw = env[name]
            except KeyError:
                keys = list(env.keys()) if hasattr(env, "keys") else []
                raise ExpressionError(
                    f"no value supplied for variable '{name}'",
                    self.text,
                    self._first_position(name),
                    _did_you_mean(name, keys),
                ) from None
            inputs[name] = _as_float_array(name, raw, self)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in inputs.values()))
        except ValueError:
            shapes = ", ".join(f"'{k}' {v.shape}" for k, v in inputs.items())
            raise ExpressionError(
                f"variables have incompatible shapes: {shapes}", self.text, None
            ) from None
        run = _Run(inputs, shape)
        stack: list[Any] = []
        push, pop = stack.append, stack.pop
        with np.errstate(all="ignore"):
            for node in self._program:
                kind = type(node)
                if kind is Name:
                    push(inputs[node.name])
                elif kind is Number:
                    push(np.float64(node.value))
                elif kind is Binary:
                    b, a = pop(), pop()
                    push(run.arithmetic(node.op, a, b))
                elif kind is Compare:
                    b, a = pop(), pop()
                    push(run.compare(node.op, a, b))
                elif kind is BoolOp:
                    b, a = pop(), pop()
                    push(run.kleene_and(a, b) if node.op == "and" else run.kleene_or(a, b))
                elif kind is Unary:
                    if node.op == "-":
                        push(run.negative(pop()))
                elif kind is Not:
                    push(run.kleene_not(pop()))
                elif kind is Call:
                    n = len(node.args)
                    args = stack[-n:]
                    del stack[-n:]
                    push(run.call(node.function, args))
                elif kind is IfThenElse:
                    b, a, c = pop(), pop(), pop()
                    push(run.if_then_else(c, a, b))
                else:  # pragma: no cover - trees only contain the node types above
                    raise ExpressionError(f"unsupported node {kind.__name__}", self.text, None)
            (result,) = stack
            # adding 0.0 turns -0.0 into 0.0; the result is never one of the caller's arrays
            if run.owned(result):
                return np.add(result, 0.0, out=result)
            return np.asarray(np.add(result, 0.0), dtype=np.float64)


# ------------------------------------------------------------------------ canonical text


def _format_number(node: Number) -> str:
    if node.boolean and node.value in (0.0, 1.0):
        return "true" if node.value == 1.0 else "false"
    v = float(node.value)
    if v == int(v) and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def _to_text(program: tuple[Node, ...]) -> str:
    """Canonical text from a postorder node list: minimal parentheses, one space around binary
    operators (none around '^'), ``^`` for power."""
    stack: list[tuple[str, int]] = []

    def wrap(item: tuple[str, int], min_prec: int) -> str:
        text, prec = item
        return f"({text})" if prec < min_prec else text

    for node in program:
        if isinstance(node, Number):
            text = _format_number(node)
            stack.append((text, _PREC_UNARY if text.startswith("-") else _PREC_ATOM))
        elif isinstance(node, Name):
            stack.append((node.name, _PREC_ATOM))
        elif isinstance(node, Binary | Compare | BoolOp):
            right, left = stack.pop(), stack.pop()
            prec = _BINARY_PREC[node.op]
            if node.op == "^":
                stack.append((f"{wrap(left, prec + 1)}^{wrap(right, prec)}", prec))
            elif isinstance(node, Compare):
                stack.append((f"{wrap(left, prec + 1)} {node.op} {wrap(right, prec + 1)}", prec))
            else:
                stack.append((f"{wrap(left, prec)} {node.op} {wrap(right, prec + 1)}", prec))
        elif isinstance(node, Unary):
            stack.append((f"{node.op}{wrap(stack.pop(), _PREC_POW)}", _PREC_UNARY))
        elif isinstance(node, Not):
            stack.append((f"not {wrap(stack.pop(), _PREC_NOT)}", _PREC_NOT))
        elif isinstance(node, Call):
            n = len(node.args)
            args = ", ".join(text for text, _ in stack[len(stack) - n :])
            del stack[len(stack) - n :]
            stack.append((f"{node.function}({args})", _PREC_ATOM))
        elif isinstance(node, IfThenElse):
            f, t, c = stack.pop(), stack.pop(), stack.pop()
            text = f"if {wrap(c, _PREC_OR)} then {wrap(t, _PREC_OR)} else {f[0]}"
            stack.append((text, _PREC_IF))
    return stack[0][0]


# ------------------------------------------------------------------------------------ API


def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression` (see the module docstring for the grammar).

    Raises :class:`ExpressionError` (a ``ValueError``) with the character position of the first
    problem: illegal characters, unknown functions (with a suggestion), wrong arity, unbalanced
    parentheses, chained comparisons, text longer than :data:`MAX_LENGTH` or nesting deeper than
    :data:`MAX_DEPTH`. Variable names are not checked here; use
    :meth:`Expression.check_names`.

    >>> str(parse_expression("ln( 1+sanctions )*2 ** 2"))
    'ln(1 + sanctions) * 2^2'
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__} {text!r}")
    return _parse_cached(text)


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})",
            text,
            MAX_LENGTH,
            "split it into several derived variables",
        )
    tree = _Parser(text).parse()
    nodes = list(_postorder(tree))
    names = frozenset(n.name for n in nodes if isinstance(n, Name))
    functions = frozenset(n.function for n in nodes if isinstance(n, Call))
    return Expression(text, tree, names, functions)
