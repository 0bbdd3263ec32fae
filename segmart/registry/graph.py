"""Segment references (in_segment) as a graph: build order and cycles.

A segment is built after the segments it uses, so the registry is ordered topologically; a cycle
has no such order and is named in full (a -> b -> a) so it can be broken where it makes sense.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping


def dependency_order(dependencies: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Names with every segment after the ones it depends on; ties in name order, so the order
    is stable. Dependencies outside the mapping are ignored. Raises ValueError on a cycle."""
    waiting = {
        name: {dep for dep in deps if dep in dependencies} for name, deps in dependencies.items()
    }
    users: dict[str, list[str]] = {name: [] for name in dependencies}
    for name, deps in waiting.items():
        for dep in deps:
            users[dep].append(name)
    ready = [name for name, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for user in users[name]:
            waiting[user].discard(name)
            if not waiting[user]:
                heapq.heappush(ready, user)
    if len(order) != len(dependencies):
        raise ValueError("segment references form a cycle")
    return order


def cycle_through(name: str, dependencies: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """The shortest reference cycle from `name` back to itself ([a, b, a]), or None."""
    previous: dict[str, str] = {}
    queue = deque([name])
    while queue:
        current = queue.popleft()
        for dep in dependencies.get(current, ()):
            if dep == name:
                path = [current]
                while path[-1] != name:
                    path.append(previous[path[-1]])
                return [name, *reversed(path[:-1]), name]
            if dep not in previous and dep in dependencies:
                previous[dep] = current
                queue.append(dep)
    return None
