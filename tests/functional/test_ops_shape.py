"""Shape ops and indexing against PyTorch and gradcheck (see oracle.check_op)."""

import numpy as np
import pytest
import torch

import manabu
import manabu.functional as F
from oracle import check_op

IDX = np.array([0, 0, 2, 1, 0])  # repeated indices: the backward must add, not overwrite
IDX2 = np.array([[0, 1], [1, 1]])
ROWS, COLS = np.array([0, 0, 2]), np.array([1, 1, 3])
MASK = np.array([[True, False, True, False], [False, False, True, True],
                 [True, True, False, False]])
T = torch.tensor

# (id, torch_fn, manabu_fn, shapes)
INDEXING = [
    ("int", lambda x: x[1], lambda x: x[1], [(3, 4)]),
    ("negative_int", lambda x: x[-1, -2], lambda x: x[-1, -2], [(3, 4)]),
    ("slice", lambda x: x[1:3], lambda x: x[1:3], [(4, 3)]),
    ("step_slice", lambda x: x[::2, 1::2], lambda x: x[::2, 1::2], [(5, 4)]),
    ("negative_step", lambda x: x.flip(0), lambda x: x[::-1], [(4, 2)]),
    ("none", lambda x: x[None, :, None], lambda x: x[None, :, None], [(3, 2)]),
    ("ellipsis", lambda x: x[..., 1], lambda x: x[..., 1], [(2, 3, 4)]),
    ("mixed_basic", lambda x: x[1:, None, ..., ::2], lambda x: x[1:, None, ..., ::2],
     [(3, 2, 4)]),
    ("int_list_repeated", lambda x: x[[0, 0, 1]], lambda x: x[[0, 0, 1]], [(3, 2)]),
    ("int_array_repeated", lambda x: x[T(IDX)], lambda x: x[IDX], [(3, 4)]),
    ("int_array_2d", lambda x: x[T(IDX2)], lambda x: x[IDX2], [(3, 2)]),
    ("int_arrays_pairs", lambda x: x[T(ROWS), T(COLS)], lambda x: x[ROWS, COLS], [(3, 4)]),
    ("int_array_second_axis", lambda x: x[:, T(IDX)], lambda x: x[:, IDX], [(2, 3)]),
    ("tensor_index", lambda x: x[T(IDX)], lambda x: x[manabu.Tensor(IDX)], [(3,)]),
    ("bool_mask", lambda x: x[T(MASK)], lambda x: x[MASK], [(3, 4)]),
    ("bool_mask_tensor", lambda x: x[T(MASK)], lambda x: x[manabu.Tensor(MASK)], [(3, 4)]),
    ("bool_mask_rows", lambda x: x[T(MASK[:, 0])], lambda x: x[MASK[:, 0]], [(3, 2)]),
    ("getitem_function", lambda x: x[1:, 0], lambda x: F.getitem(x, (slice(1, None), 0)),
     [(3, 2)]),
]

