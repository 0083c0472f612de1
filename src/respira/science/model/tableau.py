"""Butcher tableau of the Dormand–Prince 5(4) pair (Dormand & Prince 1980; Hairer,
Nørsett & Wanner, Solving ODEs I, Table 5.2) and the step-size controller every
adaptive engine uses."""

from __future__ import annotations

C2, C3, C4, C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9
A21 = 1 / 5
A31, A32 = 3 / 40, 9 / 40
A41, A42, A43 = 44 / 45, -56 / 15, 32 / 9
A51, A52, A53, A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
A61, A62, A63, A64, A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
# The 5th-order weights (also row 7 of A: first same as last).
B1, B3, B4, B5, B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
# Error weights: 5th-order minus 4th-order weights.
E1 = 35 / 384 - 5179 / 57600
E3 = 500 / 1113 - 7571 / 16695
E4 = 125 / 192 - 393 / 640
E5 = -2187 / 6784 - (-92097 / 339200)
E6 = 11 / 84 - 187 / 2100
E7 = -1 / 40

SAFETY = 0.9
FAC_MIN = 0.2
FAC_MAX = 5.0
FIRST_STEP = 1e-3  # days
EXPONENT = 0.2  # 1 / (order of the lower method + 1)
