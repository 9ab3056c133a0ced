"""Random ops with TF's global/op-level seed semantics."""
__all__ = []
