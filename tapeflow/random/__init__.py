"""``tf.random``: seeded random tensors."""
from ..ops.random import *  # noqa: F403
from ..ops.random import Generator, get_global_generator, set_global_generator
from ..ops.sampling import (  # noqa: F401
    Algorithm,
    all_candidate_sampler,
    create_rng_state,
    fixed_unigram_candidate_sampler,
    fold_in,
    gamma,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    poisson,
    split,
    stateless_binomial,
    stateless_gamma,
    stateless_parameterized_truncated_normal,
    stateless_poisson,
    uniform_candidate_sampler,
)
from ..ops.sampling import index_shuffle as _index_shuffle
from ..ops.sampling import stateless_shuffle as _stateless_shuffle


class experimental:  # TF's name: the ``tf.random.experimental`` namespace
    """``tf.random.experimental``: the generator API and the stateless seed helpers."""

    Algorithm = Algorithm
    Generator = Generator
    create_rng_state = staticmethod(create_rng_state)
    get_global_generator = staticmethod(get_global_generator)
    set_global_generator = staticmethod(set_global_generator)
    index_shuffle = staticmethod(_index_shuffle)
    stateless_shuffle = staticmethod(_stateless_shuffle)
    stateless_fold_in = staticmethod(fold_in)
    stateless_split = staticmethod(split)
