"""Argument types shared by the command-line modules: each parses one value or raises
:class:`argparse.ArgumentTypeError` with a message naming what it got (exit status 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from hflopt.errors import InstanceError

__all__ = ["nonneg_float", "positive_float", "size", "whole"]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def positive_float(text: str) -> float:
    """A finite number > 0 (time limits)."""
    value = _number(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def nonneg_float(text: str) -> float:
    """A finite number >= 0 (grace periods)."""
    value = _number(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def whole(low: int) -> Callable[[str], int]:
    """A parser of whole numbers >= ``low`` (seeds, jobs, repeats)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}")
        return value

    return parse


def size(text: str) -> int:
    """A size in bytes: ``500M``, ``2G``, ``1048576`` (input and memory caps)."""
    from hflopt.limits import parse_size

    try:
        return parse_size(text)
    except InstanceError as exc:
        raise argparse.ArgumentTypeError(f"{exc.message}, got {text!r}") from None
