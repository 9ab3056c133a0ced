"""The plan contract of ``tf.function`` (``function.Plan``: steps with kinds, the variables
they touch) and the CUDA-graph replay's decision, which reads only that contract."""
import numpy as np
import pytest

import tapeflow as tf
from tapeflow import _graph_replay
from tapeflow.backend import cuda
from tapeflow.function import (
    ASSIGN,
    CONTROL,
    EFFECT,
    OP,
    RANDOM,
    READ,
    ControlFlow,
    Plan,
    PlanStep,
)
from tapeflow.ops import _core, nn
from tapeflow.ops import random as random_ops


def _plan(fn, *args):
    f = tf.function(fn)
    f(*args)
    concrete = f.get_concrete_function(*args)
    assert concrete.eager_reason is None, concrete.eager_reason
    return concrete.plan


def _body_lines(plan):
    lines = plan.source.splitlines()
    assert lines[0].startswith("def plan(") and lines[-1].lstrip().startswith("return")
    return lines[1:-1]


def _linear_step():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2))
    x = tf.constant(np.ones((4, 3), np.float32))

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.matmul(x, w))
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    return w, step


# -- the contract ---------------------------------------------------------------------------
def test_plain_matmul_and_assign_sub_plan_has_only_ops_reads_and_assigns():
    w, step = _linear_step()
    plan = _plan(step)
    kinds = [s.kind for s in plan.steps]
    assert set(kinds) == {OP, READ, ASSIGN}
    assert len(plan.steps) == len(_body_lines(plan))  # one step per statement, in order
    assert plan.variables == (w,)
    assert [s.target for s in plan.steps if s.kind == ASSIGN] == [w]
    ops = [s.target for s in plan.steps if s.kind == OP]
    assert all(isinstance(op, _core.Op) and not op.random for op in ops)
    assert "MatMul" in [op.name for op in ops]
    assert not any(s.host_side_effect or s.draws_random for s in plan.steps)
    assert _graph_replay.replay_blocker(plan) is None


@pytest.mark.parametrize("draw", [
    lambda x: x + tf.random.normal(tf.shape(x)),
    lambda x: x * tf.random.uniform((2, 3)),
    lambda x: tf.random.shuffle(x),
    lambda x: tf.cast(tf.random.categorical(x, 4), tf.float32),
    lambda x: tf.nn.dropout(x, 0.5),
    lambda x: tf.keras.layers.Dropout(0.5)(x, training=True),
])
def test_random_draws_are_random_steps(draw):
    plan = _plan(draw, tf.ones((2, 3)))
    randoms = [s for s in plan.steps if s.kind == RANDOM]
    assert randoms and all(s.draws_random and not s.host_side_effect for s in randoms)
    assert all(s.target.random for s in randoms)
    assert _graph_replay.replay_blocker(plan) is randoms[0]


def test_random_ops_are_marked_at_their_definition():
    assert random_ops.DRAW.random and random_ops.SHUFFLE.random
    assert random_ops.MULTINOMIAL.random and nn.DROPOUT_MASK.random
    assert not nn.DROPOUT.random
    marked = _core.Op("MyNoise", lambda a: a + np.random.random(a.shape).astype(a.dtype),
                      random=True)
    plan = _plan(lambda x: _core.apply(marked, (x,), {}) * 2.0, tf.ones((2,)))
    assert [s.kind for s in plan.steps] == [RANDOM, OP]
    assert plan.steps[0].target is marked


def test_an_unused_draw_is_dropped_from_the_plan_and_its_steps():
    def f(x):
        tf.random.normal((2,))  # its result is never used
        return x * 2.0

    plan = _plan(f, tf.ones((2,)))
    assert [s.kind for s in plan.steps] == [OP]
    assert _graph_replay.replay_blocker(plan) is None


def test_tf_print_is_an_effect_step(capsys):
    plan = _plan(lambda x: (tf.print("x:", x), x + 1.0)[1], tf.ones((2,)))
    effects = [s for s in plan.steps if s.kind == EFFECT]
    assert len(effects) == 1 and effects[0].host_side_effect and not effects[0].draws_random
    assert callable(effects[0].target)
    assert _graph_replay.replay_blocker(plan) is effects[0]


def test_keras_optimizer_update_is_an_effect_step():
    w = tf.Variable(tf.ones((3, 1)))
    x = tf.ones((4, 3))
    opt = tf.keras.optimizers.SGD(0.1, momentum=0.9)

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.matmul(x, w))
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        return loss

    plan = _plan(step)
    assert EFFECT in plan.kinds() and RANDOM not in plan.kinds()
    assert _graph_replay.replay_blocker(plan).kind == EFFECT


def test_an_eager_signature_has_no_plan():
    f = tf.function(lambda x: x * 2.0 if float(x) > 0 else x)
    f(tf.constant(1.0))
    concrete = f.get_concrete_function(tf.constant(1.0))
    assert concrete.eager_reason and concrete.plan is None and concrete._gpu is None


