"""Dependency-graph helpers: cycle detection and a dependencies-first order.

Iterative on purpose: a chain of 10,000 monitors each depending on the previous one
must not hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Mapping


def find_cycle(graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Return one cycle as a path (first node repeated at the end), or [] if none.

    ``graph`` maps each node to the nodes it depends on; unknown names are ignored.
    """
    done: set[str] = set()
    for root in graph:
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        todo = [iter(graph.get(root, ()))]
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                todo.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt in done or nxt not in graph:
                continue
            path.append(nxt)
            on_path.add(nxt)
            todo.append(iter(graph.get(nxt, ())))
    return []


def topological_order(graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Return the nodes so that each comes after everything it depends on.

    Ties keep the mapping's order (file order for monitors). Assumes no cycle.
    """
    done: set[str] = set()
    order: list[str] = []
    for root in graph:
        if root in done:
            continue
        done.add(root)
        stack = [(root, iter(graph.get(root, ())))]
        while stack:
            node, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                order.append(node)
            elif dep not in done and dep in graph:
                done.add(dep)
                stack.append((dep, iter(graph.get(dep, ()))))
    return order
