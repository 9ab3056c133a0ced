"""Gathering, scattering and rearranging: gather, gather_nd, boolean_mask, pad, reverse,
tile, split, unstack and friends."""
__all__ = []
