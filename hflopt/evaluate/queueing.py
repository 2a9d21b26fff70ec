"""Closed forms of the single-server queues: M/M/1 and M/D/1 sojourn times.

Times are in seconds, rates in requests/s. For arrival rate ``lam`` and
service rate ``mu`` with ``rho = lam / mu < 1``:

- M/M/1: the sojourn time is exponential with rate ``mu - lam``: mean
  ``1 / (mu - lam)``, quantile ``-ln(1 - q) / (mu - lam)``.
- M/D/1 (service time ``D = 1 / mu``): mean sojourn
  ``D + rho D / (2 (1 - rho))`` (Pollaczek-Khinchine); the waiting time has
  Erlang's distribution ``P(W <= t) = (1 - rho) sum_{k=0}^{floor(t/D)}
  (lam (k D - t))^k / k! e^{-lam (k D - t)}``. Its terms alternate and grow
  like ``e^{lam t}``, so it is summed in decimal arithmetic with enough
  digits, once per ``rho`` on a grid of ``t / D`` up to 24 service times
  (cached) and interpolated; beyond, the exact exponential tail
  ``P(W > t) ~ C e^{-theta t}`` with ``lam (e^{theta D} - 1) = theta``
  takes over, matched to Erlang's value at the switch.

With ``rho >= 1`` the queue is unstable: the mean and every quantile are
infinite (callers report the node as overloaded with its factor ``rho``).
"""

from __future__ import annotations

import decimal
import math
from functools import lru_cache
from typing import Literal

import numpy as np

__all__ = ["QueueModel", "md1_wait_cdf", "sojourn_cdf", "sojourn_mean"]

QueueModel = Literal["mm1", "md1"]

_GRID_POINTS = 241
_SWITCH = 24.0


def sojourn_mean(model: QueueModel, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Mean sojourn time (s) of each queue; inf when ``lam >= mu``."""
    lam = np.asarray(lam, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = lam / mu
        out = 1.0 / (mu - lam) if model == "mm1" else 1.0 / mu + rho / (2.0 * mu * (1.0 - rho))
    out = np.where(rho >= 1, np.inf, out)
    return np.where(np.isinf(mu) & (rho < 1), 0.0, out)


def _erlang_cdf(rho: float, x: float) -> float:
    """``P(W <= x D)`` of M/D/1 by Erlang's formula in decimal arithmetic."""
    kmax = math.floor(x)
    digits = int(rho * x * 0.87 + 0.5 * kmax) + 30
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        r = decimal.Decimal(repr(float(rho)))
        xd = decimal.Decimal(repr(float(x)))
        total = decimal.Decimal(0)
        fact = decimal.Decimal(1)
        for k in range(kmax + 1):
            if k:
                fact *= k
            a = r * (k - xd)  # lam (k D - t), <= 0
            total += (a**k if k else 1) / fact * (-a).exp()
        value = (1 - r) * total
    return min(1.0, max(0.0, float(value)))


def _tail_rate(rho: float) -> float:
    """``s > 0`` with ``rho (e^s - 1) = s``: ``P(W > x D) ~ C e^{-s x}`` (Cramer-Lundberg)."""
    from scipy.optimize import brentq

    def f(s: float) -> float:
        return rho * math.expm1(s) - s

    hi = 1.0
    while f(hi) <= 0:
        hi *= 2.0
    lo = min(1e-12, hi / 2)
    while f(lo) >= 0 and lo > 1e-300:
        lo /= 2.0
    return float(brentq(f, lo, hi, xtol=1e-14, rtol=1e-12))


@lru_cache(maxsize=256)
def _md1_table(rho_key: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Grid of ``x = t / D``, ``P(W <= x D)`` on it, and the tail rate ``s`` for beyond it."""
    rho = rho_key
    x = np.linspace(0.0, _SWITCH, _GRID_POINTS)
    x = np.union1d(x, np.arange(0.0, _SWITCH + 1))  # Erlang's sum changes slope at whole multiples of D
    cdf = np.maximum.accumulate(np.array([_erlang_cdf(rho, float(v)) for v in x]))
    return x, cdf, _tail_rate(rho)


def md1_wait_cdf(rho: float, x: np.ndarray) -> np.ndarray:
    """``P(W <= x D)`` of the M/D/1 waiting time at utilisation ``rho < 1`` (``x`` in service times).

    Erlang's formula up to ``x = 24``; beyond, its exponential tail
    ``1 - P(W > 24 D) e^{-s (x - 24)}`` (relative error well below 1e-6 there).
    """
    x = np.asarray(x, dtype=np.float64)
    if rho <= 0:
        return np.where(x >= 0, 1.0, 0.0)
    grid, cdf, s = _md1_table(round(float(rho), 9))
    inside = np.interp(x, grid, cdf)
    tail = 1.0 - (1.0 - cdf[-1]) * np.exp(-s * np.maximum(x - grid[-1], 0.0))
    return np.where(x < 0, 0.0, np.where(x <= grid[-1], inside, tail))


def sojourn_cdf(model: QueueModel, lam: float, mu: float, t: np.ndarray) -> np.ndarray:
    """``P(sojourn <= t)`` (t in s) of one queue; 0 everywhere when it is overloaded."""
    t = np.asarray(t, dtype=np.float64)
    if math.isinf(mu):  # a node without queueing: the request is served at once
        return np.where(t >= 0, 1.0, 0.0)
    if lam >= mu:
        return np.zeros_like(t)
    if model == "md1" and lam <= 0:
        return np.where(t >= 1.0 / mu, 1.0, 0.0)
    if model == "mm1":
        return np.where(t >= 0, -np.expm1(-(mu - lam) * np.maximum(t, 0.0)), 0.0)
    return md1_wait_cdf(lam / mu, (t - 1.0 / mu) * mu)
