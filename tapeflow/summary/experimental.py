"""``tf.summary.experimental``: the default step, summary scopes and raw summary protos."""
from ._summary import get_step, set_step, summary_scope, write_raw_pb  # noqa: F401
