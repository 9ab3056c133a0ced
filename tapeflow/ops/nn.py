"""Neural-network ops (activations, softmax, losses on logits, dropout, moments)."""
__all__ = []
