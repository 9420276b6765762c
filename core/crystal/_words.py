"""Symbolic expansion of the magnetic-field Green's function into trace "words" (import-time).

The Peierls tight-binding Hamiltonian in a uniform field B z is the Weyl quantisation of H(pi)
with [pi_x, pi_y] = i theta, theta = q B / hbar. Its resolvent G solves (z - H) * G = 1 with the
Moyal product  f * g = f g + (i theta/2){f, g} - (theta^2/8) P2(f, g) + O(theta^3),
{f, g} = f_x g_y - f_y g_x, P2(f, g) = f_xx g_yy - 2 f_xy g_xy + f_yy g_xx (matrix order kept).
With G0 = (z - H)^-1, h_a = dH/dk_a, h_ab = d2H/dk_a dk_b and dG0/dk_a = G0 h_a G0:

    G1 = (i/2) G0 (h_x G0 h_y - h_y G0 h_x) G0
    G2 = (i/2) G0 (h_x d_y G1 - h_y d_x G1)
         - (1/8) G0 (h_xx d_yy G0 - 2 h_xy d_xy G0 + h_yy d_xx G0)

This module expands tr G1 and tr G2 into cyclic words tr(O_1 G0^m1 O_2 G0^m2 ... O_s G0^ms),
O in {x, y, xx, xy, yy}, collected with their coefficients. Derivation: this project
(docs/crystal.md); the Moyal/Wigner route is the one behind the Gomez-Santos-Stauber and
Raoux-Piechon-Fuchs-Montambaux tight-binding formulas (PRL 106, 045504 (2011),
doi:10.1103/PhysRevLett.106.045504; PRB 91, 085120 (2015), doi:10.1103/PhysRevB.91.085120).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Final

Token = str  # "G" or an operator label "x", "y", "xx", "xy", "yy"
Expr = list[tuple[complex, tuple[Token, ...]]]

OPS: Final[tuple[str, ...]] = ("x", "y", "xx", "xy", "yy")


def _d(expr: Expr, a: str) -> Expr:
    out: Expr = []
    for c, w in expr:
        for i, tok in enumerate(w):
            if tok == "G":
                out.append((c, (*w[:i], "G", a, "G", *w[i + 1 :])))
            else:
                out.append((c, (*w[:i], "".join(sorted(tok + a)), *w[i + 1 :])))
    return out


def _mul(*parts: Expr) -> Expr:
    res: Expr = [(1.0 + 0j, ())]
    for p in parts:
        res = [(c1 * c2, w1 + w2) for c1, w1 in res for c2, w2 in p]
    return res


def _sc(s: complex, e: Expr) -> Expr:
    return [(s * c, w) for c, w in e]


def _canon(w: tuple[Token, ...]) -> tuple[tuple[str, int], ...]:
    k = next(i for i, t in enumerate(w) if t != "G")
    w = w[k:] + w[:k]
    ops: list[str] = []
    mult: list[int] = []
    for t in w:
        if t == "G":
            mult[-1] += 1
        else:
            ops.append(t)
            mult.append(0)
    seq = list(zip(ops, mult, strict=True))
    return min(tuple(seq[i:] + seq[:i]) for i in range(len(seq)))


def _collect(expr: Expr) -> dict[tuple[tuple[str, int], ...], complex]:
    acc: dict[tuple[tuple[str, int], ...], complex] = defaultdict(complex)
    for c, w in expr:
        acc[_canon(w)] += c
    return {k: v for k, v in acc.items() if abs(v) > 1e-14}


def reverse(w: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    """Canonical form of the reversed word (the trace of the adjoint product)."""
    toks: list[str] = []
    for op, m in w:
        toks.append(op)
        toks += ["G"] * m
    return _canon(tuple(reversed(toks)))


def build() -> tuple[dict, dict]:
    """Words of tr G1 and tr G2: {((op, multiplicity), ...): coefficient}."""
    g: Expr = [(1.0 + 0j, ("G",))]

    def h(i: str) -> Expr:
        return [(1.0 + 0j, (i,))]

    c = _mul(h("x"), g, h("y")) + _sc(-1, _mul(h("y"), g, h("x")))
    g1 = _sc(0.5j, _mul(g, c, g))
    g2 = _sc(0.5j, _mul(g, h("x"), _d(g1, "y"))) + _sc(-0.5j, _mul(g, h("y"), _d(g1, "x")))
    g2 += _sc(-1 / 8, _mul(g, h("xx"), _d(_d(g, "y"), "y")))
    g2 += _sc(2 / 8, _mul(g, h("xy"), _d(_d(g, "x"), "y")))
    g2 += _sc(-1 / 8, _mul(g, h("yy"), _d(_d(g, "x"), "x")))
    return _collect(g1), _collect(g2)


WORDS_G1, WORDS_G2 = build()
