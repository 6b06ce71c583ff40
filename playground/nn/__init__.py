"""The torch maths: the model and its parameters, activations, losses, optimizers, and the
hand-written forward and backward passes."""
