"""Pure clinical computations. Nothing in here imports the rest of Respira or reads a
database; every function takes plain values or NumPy arrays. The one file it writes is
the mechanistic model's compiled Numba kernel cache (``science/model/engine_numba.py``:
``$RESPIRA_MODEL_CACHE``, else ``~/.cache/respira/model``)."""
