"""The model's equations, written once (spec §3-§6), and the code generated from them.

Every engine runs code generated from the expression lists below and nothing else:
:func:`python_source` turns them into plain-Python functions (``season``, ``allergen``,
``msc_level``, ``rates``, ``observables``) that use only arithmetic and the names
``exp``, ``expm1``, ``sin``, ``pi``, ``where``, ``maximum``, ``minimum``, ``clip`` and
Python's ``abs``. Each engine
compiles that one source text against its own namespace (``math`` for SciPy's scalar
right-hand side and for Numba, NumPy for batched arrays, ``jax.numpy`` for JAX), and
:func:`antimony_expression` writes the same expressions for the SBML export. The helper
``h(x, K) = x / (K + x)`` is expanded in place.

Arrays: ``y`` is indexed by state (``y[0]`` is ``A``) and ``p`` by parameter in
:data:`~respira.science.model.spec.PARAMETERS` order, so a state may be a float (one
patient) or an array over patients (``y`` of shape ``(14, n)``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from respira.science.model.spec import INDEX, OBSERVABLES, STATE_INDEX, STATES

#: ``h(x, K)``: the saturating response used throughout spec §3.
HELPERS: dict[str, tuple[tuple[str, ...], str]] = {"h": (("x", "K"), "x / (K + x)")}

#: spec §3: the seasonal phase and the allergen input u(t) = u0·(1 + u_seas·season).
SEASON = "sin(2 * pi * t / 365)"
ALLERGEN = "u0 * (1 + u_seas * season)"

#: spec §4: one dose ``amount`` (10^6 cells/kg) given at ``day``; ``tau`` = t − day. The
#: factor (exp(−k_M τ) − exp(−k_Q τ)) / (k_Q − k_M) is symmetric in k_M and k_Q and is
#: written as exp(−k_lo τ)·(−expm1(−Δ τ)) / Δ with k_lo the smaller rate and Δ = |k_Q − k_M|:
#: the same quantity without cancellation near k_Q = k_M (whose limit τ·exp(−k_M τ)
#: applies at equality) and without overflow for long runs. ``inhaled`` doses use
#: f_trap = 1.
DOSE_TERMS: tuple[tuple[str, str], ...] = (
    ("tau", "maximum(t - day, 0.0)"),
    ("k_lo", "minimum(k_M, k_Q)"),
    ("dk", "abs(k_Q - k_M)"),
    ("f", "where(inhaled, 1.0, f_trap)"),
    (
        "q",
        "f * amount * k_M * exp(-k_lo * tau)"
        " * where(dk == 0.0, tau, -expm1(-dk * tau) / where(dk == 0.0, 1.0, dk))",
    ),
)

#: spec §3 (u and Q are inputs of ``rates``), with J and lcp of spec §5.
ALGEBRAIC: tuple[tuple[str, str], ...] = (
    ("IL10", "c_R10 * R + c_m10 * m"),
    ("s10", "1 / (1 + r_10 * IL10)"),
    ("IL4", "(a_T4 * T2 + a_I4 * I) * s10"),
    ("IL5", "(b_T5 * T2 + b_I5 * I) * s10"),
    ("h4", "h(IL4, K_4)"),
    ("h5", "h(IL5, K_5)"),
    ("Phi", "h(Q, Q50) * (1 + lic * h4)"),
    ("H", "h_max * F * h(A, K_H) / (1 + th_H * Phi)"),
    ("Al", "W + h(A, K_A)"),
    ("mu", "Ea + H + IL4"),
    ("hmu", "mu * mu / (mu50 * mu50 + mu * mu)"),
    ("hD", "h(D, K_D)"),
    ("J", "k_mig * Eb * (1 + a_13 * h4) / (1 + th_E * Phi)"),
    ("lcp", "l_cp0 + l_cp1 * hmu"),
)

#: spec §5, one right-hand side per state, in state order.
RATES: tuple[tuple[str, str], ...] = (
    ("A", "u - k_A * A"),
    ("D", "k_D * h(A, K_A) * (1 + a_DW * Al) / (1 + th_D * Phi) - d_D * D"),
    ("T2", "(s_T * D * (e_T + h4) + pi_T * hD * T2) / (1 + R / K_R + th_T * Phi) - d_T * T2"),
    ("R", "s_R * (1 + eta_Q * Phi + eta_m * m) + pi_R * hD * R - d_R * R"),
    ("I", "s_I * (1 + a_I * Al) / (1 + th_I * Phi + 0.5 * R) - d_I * I"),
    ("P", "k_P * hD * h(T2, K_T) * h4 / (1 + th_P * Phi) + s_P - d_P * P"),
    ("E", "p_E * P - k_E * E"),
    ("F", "k_on * E * (1 - F) - k_off * F"),
    ("Eb", "s_E * (1 + a_5 * h5) - J - d_Eb * Eb"),
    ("Ea", "J - d_Ea * Ea / (1 + a_s * h5)"),
    ("m", "k_m1 * (b_m + eta_mQ * Phi) * (1 - m) - k_m2 * (1 + a_mW * W) * m"),
    ("W", "k_W * (H + b_EW * Ea + b_AW * h(A, K_A)) - r_W * (1 + rho_WQ * Phi + rho_Wm * m) * W"),
    ("Sp", "l_p1 * hmu * Sp * (1 - (Sp + Sc) / S_max) - l_pc * Sp + lcp * Sc - l_a * Sp"),
    ("Sc", "l_pc * Sp - lcp * Sc - l_a * Sc + l_a"),
)

#: spec §6: ASM mass and the lumen-radius fraction, then the observables.
OBSERVABLE_TERMS: tuple[tuple[str, str], ...] = (
    ("S", "Sp + Sc"),
    ("phi", "clip(1 - 0.08 * h4 - 0.10 * (S - 1), 0.4, 1.0)"),
)
OBSERVABLE_FORMULAS: tuple[tuple[str, str], ...] = (
    ("feno_ppb", "10 + 50 * h4"),
    ("blood_eos_per_ul", "800 * Eb"),
    ("ige_iu_ml", "100 * E"),
    ("sputum_eos_pct", "100 * Ea / (Ea + 15)"),
    ("asm_mass_rel", "S"),
    ("airway_resistance_rel", "1 / phi**4"),
    ("fev1_pct_pred", "100 * phi**2"),
)

#: The functions generated code calls; each engine binds them to its own module.
NAMESPACE_NAMES = ("exp", "expm1", "sin", "pi", "where", "maximum", "minimum", "clip")

#: Name of each state's time derivative in generated code (``d_D`` is a parameter).
RATE_PREFIX = "dot_"


class _ExpandHelpers(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in HELPERS:
            names, body = HELPERS[node.func.id]
            bound = dict(zip(names, node.args, strict=True))
            tree = ast.parse(body, mode="eval").body
            expanded: ast.AST = _Substitute(bound).visit(tree)
            return expanded
        return node


class _Substitute(ast.NodeTransformer):
    def __init__(self, bound: dict[str, ast.expr]) -> None:
        self.bound = bound

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.bound.get(node.id, node)


@functools.cache
def parse(expression: str) -> ast.expr:
    """The expression's syntax tree with ``h(...)`` expanded."""
    tree: ast.expr = _ExpandHelpers().visit(ast.parse(expression, mode="eval").body)
    return ast.fix_missing_locations(tree)


