"""Builds the optional C kernel of the spirometry reference equations.

Everything else about the package is in pyproject.toml. The extension is built only on
x86-64 Linux (it uses AVX2/FMA and glibc's vector math library, libmvec); it is
optional, so a machine without a compiler still installs Respira and computes with
NumPy (see respira.science.spirometry.reference.backend()).
"""

import platform
import sys

from setuptools import Extension, setup

ext_modules = []
if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64"):
    ext_modules.append(
        Extension(
            "respira.science.spirometry._lms",
            sources=["src/respira/science/spirometry/_lms.c"],
            extra_compile_args=["-O3", "-mavx2", "-mfma", "-fopenmp-simd", "-fno-math-errno"],
            libraries=["mvec", "m"],
            optional=True,
        )
    )

setup(ext_modules=ext_modules)
