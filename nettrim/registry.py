"""One registry pattern for everything looked up by name (solvers, samplers, schemes,
baselines).

A :class:`Registry` maps names to entries, each an object with the registered thing and what
it declares about itself; the same rules hold for every kind: a name is registered once, an
unknown name is a ValueError listing the available ones, and the lookup is by ``str`` only.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Entry:
    """A registered object and its declarations.

    Attributes
    ----------
    name : str
    obj : callable
        The solver or sampler function.
    requires : tuple of str
        Modules it imports when used (e.g. ``("cvxpy",)``); see :meth:`is_installed`.
    meta : dict
        Kind-specific declarations (a solver's capabilities, its option check ...).
    """

    name: str
    obj: Callable
    requires: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def is_installed(self) -> bool:
        """Whether every module in ``requires`` can be imported here (without importing it).

        Returns
        -------
        bool
        """
        return all(importlib.util.find_spec(m) is not None for m in self.requires)


class Registry:
    """Named entries of one kind (``"solver"``, ``"sampler"``, ``"scheme"``, ``"baseline"``);
    read like a mapping (``REG[name]``, ``name in REG``, iteration over the sorted names).

    Parameters
    ----------
    kind : str
        Used in error messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, *, requires=(), **meta) -> Callable:
        """Decorator adding a function under ``name`` with its declarations.

        Parameters
        ----------
        name : str
        requires : sequence of str
            Modules the function imports when used.
        **meta
            Kind-specific declarations.

        Returns
        -------
        callable
            The decorator (it returns the function unchanged).
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"a {self.kind} name must be a non-empty str; got {name!r}")

        def deco(fn):
            if name in self._entries:
                raise ValueError(f"a {self.kind} named {name!r} is already registered")
            self._entries[name] = Entry(name, fn, tuple(requires), dict(meta))
            return fn

        return deco

    def unregister(self, name: str) -> None:
        """Remove ``name`` (e.g. a solver a test or a plugin registered for a while).

        Parameters
        ----------
        name : str
        """
        self.entry(name)
        del self._entries[name]

    def entry(self, name: str) -> Entry:
        """The entry registered as ``name``.

        Parameters
        ----------
        name : str

        Returns
        -------
        Entry
        """
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} must be a {self.kind} name (str); got "
                            f"{type(name).__name__}")
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; available: "
                             f"{', '.join(self.names())}") from None

    def get(self, name: str) -> Callable:
        """The function registered as ``name``.

        Parameters
        ----------
        name : str

        Returns
        -------
        callable
        """
        return self.entry(name).obj

    def names(self) -> list[str]:
        """Registered names, sorted.

        Returns
        -------
        list of str
        """
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        """Every entry, sorted by name.

        Returns
        -------
        list of Entry
        """
        return [self._entries[n] for n in self.names()]

    def items(self) -> list[tuple[str, Callable]]:
        """(name, registered object) pairs, sorted by name.

        Returns
        -------
        list of tuple
        """
        return [(e.name, e.obj) for e in self.entries()]

    def __getitem__(self, name: str) -> Callable:
        return self.get(name)

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name) -> bool:
        return name in self._entries


__all__ = ["Entry", "Registry"]
