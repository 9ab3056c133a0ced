"""Checkpoints of variables on a GPU (the NumPy-backed stand-in device): values go to the host
to be written and come back to the variable's own device when restored."""
import os
import sys

import numpy as np

import tapeflow as tf
from tapeflow import backend

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from fakegpu import gpus_fixture, skip_if_real_gpu

skip_if_real_gpu("the CPU checkpoint tests and tests/gpu")
gpus = gpus_fixture()


def test_gpu_variables_and_optimizer_slots_round_trip(gpus, tmp_path):
    with tf.device("/GPU:1"):
        model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
        opt = tf.keras.optimizers.Adam(0.01)
        x = tf.ones((4, 3))
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                model.trainable_variables))
    path = tf.train.Checkpoint(model=model, optimizer=opt).save(str(tmp_path / "g"))
    with tf.device("/GPU:1"):
        fresh = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
        fresh_opt = tf.keras.optimizers.Adam(0.01)
    tf.train.Checkpoint(model=fresh, optimizer=fresh_opt).restore(path).assert_consumed()
    for a, b in zip(model.weights, fresh.weights):
        assert backend.xp_of(b._v) is gpus.xp
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for (_, a), (_, b) in zip(opt._state.values(), fresh_opt._state.values()):
        assert all(backend.xp_of(s) is gpus.xp for s in b)
        np.testing.assert_array_equal(backend.to_host(a[0]), backend.to_host(b[0]))
