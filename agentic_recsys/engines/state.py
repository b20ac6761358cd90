"""An engine's fitted state as named plain arrays: what an index file may hold.

Numbers and fixed-width text only (never object arrays), so the state is saved as an
`.npz` and read back with `allow_pickle=False`: opening an index cannot run code.
Sparse matrices travel as their CSR arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse

State = dict[str, np.ndarray]


def sparse_state(name: str, matrix: sparse.csr_matrix) -> State:
    """A CSR matrix as four arrays under `name.`: data, indices, indptr and shape."""
    return {
        f"{name}.data": matrix.data,
        f"{name}.indices": matrix.indices,
        f"{name}.indptr": matrix.indptr,
        f"{name}.shape": np.asarray(matrix.shape, dtype=np.int64),
    }


def sparse_from_state(state: Mapping[str, np.ndarray], name: str) -> sparse.csr_matrix:
    """The CSR matrix `sparse_state` saved under `name` (a ValueError if the arrays disagree)."""
    shape = tuple(int(n) for n in state[f"{name}.shape"])
    if len(shape) != 2:
        raise ValueError(f"{name}: a matrix needs two dimensions, not {len(shape)}")
    parts = (state[f"{name}.data"], state[f"{name}.indices"], state[f"{name}.indptr"])
    matrix = sparse.csr_matrix(parts, shape=shape)
    matrix.check_format(full_check=True)  # indices in range, indptr monotone
    return matrix
