"""Make the n-th call of a real function fail: a disk error mid-write, a failed download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def fail_on_call(n: int, real: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    """Wrap `real` so that its n-th call raises `error`."""
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == n:
            raise error
        return real(*args, **kwargs)

    return wrapper
