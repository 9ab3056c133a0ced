"""tf.test.Benchmark, disable_with_predicate, with_eager_op_as_function and
experimental.sync_devices, against TF 2.21's behaviour (printed entries recorded from TF)."""
import unittest

import numpy as np

import tapeflow as tf


class _Bench(tf.test.Benchmark):
    def benchmark_y(self):
        self.report_benchmark(iters=2, wall_time=1.25, cpu_time=0.5, throughput=3,
                              extras={"s": "txt", "f": 0.1})

    def benchmark_named(self):
        self.report_benchmark(iters=3, wall_time=0.5, name="x", extras={"a": 1},
                              metrics=[{"name": "m", "value": 2}])

    def benchmark_op(self):
        return self.run_op_benchmark(None, lambda: tf.constant(1.0) + 1.0, burn_iters=1,
                                     min_iters=3, extras={"k": 2})


# recorded from TF 2.21 (printed by report_benchmark when no report file is set)
_Y = """entry {
  name: "_Bench.benchmark_y"
  iters: 2
  cpu_time: 0.5
  wall_time: 1.25
  throughput: 3
  extras {
    key: "s"
    value {
      string_value: "txt"
    }
  }
  extras {
    key: "f"
    value {
      double_value: 0.1
    }
  }
}

"""
_NAMED = """entry {
  name: "_Bench.x"
  iters: 3
  wall_time: 0.5
  extras {
    key: "a"
    value {
      double_value: 1
    }
  }
  metrics {
    name: "m"
    value: 2
  }
}

"""


def test_report_benchmark_prints_entries(capsys):
    _Bench().benchmark_y()
    assert capsys.readouterr().out == _Y
    _Bench().benchmark_named()
    assert capsys.readouterr().out == _NAMED


def test_run_op_benchmark(capsys):
    result = _Bench().benchmark_op()
    out = capsys.readouterr().out
    assert out.startswith('entry {\n  name: "_Bench.benchmark_op"\n  iters: 3\n  wall_time: ')
    assert sorted(result) == ["extras", "iters", "name", "throughput", "wall_time"]
    assert result["iters"] == 3 and result["throughput"] == 0.0 and result["name"] is None
    assert sorted(result["extras"]) == ["k", "wall_time_mean", "wall_time_stdev"]
    assert result["wall_time"] > 0


def test_benchmark_misc():
    assert tf.test.Benchmark.is_abstract() is True
    assert _Bench.is_abstract() is False
    got = _Bench().evaluate({"a": tf.constant([1, 2])})
    np.testing.assert_array_equal(got["a"], [1, 2])


def test_disable_with_predicate():
    class T(tf.test.TestCase):
        @tf.test.disable_with_predicate(pred=lambda: True, skip_message="nope")
        def test_a(self):
            raise AssertionError("must not run")

        @tf.test.disable_with_predicate(pred=lambda: False, skip_message="nope")
        def test_b(self):
            self.ran = True

    result = unittest.TestResult()
    unittest.TestLoader().loadTestsFromTestCase(T).run(result)
    assert [(case.id().rsplit(".", 1)[1], why) for case, why in result.skipped] == \
        [("test_a", "nope")]
    assert result.testsRun == 2 and not result.failures and not result.errors


def test_with_eager_op_as_function_returns_the_class():
    class U(tf.test.TestCase):
        def test_x(self):
            pass

    assert tf.test.with_eager_op_as_function(U) is U
    assert tf.test.with_eager_op_as_function(only_as_function=True)(U) is U
    assert sorted(n for n in dir(U) if n.startswith("test_")) == ["test_x"]


def test_sync_devices():
    assert tf.test.experimental.sync_devices() is None
