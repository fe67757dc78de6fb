"""The one cache type of the app: bounded and with a time to live, for gunicorn's
threads. Used by the resident hot path (app/survey/hot_path.py) and the dashboard."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """At most ``max_entries`` values, each for ``ttl`` seconds (None: until pushed
    out). The oldest entry goes first when full. Reads take no lock (a dict lookup is
    atomic in CPython); writes do, so gunicorn threads never see a half-made change."""

    def __init__(self, max_entries: int, ttl: float | None = None) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return default
        if self.ttl is not None and entry[0] <= time.monotonic():
            with self._lock:
                if self._entries.get(key) is entry:
                    del self._entries[key]
            return default
        return entry[1]

    def put(self, key: K, value: V) -> None:
        expires = time.monotonic() + self.ttl if self.ttl is not None else 0.0
        with self._lock:
            self._entries.pop(key, None)  # a renewed entry counts as the newest
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (expires, value)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        value = self.get(key)
        if value is None:
            value = make()
            self.put(key, value)
        return value

    def pop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
