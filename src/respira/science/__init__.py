"""Pure clinical computations. Nothing in here imports the rest of Respira, reads a
database or writes a file; every function takes plain values or NumPy arrays."""