SHAPE_OPS = [
    ("reshape_tuple", lambda x: x.reshape(2, 6), lambda x: x.reshape((2, 6)), [(3, 4)]),
    ("reshape_args_minus1", lambda x: x.reshape(-1, 2), lambda x: x.reshape(-1, 2), [(3, 4)]),
    ("reshape_function", lambda x: x.reshape(12), lambda x: F.reshape(x, 12), [(3, 4)]),
    ("view", lambda x: x.view(4, 3), lambda x: x.view(4, 3), [(3, 4)]),
    ("T_2d", lambda x: x.T, lambda x: x.T, [(3, 4)]),
    ("T_3d", lambda x: x.permute(2, 1, 0), lambda x: x.T, [(2, 3, 4)]),
    ("mT", lambda x: x.mT, lambda x: x.mT, [(2, 3, 4)]),
    ("transpose_2d_swap", lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1), [(3, 4)]),
    ("transpose_3d_swap", lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2), [(2, 3, 4)]),
    ("transpose_negative", lambda x: x.transpose(-1, -3), lambda x: x.transpose(-1, -3),
     [(2, 3, 4)]),
    ("transpose_permutation", lambda x: x.permute(1, 2, 0), lambda x: x.transpose((1, 2, 0)),
     [(2, 3, 4)]),
    ("transpose_function", lambda x: x.permute(2, 0, 1), lambda x: F.transpose(x, (2, 0, 1)),
     [(2, 3, 4)]),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
    ("permute_tuple", lambda x: x.permute(0, 2, 1), lambda x: x.permute((0, 2, 1)), [(2, 3, 4)]),
    ("swapaxes", lambda x: x.swapaxes(0, 2), lambda x: x.swapaxes(0, 2), [(2, 3, 4)]),
    ("squeeze_all", lambda x: x.squeeze(), lambda x: x.squeeze(), [(1, 3, 1, 2)]),
    ("squeeze_axis", lambda x: x.squeeze(2), lambda x: x.squeeze(2), [(1, 3, 1, 2)]),
    ("squeeze_axes", lambda x: x.squeeze((0, -2)), lambda x: x.squeeze((0, -2)), [(1, 3, 1, 2)]),
    ("unsqueeze_0", lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(0), [(3, 2)]),
    ("unsqueeze_last", lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), [(3, 2)]),
    ("unsqueeze_middle", lambda x: x.unsqueeze(1), lambda x: F.unsqueeze(x, 1), [(3, 2)]),
    ("expand_dims", lambda x: x.unsqueeze(-2), lambda x: F.expand_dims(x, -2), [(3, 2)]),
    ("expand", lambda x: x.expand(3, 4), lambda x: x.expand(3, 4), [(3, 1)]),
    ("expand_new_axes", lambda x: x.expand(2, 3, 4), lambda x: x.expand((2, 3, 4)), [(3, 1)]),
    ("expand_minus1", lambda x: x.expand(2, -1, 4), lambda x: x.expand(2, -1, 4), [(3, 1)]),
    ("broadcast_to", lambda x: x.broadcast_to((2, 3)), lambda x: F.broadcast_to(x, (2, 3)),
     [(3,)]),
    ("broadcast_0d", lambda x: x.expand(2, 2), lambda x: x.broadcast_to((2, 2)), [()]),
    ("concatenate_0", lambda a, b, c: torch.cat([a, b, c]),
     lambda a, b, c: F.concatenate([a, b, c]), [(1, 3), (2, 3), (3, 3)]),
    ("concatenate_1", lambda a, b: torch.cat([a, b], 1), lambda a, b: F.concatenate([a, b], 1),
     [(2, 1), (2, 3)]),
    ("cat_negative_axis", lambda a, b: torch.cat([a, b], -1), lambda a, b: F.cat((a, b), -1),
     [(2, 2, 1), (2, 2, 3)]),
    ("concatenate_same", lambda a: torch.cat([a, a]), lambda a: F.concatenate([a, a]), [(2,)]),
    ("stack_0", lambda a, b: torch.stack([a, b]), lambda a, b: F.stack([a, b]), [(2, 3)] * 2),
    ("stack_1", lambda a, b: torch.stack([a, b], 1), lambda a, b: F.stack([a, b], 1),
     [(2, 3)] * 2),
    ("stack_last", lambda a, b, c: torch.stack([a, b, c], -1),
     lambda a, b, c: F.stack([a, b, c], -1), [(2, 3)] * 3),
    ("split_sections", lambda x: torch.tensor_split(x, 2, dim=1),
     lambda x: F.split(x, 2, axis=1), [(2, 4)]),
    ("split_indices", lambda x: torch.tensor_split(x, [1, 3]), lambda x: F.split(x, [1, 3]),
     [(5, 2)]),
    ("split_one_used", lambda x: torch.tensor_split(x, 3)[1], lambda x: F.split(x, 3)[1],
     [(6,)]),
    ("pad_per_axis", lambda x: torch.nn.functional.pad(x, (0, 3, 1, 2), value=1.5),
     lambda x: F.pad(x, ((1, 2), (0, 3)), value=1.5), [(2, 3)]),
    ("pad_int", lambda x: torch.nn.functional.pad(x, (1, 1, 1, 1)), lambda x: F.pad(x, 1),
     [(2, 3)]),
    ("pad_pair", lambda x: torch.nn.functional.pad(x, (2, 0, 2, 0)), lambda x: F.pad(x, (2, 0)),
     [(2, 3)]),
    ("flatten_all", lambda x: x.flatten(), lambda x: x.flatten(), [(2, 3, 4)]),
    ("flatten_from_1", lambda x: x.flatten(1), lambda x: x.flatten(1), [(2, 3, 4)]),
    ("flatten_middle", lambda x: x.flatten(1, 2), lambda x: F.flatten(x, 1, 2), [(2, 3, 4, 2)]),
    ("flatten_0d", lambda x: x.flatten(), lambda x: x.flatten(), [()]),
]

