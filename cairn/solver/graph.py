"""Walking links between items (requirements, dependencies) without recursion."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def back_edges(links: Mapping[K, Iterable[K]]) -> Iterator[tuple[K, K]]:
    """Each link (node, child) that closes a circle, found by one depth-first walk that
    follows every link once; a child missing from ``links`` has no links of its own."""
    state: dict[K, int] = {}  # 1 on the current path, 2 done
    for start in links:
        if start in state:
            continue
        state[start], stack = 1, [(start, iter(links[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                yield node, child
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(links.get(child, ()))))