def names_in(expression: str) -> set[str]:
    return {n.id for n in ast.walk(parse(expression)) if isinstance(n, ast.Name)}


def _python(expression: str) -> str:
    return ast.unparse(parse(expression))


def _needed(terms: Iterable[tuple[str, str]], wanted: set[str]) -> list[tuple[str, str]]:
    """The algebraic terms (in order) that ``wanted`` needs, directly or indirectly."""
    terms = list(terms)
    need = set(wanted)
    for name, expression in reversed(terms):
        if name in need:
            need |= names_in(expression)
    return [(name, expression) for name, expression in terms if name in need]


def _unpack(names: set[str], indent: str = "    ") -> list[str]:
    lines = [f"{indent}{s} = y[{STATE_INDEX[s]}]" for s in STATES if s in names]
    lines += [f"{indent}{p} = p[{i}]" for p, i in INDEX.items() if p in names]
    return lines


def _body(terms: list[tuple[str, str]], indent: str = "    ") -> list[str]:
    return [f"{indent}{name} = {_python(expression)}" for name, expression in terms]


def _free_names(terms: Iterable[tuple[str, str]]) -> set[str]:
    used: set[str] = set()
    for _, expression in terms:
        used |= names_in(expression)
    return used


def _rates_source() -> str:
    terms = list(ALGEBRAIC) + [(RATE_PREFIX + s, e) for s, e in RATES]
    lines = ["def rates(y, p, u, Q):", '    """dy/dt (spec §5) given u(t) and Q(t)."""']
    lines += _unpack(_free_names(terms))
    lines += _body(terms)
    lines.append("    return (" + ", ".join(RATE_PREFIX + s for s in STATES) + ",)")
    return "\n".join(lines)


