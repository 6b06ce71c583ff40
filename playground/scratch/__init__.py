"""The from-scratch NumPy MLP, written to be read as a lesson (`mlp.py`), and what binds it into
the training loop (`adapter.py`)."""
