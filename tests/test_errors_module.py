"""``tf.errors``: exactly TF 2.21's public names, and TF's ``OpError`` signature."""
import pickle

import pytest

import tapeflow as tf

# dir(tf.errors) of TensorFlow 2.21, public names only
TF_NAMES = {
    "ABORTED", "ALREADY_EXISTS", "AbortedError", "AlreadyExistsError", "CANCELLED",
    "CancelledError", "DATA_LOSS", "DEADLINE_EXCEEDED", "DataLossError", "DeadlineExceededError",
    "FAILED_PRECONDITION", "FailedPreconditionError", "INTERNAL", "INVALID_ARGUMENT",
    "InternalError", "InvalidArgumentError", "NOT_FOUND", "NotFoundError", "OK", "OUT_OF_RANGE",
    "OpError", "OperatorNotAllowedInGraphError", "OutOfRangeError", "PERMISSION_DENIED",
    "PermissionDeniedError", "RESOURCE_EXHAUSTED", "ResourceExhaustedError", "UNAUTHENTICATED",
    "UNAVAILABLE", "UNIMPLEMENTED", "UNKNOWN", "UnauthenticatedError", "UnavailableError",
    "UnimplementedError", "UnknownError",
}


def test_public_names_are_tfs():
    assert {n for n in dir(tf.errors) if not n.startswith("_")} == TF_NAMES


def test_op_error_takes_its_code():
    e = tf.errors.OpError(None, None, "m", tf.errors.INVALID_ARGUMENT)
    assert (e.error_code, str(e), e.message, e.op, e.node_def) == (3, "m", "m", None, None)
    assert e.experimental_payloads == {}
    with pytest.raises(TypeError):
        tf.errors.OpError(None, None, "m")  # TF: missing 'error_code'
    assert tf.errors.OpError(None, None, "m", 2, {"k": b"v"}).experimental_payloads == {"k": b"v"}


@pytest.mark.parametrize("name,code", [("InvalidArgumentError", 3), ("NotFoundError", 5),
                                       ("OutOfRangeError", 11), ("UnknownError", 2)])
def test_subclasses_have_fixed_codes_and_pickle(name, code):
    cls = getattr(tf.errors, name)
    e = cls(None, "Op", "went wrong")
    assert isinstance(e, tf.errors.OpError) and e.error_code == code and e.op == "Op"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cls and (back.message, back.op, back.error_code) == ("went wrong", "Op",
                                                                                code)
    base = pickle.loads(pickle.dumps(tf.errors.OpError(None, None, "b", 9)))
    assert type(base) is tf.errors.OpError and base.error_code == 9


def test_ops_still_raise_tfs_wording():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[Op:Conv2D\]"):
        tf.nn.conv2d(tf.zeros([1, 4, 4, 1]), tf.zeros([2, 2]), 1, "VALID")