CASES = INDEXING + SHAPE_OPS


@pytest.mark.parametrize("torch_fn, manabu_fn, shapes", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_matches_torch_and_gradcheck(torch_fn, manabu_fn, shapes):
    check_op(torch_fn, manabu_fn, shapes=shapes)


def test_repeated_index_backward_adds_up():
    x = manabu.Tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0, 0.0])


def test_python_bool_list_is_a_mask():
    x = manabu.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x[[True, False, True]]
    np.testing.assert_array_equal(y.numpy(), [1.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])


def test_split_returns_tensors_of_equal_sections():
    parts = F.split(manabu.Tensor(np.arange(6.0)), 3)
    assert [p.tolist() for p in parts] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


@pytest.mark.parametrize("call, message", [
    (lambda x: x.reshape(5, 2), r"reshape: cannot reshape a tensor of shape \(3, 4\) "
                                r"\(12 elements\) into \(5, 2\)"),
    (lambda x: F.concatenate([x, manabu.Tensor(np.ones((3, 2)))]),
     r"concatenate: shapes \(3, 4\), \(3, 2\) must"),
    (lambda x: F.concatenate([x, manabu.Tensor(np.ones(4))]),
     r"concatenate: shapes \(3, 4\), \(4,\) must have the same number of axes"),
    (lambda x: F.stack([x, manabu.Tensor(np.ones((4, 3)))]),
     r"stack: all tensors need the same shape, got \(3, 4\), \(4, 3\)"),
    (lambda x: F.stack([]), r"stack: got an empty list"),
    (lambda x: F.concatenate([x], axis=2), r"concatenate: axis 2 is out of range for a 2-D"),
    (lambda x: x.transpose((0, 0)), r"transpose: axes \(0, 0\) are not a permutation"),
    (lambda x: x.permute(0, 2), r"transpose: axis 2 is out of range"),
    (lambda x: x.squeeze(0), r"squeeze: axis 0 of shape \(3, 4\) has size 3, not 1"),
    (lambda x: x.unsqueeze(3), r"unsqueeze: axis 3 is out of range for a 3-D"),
    (lambda x: x.expand(2, 4), r"broadcast_to: shape \(3, 4\) cannot broadcast to \(2, 4\)"),
    (lambda x: F.split(x, 2), r"split: axis 0 of size 3 does not divide into 2"),
    (lambda x: F.pad(x, ((1, 1), (1, 1), (1, 1))), r"pad: pad_width .* does not fit"),
    (lambda x: x.flatten(2), r"flatten: axis 2 is out of range"),
])
def test_shape_errors_name_the_op_and_shapes(call, message):
    x = manabu.Tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        call(x)


def test_concatenate_rejects_a_single_tensor():
    with pytest.raises(TypeError, match=r"concatenate: expected a list of tensors"):
        F.concatenate(manabu.Tensor(np.ones((2, 2))))
