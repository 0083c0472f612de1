"""Type stub of the C extension built from ``_lms.c``."""

from typing import Any

def kernel(
    k: Any,
    w: Any,
    lnh: Any,
    lnage: Any,
    f_lnh: Any | None,
    f_lnage: Any | None,
    x: Any | None,
    m_val: Any,
    m_del: Any,
    s_val: Any,
    s_del: Any,
    l_val: Any,
    l_del: Any,
    a1m: float,
    a1d: float,
    a2m: float,
    a2d: float,
    p1m: float,
    p1d: float,
    q1m: float,
    q1d: float,
    pred: Any,
    lln: Any,
    uln: Any,
    z: Any,
    pct: Any,
    /,
) -> None: ...
