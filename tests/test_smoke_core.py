import torch

from oracle import check_op


def test_mul_broadcast_matches_torch():
    check_op(torch.mul, lambda a, b: a * b, shapes=[(3, 4), (4,)])


def test_batched_matmul_matches_torch():
    check_op(torch.matmul, lambda a, b: a @ b, shapes=[(2, 3, 4), (4, 5)])
