"""Replaying ``tf.function`` plans as CUDA graphs (``cupy.cuda.Graph``).

A small model's step is hundreds of tiny kernels whose launch cost dominates; a CUDA graph
launches them all at once. This module reads only the plan contract of ``function.py``
(``Plan.run``, ``Plan.variables``, and each of ``Plan.steps``' ``host_side_effect`` and
``draws_random``). ``runner_for(plan)`` returns None (the plan runs as Python) unless the
GPU backend is active and ``replay_blocker(plan)`` finds nothing; the runner then gates on
each call and falls back to the plan:

* every input array and variable is a CuPy array on one device, with the same shapes as at
  capture (tf.function keys plans by shape and dtype already);
* the plan has no host side effects (``run_effect``: tf.print, Keras optimizer and metric
  updates) and no steps drawing random values (``Op.random``: the random ops, dropout
  masks; host-side generators would be frozen into the graph). So a custom training step
  that updates with ``assign_sub`` (the workshop's loops) and inference functions replay as
  graphs; ``Model.fit``'s step, whose optimizer update is a Python effect, does not;
* capture succeeded (an op that synchronises with the host makes capture fail: the plan
  then stays on the Python path for good). CuPy 14 also refuses cuBLAS calls during
  capture (NotImplementedError, seen on an H200 in 2026-12), so today only plans without
  matrix products (elementwise steps, reductions) replay as graphs.

How: the first call runs the plan normally (warm: kernels compiled, cuBLAS handles made).
The second call copies the inputs into static buffers, points every variable at a static
buffer, and captures one plan run into a graph on a private stream, allocating from a
private memory pool that outlives the graph (so no later allocation reuses its memory).
Assignments inside the plan rebind variables; the capture appends copies of the new values
into the variables' static buffers. A launch then is: copy inputs in, copy any variable
that changed outside the graph in, launch, hand out copies of the outputs, and rebind each
assigned variable to a copy of its buffer (tensors read earlier never change underneath).

The capture itself is exercised only on a GPU: ``tests/gpu/test_gpu_function.py`` checks
it against eager; ``tests/test_function_plan.py`` checks the decision on any machine.
"""
from .backend import cuda

WARM_CALLS = 1  # plain runs before capture


def replay_blocker(plan):
    """The first step of ``plan`` that a CUDA graph cannot replay, or None: a host side
    effect must run as Python on every call, and a graph would freeze one random draw."""
    for step in plan.steps:
        if step.host_side_effect or step.draws_random:
            return step
    return None


def runner_for(plan):
    """A callable replacing ``plan.run(*arrays)`` on the GPU, or None."""
    if cuda.cupy_module() is None or replay_blocker(plan) is not None:
        return None
    return _GraphRunner(plan)


class _GraphRunner:
    def __init__(self, plan):
        self.plan = plan.run
        self.cp = cuda.cupy_module()
        self.variables = list(plan.variables)
        self.calls = 0
        self.graph = None
        self.failed = False

    def __call__(self, arrays):
        if self.failed or not self._eligible(arrays):
            return self.plan(*arrays)
        self.calls += 1
        if self.graph is None:
            if self.calls <= WARM_CALLS:
                return self.plan(*arrays)
            try:
                self._capture(arrays)
            except Exception:  # capture unsupported by some op: stay eager
                self.failed = True
                self._restore()
                return self.plan(*arrays)
        return self._launch(arrays)

    def _eligible(self, arrays):
        cp = self.cp
        dev = None
        for a in list(arrays) + [v._v for v in self.variables]:
            if not isinstance(a, cp.ndarray):
                return False
            if dev is None:
                dev = a.device.id
            elif a.device.id != dev:
                return False
        if self.graph is not None:
            return [(a.shape, a.dtype) for a in arrays] == self.in_sig
        return True

    def _capture(self, arrays):
        cp = self.cp
        self.in_sig = [(a.shape, a.dtype) for a in arrays]
        self.inputs = [a.copy() for a in arrays]
        self.buffers = {id(v): v._v.copy() for v in self.variables}
        self.saved = {id(v): v._v for v in self.variables}
        for v in self.variables:
            v._v = self.buffers[id(v)]
        self.pool = cp.cuda.MemoryPool()
        # NOTE: capture needs a non-default stream that does not sync implicitly with the
        # legacy default stream; ordering with the rest of the program goes through events.
        self.stream = cp.cuda.Stream(non_blocking=True)
        self.stream.wait_event(cp.cuda.get_current_stream().record())
        with cp.cuda.using_allocator(self.pool.malloc), self.stream:
            self.plan(*self.inputs)  # warm the private pool with this plan's allocations
            for v in self.variables:
                v._v = self.buffers[id(v)]
            self.stream.synchronize()
            self.stream.begin_capture()
            try:
                outs = self.plan(*self.inputs)
                self.assigned = [v for v in self.variables if v._v is not self.buffers[id(v)]]
                for v in self.assigned:
                    self.buffers[id(v)][...] = v._v
            finally:
                graph = self.stream.end_capture()
        self.outputs = outs
        self.graph = graph
        for v in self.variables:
            v._v = self.saved[id(v)]  # launches copy values in from here

    def _restore(self):
        for v in self.variables:
            if id(v) in getattr(self, "saved", {}):
                v._v = self.saved[id(v)]

    def _launch(self, arrays):
        cp = self.cp
        caller = cp.cuda.get_current_stream()
        stream = self.stream
        stream.wait_event(caller.record())  # the inputs were made on the caller's stream
        with stream:
            for buf, a in zip(self.inputs, arrays):
                buf[...] = a
            for v in self.variables:
                buf = self.buffers[id(v)]
                if v._v is not buf:
                    buf[...] = v._v
            self.graph.launch(stream)
            outs = tuple(o.copy() for o in self.outputs)
            for v in self.assigned:
                v._v = self.buffers[id(v)].copy()
        caller.wait_event(stream.record())  # later work on the caller's stream sees results
        return outs