def _observables_source() -> str:
    formulas = list(OBSERVABLE_FORMULAS)
    terms = _needed(list(ALGEBRAIC) + list(OBSERVABLE_TERMS), _free_names(formulas))
    lines = ["def observables(y, p):", '    """The heuristic clinical maps (spec §6)."""']
    lines += _unpack(_free_names(terms + formulas))
    lines += _body(terms + formulas)
    lines.append("    return (" + ", ".join(name for name, _ in formulas) + ",)")
    return "\n".join(lines)


def _forcing_source() -> str:
    dose_names = _free_names(DOSE_TERMS)
    return "\n".join(
        [
            "def season(t):",
            '    """The seasonal phase of the allergen input (spec §3)."""',
            f"    return {_python(SEASON)}",
            "",
            "",
            "def allergen(p, season):",
            '    """u(t), the allergen inhalation rate (spec §3)."""',
            *_unpack(names_in(ALLERGEN)),
            f"    return {_python(ALLERGEN)}",
            "",
            "",
            "def msc_level(t, p, days, amounts, routes):",
            '    """Q(t), the sum over doses of the closed-form MSC kinetics (spec §4);',
            '    routes[k] is 1 for an inhaled dose, 0 for intravenous."""',
            *_unpack(dose_names),
            "    total = 0.0 * t",
            "    for k in range(len(days)):",
            "        day = days[k]",
            "        amount = amounts[k]",
            "        inhaled = routes[k] == 1",
            *_body(list(DOSE_TERMS), indent="        "),
            "        total = total + q",
            "    return total",
        ]
    )


@functools.cache
def python_source() -> str:
    """The generated Python source of every function the engines run."""
    parts = [_forcing_source(), _rates_source(), _observables_source()]
    return "\n\n\n".join(parts) + "\n"


@functools.cache
def fingerprint() -> str:
    """A hash of the generated source (keys on-disk caches of compiled kernels)."""
    return hashlib.sha256(python_source().encode()).hexdigest()[:16]


def compile_functions(namespace: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """Compile :func:`python_source` with ``namespace`` bound to the generated names."""
    missing = set(NAMESPACE_NAMES) - set(namespace)
    if missing:
        raise ValueError(f"namespace lacks {sorted(missing)}")
    scope = dict(namespace)
    code = compile(python_source(), f"<respira.science.model generated {fingerprint()}>", "exec")
    exec(code, scope)  # noqa: S102 - our own generated source, from the constants above
    return {
        name: scope[name] for name in ("season", "allergen", "msc_level", "rates", "observables")
    }


# --- Antimony -----------------------------------------------------------------------

_ANTIMONY_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
_ANTIMONY_CMP = {ast.Eq: "==", ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<="}


def _antimony(node: ast.AST, rename: dict[str, str]) -> str:
    """An expression in Antimony's infix syntax (fully parenthesised)."""
    match node:
        case ast.BinOp(left=left, op=op, right=right):
            a, b = _antimony(left, rename), _antimony(right, rename)
            return f"({a} {_ANTIMONY_OPS[type(op)]} {b})"
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return f"(-{_antimony(operand, rename)})"
        case ast.Compare(left=left, ops=[op], comparators=[right]):
            a, b = _antimony(left, rename), _antimony(right, rename)
            return f"({a} {_ANTIMONY_CMP[type(op)]} {b})"
        case ast.Constant(value=bool() as flag):
            return str(flag).lower()
        case ast.Constant(value=int() | float() as number):
            return repr(float(number))
        case ast.Name(id=name):
            return rename.get(name, name)
        case ast.Call(func=ast.Name(id=fn), args=args):
            xs = [_antimony(a, rename) for a in args]
            if fn == "where":
                return f"piecewise({xs[1]}, {xs[0]}, {xs[2]})"
            if fn == "maximum":
                return f"piecewise({xs[0]}, {xs[0]} > {xs[1]}, {xs[1]})"
            if fn == "minimum":
                return f"piecewise({xs[0]}, {xs[0]} < {xs[1]}, {xs[1]})"
            if fn == "clip":
                x, lo, hi = xs
                return f"piecewise({lo}, {x} < {lo}, {hi}, {x} > {hi}, {x})"
            if fn == "expm1":
                return f"(exp({xs[0]}) - 1)"
            return f"{fn}({', '.join(xs)})"
    raise ValueError(f"cannot write {ast.dump(node)} in Antimony")


def antimony_expression(expression: str, rename: dict[str, str] | None = None) -> str:
    """``expression`` (helpers expanded) in Antimony syntax, names renamed by ``rename``."""
    return _antimony(parse(expression), rename or {})


def observable_names() -> tuple[str, ...]:
    names = tuple(name for name, _ in OBSERVABLE_FORMULAS)
    assert names == tuple(OBSERVABLES), "OBSERVABLES and OBSERVABLE_FORMULAS disagree"
    return names
