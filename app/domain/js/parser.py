"""Parse JavaScript with tree-sitter and talk about its nodes in the script's own terms: text,
1-based lines and columns in characters (tree-sitter counts UTF-8 bytes), syntax errors.

tree-sitter keeps going after an error, so positions of everything around a typo stay right; the
grammar is modern JavaScript (ES2023: async/await, optional chaining, classes, template literals).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_LOCAL = threading.local()  # a tree-sitter parser must not be shared between threads (the IDE lints on a pool)
_LANGUAGE = None


def _parser():
    """This thread's parser, built on first use (loading the grammar costs a few ms, once)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        global _LANGUAGE
        import tree_sitter_javascript
        from tree_sitter import Language, Parser

        if _LANGUAGE is None:
            _LANGUAGE = Language(tree_sitter_javascript.language())
        parser = _LOCAL.parser = Parser(_LANGUAGE)
    return parser


@dataclass
class Source:
    """A parsed script: its text, its UTF-8 bytes and the tree (positions refer to the bytes)."""

    text: str
    data: bytes
    tree: Tree

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def node_text(self, node: Node) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def line(self, node: Node) -> int:
        """1-based line of the node's start."""
        return node.start_point[0] + 1

    def column(self, node: Node) -> int:
        """1-based column of the node's start, in characters."""
        row, col = node.start_point
        start = node.start_byte - col
        return len(self.data[start:node.start_byte].decode("utf-8", errors="replace")) + 1

    def offset(self, byte: int) -> int:
        """The str offset in `text` of a byte offset in `data`."""
        return len(self.data[:byte].decode("utf-8", errors="replace"))


def parse(text: str) -> Source:
    data = text.encode("utf-8", errors="surrogatepass")
    return Source(text, data, _parser().parse(data))


def walk(node: Node) -> Iterator[Node]:
    """Every named node under `node` (itself included), parents before children, in source order;
    iterative, so absurdly deep nesting cannot exhaust Python's stack."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.named_children))


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    column: int
    message: str


def syntax_errors(src: Source, limit: int = 1) -> list[SyntaxProblem]:
    """The first `limit` syntax errors in source order: what is missing, or what is unexpected."""
    if not src.root.has_error:
        return []
    found: list[SyntaxProblem] = []
    stack = [src.root]
    while stack and len(found) < limit:
        n = stack.pop()
        if n.is_missing:
            found.append(SyntaxProblem(src.line(n), src.column(n), f"missing {n.type!r}"))
            continue
        if n.is_error:
            snippet = " ".join(src.node_text(n).split())
            snippet = snippet if len(snippet) <= 30 else snippet[:27] + "..."
            inner = next((c for c in walk(n) if c.is_missing), None)
            message = f"missing {inner.type!r}" if inner is not None else (
                f"unexpected {snippet!r}" if snippet else "unexpected end of the script")
            found.append(SyntaxProblem(src.line(n), src.column(n), message))
            continue
        if n.has_error:
            stack.extend(reversed(n.children))
    return found


def string_value(src: Source, node: Node) -> str | None:
    """The value of a string literal ('…' or "…"), escapes left as written; None for other nodes."""
    if node.type != "string":
        return None
    return "".join(src.node_text(c) for c in node.named_children)


def template_parts(src: Source, node: Node) -> tuple[str, int]:
    """(the literal text of a template literal, how many ${…} substitutions it has)."""
    text, subs = [], 0
    for c in node.named_children:
        if c.type == "template_substitution":
            subs += 1
            text.append(" ? ")
        else:
            text.append(src.node_text(c))
    return "".join(text), subs
