"""The registry of solver methods, and how a call's keywords become options and parameters.

A method is a plain function ``run(instance, options, params) -> Result``
registered by name with the class of its tuning parameters and the
:class:`~hflopt.solvers.params.SolveOptions` it honours. :func:`resolve`
splits the keywords of a call into those two, so that
``hflopt.solve(inst, "exact", time_limit=5, core_search=False)`` works and a
misspelt or inapplicable keyword is an error that lists what the method
takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from hflopt.errors import SolverError
from hflopt.solvers.params import NoParams, SolveOptions, params_from_mapping

__all__ = ["METHODS", "Method", "method_names", "register", "resolve"]

#: the options every method honours
ALWAYS = frozenset({"time_limit"})
OPTION_NAMES = tuple(f.name for f in fields(SolveOptions))


@dataclass(frozen=True)
class Method:
    """A registered solver method."""

    name: str
    run: Callable[..., Any]  #: ``run(instance, options, params) -> Result``
    description: str
    params: type = NoParams  #: its tuning parameters (a frozen dataclass)
    options: frozenset[str] = ALWAYS  #: the SolveOptions it honours

    def takes(self) -> list[str]:
        """The keywords this method accepts: its options, then its parameters."""
        return [o for o in OPTION_NAMES if o in self.options] + [f.name for f in fields(self.params)]


METHODS: dict[str, Method] = {}


def register(name: str, run: Callable[..., Any], description: str, *, params: type = NoParams,
             options: frozenset[str] | set[str] = ALWAYS) -> Method:
    """Register ``run`` as method ``name``; adding a method is one module and this call."""
    unknown = set(options) - set(OPTION_NAMES)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)} for method {name!r}")
    method = Method(name, run, description, params, frozenset(options) | ALWAYS)
    METHODS[name] = method
    return method


def method_names() -> dict[str, str]:
    """Registered methods with a one-line description each."""
    return {name: m.description for name, m in METHODS.items()}


def get(name: str) -> Method:
    if name not in METHODS:
        raise SolverError(f"unknown method {name!r}; choose one of {', '.join(sorted(METHODS))}")
    return METHODS[name]


def resolve(name: str, kwargs: Mapping[str, Any], params: Any = None) -> tuple[Method, SolveOptions, Any]:
    """The method, its options and its parameters for a call with ``kwargs``.

    Keywords that are :class:`SolveOptions` fields become options (an option
    the method does not honour may only have its default value); keywords
    that are fields of the method's parameter class override ``params``
    (default: the class's defaults); anything else is an error.
    """
    method = get(name)
    if params is None:
        params = method.params()
    elif not isinstance(params, method.params):
        raise SolverError(f"method {name!r} takes {method.params.__name__} parameters, "
                          f"got {type(params).__name__}")
    defaults = SolveOptions()
    opts: dict[str, Any] = {}
    tuning: dict[str, Any] = {}
    param_names = {f.name for f in fields(method.params)}
    for key, value in kwargs.items():
        if key in param_names:
            tuning[key] = value
        elif key in OPTION_NAMES:
            if key not in method.options and not _is_default(value, getattr(defaults, key)):
                raise SolverError(f"option {key!r} does not apply to method {name!r} "
                                  f"(it takes: {', '.join(method.takes())})")
            opts[key] = value
        else:
            raise SolverError(f"method {name!r} does not take option(s) {key} "
                              f"(it takes: {', '.join(method.takes())})")
    return method, dataclasses.replace(defaults, **opts), _with(method, params, tuning)


def _is_default(value: Any, default: Any) -> bool:
    if value is default:
        return True
    return isinstance(value, (bool, int, float, str)) and value == default


def _with(method: Method, params: Any, tuning: dict[str, Any]) -> Any:
    if not tuning:
        return params
    plain = {k: v for k, v in tuning.items() if not dataclasses.is_dataclass(v)}
    typed = params_from_mapping(method.params, plain, method.name, base=params)
    nested = {k: v for k, v in tuning.items() if dataclasses.is_dataclass(v)}
    return dataclasses.replace(typed, **nested) if nested else typed