# -- the graph replay's decision follows the contract -----------------------------------------
def test_runner_for_follows_the_contract(monkeypatch):
    w, step = _linear_step()
    plain = _plan(step)
    noisy = _plan(lambda x: x + tf.random.normal((2,)), tf.ones((2,)))
    printing = _plan(lambda x: (tf.print(x), x * 1.0)[1], tf.ones((2,)))
    assert _graph_replay.runner_for(plain) is None  # no GPU backend: plans run as Python

    class FakeCupy:  # a GPU backend whose arrays are none of ours
        ndarray = type("DeviceArray", (), {})

    monkeypatch.setattr(cuda, "cupy_module", lambda: FakeCupy)
    runner = _graph_replay.runner_for(plain)
    assert runner is not None and runner.plan is plain.run and runner.variables == [w]
    before = w.numpy()
    (loss,) = runner([])  # host arrays: no capture, the plan runs as Python
    assert np.isfinite(loss) and not np.array_equal(w.numpy(), before)
    assert runner.graph is None and runner.calls == 0
    assert _graph_replay.runner_for(noisy) is None
    assert _graph_replay.runner_for(printing) is None
    # a plan-like object: the decision reads the steps' kinds and nothing else
    fake = Plan(lambda: (), [PlanStep(OP, None)], "")
    assert _graph_replay.runner_for(fake) is not None
    fake = Plan(lambda: (), [PlanStep(OP, None),
                                      PlanStep(RANDOM, None)], "")
    assert _graph_replay.runner_for(fake) is None


def test_control_steps_hold_sub_plans_and_block_graph_replay():
    v = tf.Variable(0.0)

    def f(x):
        if x > 0:
            v.assign_add(x)
            y = x * 2.0
        else:
            y = tf.random.normal(()) * 0.0 - x
        return y

    plan = _plan(f, tf.constant(1.0))
    (ctl,) = [s for s in plan.steps if s.kind == CONTROL]
    assert isinstance(ctl.target, ControlFlow) and ctl.target.kind == "cond"
    true_plan, false_plan = ctl.target.plans
    assert ASSIGN in true_plan.kinds() and RANDOM in false_plan.kinds()
    assert ctl.host_side_effect and ctl.draws_random
    assert v in plan.variables  # the sub-plans' variables are the plan's
    assert _graph_replay.replay_blocker(plan) is ctl


# -- constant folding --------------------------------------------------------------------------
def _op_count(plan):
    return sum(s.kind == OP for s in plan.steps)


def test_ops_of_constants_only_are_folded_into_the_plan():
    """``tf.ones(3) * 2`` and a gradient's seed are the same on every call: the plan keeps
    their trace-time values and runs only the ops that depend on inputs or variables."""
    v = tf.Variable([1.0, 2.0, 3.0])

    def fn(x):
        with tf.GradientTape() as tape:
            y = tf.reduce_mean((x * v - tf.ones([3]) * 2.0) ** 2)
        g = tape.gradient(y, v)
        v.assign_sub(0.1 * g)
        return y

    x = tf.constant([0.5, 1.0, -1.0])
    plan = _plan(fn, x)  # one call: v was updated once
    eager_v = tf.Variable(v.numpy())
    lines = _body_lines(plan)
    # no line calls an op on constants alone (their names start with "c")
    for line in lines:
        if "= f" in line and "(" in line:
            call_args = line.split("(", 1)[1].rstrip(")").split(", ")
            assert not all(a.startswith("c") or a.startswith("**") for a in call_args), line
    f = tf.function(fn)
    for _ in range(3):  # the variable changes: each call sees the new value, as eagerly
        got = f(x).numpy()
        with tf.GradientTape() as tape:
            want_y = tf.reduce_mean((x * eager_v - tf.ones([3]) * 2.0) ** 2)
        eager_v.assign_sub(0.1 * tape.gradient(want_y, eager_v))
        np.testing.assert_allclose(got, want_y.numpy(), rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), eager_v.numpy(), rtol=1e-6)
    assert _op_count(_plan(lambda x: x + tf.ones([3]) * 2.0, x)) == 1  # the add alone


def test_random_ops_of_constants_are_not_folded():
    f = tf.function(lambda: tf.random.uniform([4]))
    a, b = f().numpy(), f().numpy()
    assert not np.array_equal(a, b)
    # a stateless draw of a constant seed is the same on every call: folded, still right
    s = tf.function(lambda: tf.random.stateless_uniform([4], seed=[1, 2]) + 0.0)
    np.testing.assert_array_equal(s().numpy(), tf.random.stateless_uniform([4], seed=[1, 2]))
    np.testing.assert_array_equal(s().numpy(), s().numpy())


def test_tensor_array_of_constants_is_rebuilt_on_every_call():
    """A TensorArray's handle is an object array that its writes fill: never folded, so every
    call starts from an empty array."""
    @tf.function
    def fill():
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        for i in tf.range(3):
            ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
        return ta.stack()

    for _ in range(3):
        np.testing.assert_array_equal(fill().numpy(), [0.0, 2.0, 4.0])
