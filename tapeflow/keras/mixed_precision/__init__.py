"""``keras.mixed_precision``: dtype policies and loss scaling.

A layer under ``'mixed_float16'`` or ``'mixed_bfloat16'`` keeps float32 variables and computes
in the low precision: ``Layer.__call__`` casts its floating inputs and, for the duration of
``call``, its trainable float variables to the compute dtype (recorded casts, so gradients
reach the float32 variables in float32). Normalization layers compute in float32 and cast
their outputs, and compiled losses are computed in float32, as Keras 3 does.
``Model.compile`` wraps the optimizer in ``LossScaleOptimizer`` under ``'mixed_float16'``.
"""
from .loss_scale_optimizer import LossScaleOptimizer
from .policy import (
    DTypePolicy,
    Policy,
    dtype_policy,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)

__all__ = ["DTypePolicy", "Policy", "LossScaleOptimizer", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
