"""``tf.distribute.experimental.ValueContext``, as TF 2.21 prints and guards it."""
import pytest

import tapeflow as tf


def test_value_context_reads_and_prints_as_tf():
    v = tf.distribute.experimental.ValueContext(2, 4)
    assert (v.replica_id_in_sync_group, v.num_replicas_in_sync) == (2, 4)
    assert str(v) == "tf.distribute.ValueContext(replica id 2,  total replicas in sync: 4)"
    assert str(tf.distribute.experimental.ValueContext()) == (
        "tf.distribute.ValueContext(replica id 0,  total replicas in sync: 1)")


def test_value_context_is_read_only():
    v = tf.distribute.experimental.ValueContext()
    with pytest.raises(AttributeError, match="has no setter"):
        v.num_replicas_in_sync = 3


def test_default_strategy_passes_a_value_context():
    s = tf.distribute.get_strategy()
    got = s.experimental_distribute_values_from_function(
        lambda ctx: (type(ctx).__name__, ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync))
    assert got == ("ValueContext", 0, 1)
