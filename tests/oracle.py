"""One-line op tests: manabu against float64 central differences and against PyTorch.

    check_op(torch_fn, manabu_fn, shapes=[(3, 4), (4,)])

draws fresh random inputs (the seed is printed on failure; MANABU_TEST_SEED=n repeats a
run) and checks, for the op(s) that ``manabu_fn`` applies:

1. forward values and every input's gradient equal PyTorch's, in float64;
2. every Function's backward is pure: called twice with the same read-only ``gy`` it gives
   the same gradients, of the inputs' shapes, and writes into neither gy nor its inputs;
   on float32 inputs it keeps float32 (no accidental upcast to float64);
3. second order, when every Function of the graph is ``twice_differentiable``: the
   gradients built with ``create_graph=True`` and their own gradients (a Hessian-vector
   product) equal PyTorch's double backward;
4. gradcheck: the gradients equal central differences.
"""

import os

import numpy as np

import manabu
from manabu.gradcheck import gradcheck


def seed_for_run():
    """A fresh seed per run, fixed by MANABU_TEST_SEED to reproduce a failure."""
    if "MANABU_TEST_SEED" in os.environ:
        return int(os.environ["MANABU_TEST_SEED"])
    return int(np.random.SeedSequence().entropy % (2**31))


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _inputs(arrays, grad):
    """manabu and torch leaves holding copies of the same arrays."""
    import torch

    requires = [a.dtype.kind == "f" and grad for a in arrays]
    m_in = [manabu.Tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, requires)]
    t_in = [torch.tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, requires)]
    return m_in, t_in


def _projected_loss(outputs, projections, make):
    """sum(p * y) over the outputs that carry a graph: one scalar to differentiate."""
    terms = [(o * make(p)).sum() for o, p in zip(outputs, projections) if o.requires_grad]
    return sum(terms[1:], terms[0]) if terms else None


def _assert_close(m, t, atol, rtol, message):
    m = np.zeros(np.shape(t)) if m is None else m
    t = np.zeros(np.shape(m)) if t is None else t
    np.testing.assert_allclose(m, t, atol=atol, rtol=rtol, err_msg=message)


def compare_with_torch(torch_fn, manabu_fn, arrays, atol=1e-8, rtol=1e-6, grad=True, seed=None):
    """Forward values and gradients of both libraries on the same float64 arrays; returns
    the Functions of manabu's graph."""
    import torch

    m_in, t_in = _inputs(arrays, grad)
    m_out = _as_tuple(manabu_fn(*m_in))
    t_out = _as_tuple(torch_fn(*t_in))
    assert len(m_out) == len(t_out), f"{len(m_out)} outputs vs PyTorch's {len(t_out)}"
    context = f"(seed {seed}, shapes {[a.shape for a in arrays]})"
    for m, t in zip(m_out, t_out):
        assert m.shape == tuple(t.shape), f"output shape {m.shape} vs PyTorch's {t.shape}"
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"forward differs from PyTorch {context}")
    if not grad:
        return []
    rng = np.random.default_rng(0)
    projections = [rng.standard_normal(t.shape) for t in t_out]
    m_loss = _projected_loss(m_out, projections, manabu.Tensor)
    t_loss = _projected_loss(t_out, projections, torch.tensor)
    assert (m_loss is None) == (t_loss is None), "one library has a graph, the other not"
    if m_loss is None:
        return []
    graph = functions_of(m_out)
    check_backward_is_pure(m_out, seed)
    m_loss.backward()
    t_loss.backward()
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        if m.requires_grad:
            t_grad = None if t.grad is None else t.grad.numpy()
            m_grad = None if m.grad is None else m.grad.numpy()
            _assert_close(m_grad, t_grad, atol, rtol,
                          f"gradient of input {i} differs from PyTorch {context}")
    return graph


def functions_of(outputs):
    """Every Function in the graph behind ``outputs``."""
    found, seen = [], set()
    stack = [o.creator for o in outputs if o.creator is not None]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        found.append(fn)
        stack.extend(t.creator for t in fn.inputs if t.creator is not None)
    return found


def _copies(gxs):
    gxs = gxs if isinstance(gxs, tuple) else (gxs,)
    return [None if g is None else np.array(g, copy=True) for g in gxs]


def check_backward_is_pure(outputs, seed=None):
    """Call each Function's backward twice with the same read-only gy: same gradients,
    right shapes, gy and the inputs untouched (a backward that writes into its input is a
    bug: the book's ReLU does ``dout[mask] = 0``)."""
    rng = np.random.default_rng(seed)
    for fn in functions_of(outputs):
        name = type(fn).__name__
        metas = [(o.shape, o.dtype) for o in (ref() for ref in fn.outputs) if o is not None]
        metas = getattr(fn, "output_meta", metas)
        gys = [rng.standard_normal(shape).astype(dtype) for shape, dtype in metas]
        before = [g.copy() for g in gys] + [t.data.copy() for t in fn.inputs]
        arrays = gys + [t.data for t in fn.inputs]
        writeable = [a.flags.writeable for a in arrays]
        for a in arrays:
            a.flags.writeable = False  # an in-place write raises right where it happens
        try:
            first = _copies(fn.backward(*gys, xp=fn.xp))
            second = _copies(fn.backward(*gys, xp=fn.xp))
        finally:
            for a, w in zip(arrays, writeable):
                if w:
                    a.flags.writeable = True
        for a, b in zip(arrays, before):
            np.testing.assert_array_equal(a, b, err_msg=f"{name}.backward changed gy or x")
        assert len(first) == len(fn.inputs), f"{name}.backward: one gradient per input"
        for i, (a, b, t) in enumerate(zip(first, second, fn.inputs)):
            if a is None or not fn.needs_input_grad[i]:
                continue
            assert a.shape == t.shape, f"{name}.backward: gradient {i} has shape {a.shape}"
            np.testing.assert_array_equal(a, b, err_msg=f"{name}.backward is not repeatable")


def check_float32(manabu_fn, arrays):
    """On float32 inputs, each Function whose float inputs are all float32 gives float32
    outputs and float32 gradients (Python scalars and index arrays must not upcast)."""
    m_in = [manabu.Tensor(a.astype(np.float32) if a.dtype.kind == "f" else a,
                          requires_grad=a.dtype.kind == "f") for a in arrays]
    outputs = _as_tuple(manabu_fn(*m_in))
    for fn in functions_of(outputs):
        name = type(fn).__name__
        if name == "Cast":
            continue  # changing the dtype is its job
        kinds = {t.dtype for t in fn.inputs if t.dtype.kind == "f"}
        if kinds != {np.dtype(np.float32)}:
            continue
        live = [o for o in (ref() for ref in fn.outputs) if o is not None]
        for o in live:
            if o.dtype.kind == "f":
                assert o.dtype == np.float32, f"{name} turned float32 inputs into {o.dtype}"
        gys = [np.ones(o.shape, dtype=o.dtype) for o in live]
        if len(gys) != len(fn.outputs):
            continue
        for i, g in enumerate(_as_tuple(fn.backward(*gys, xp=fn.xp))):
            if g is not None and fn.needs_input_grad[i]:
                assert g.dtype == fn.inputs[i].dtype, (
                    f"{name}.backward gives a {g.dtype} gradient for a "
                    f"{fn.inputs[i].dtype} input"
                )


def compare_second_order(torch_fn, manabu_fn, arrays, atol=1e-8, rtol=1e-6, seed=None):
    """First gradients built with create_graph=True, and the gradient of their projection
    (a Hessian-vector product), against PyTorch's double backward."""
    import torch

    m_in, t_in = _inputs(arrays, True)
    m_req = [m for m in m_in if m.requires_grad]
    t_req = [t for t in t_in if t.requires_grad]
    m_out, t_out = _as_tuple(manabu_fn(*m_in)), _as_tuple(torch_fn(*t_in))
    rng = np.random.default_rng(1)
    projections = [rng.standard_normal(t.shape) for t in t_out]
    m_loss = _projected_loss(m_out, projections, manabu.Tensor)
    t_loss = _projected_loss(t_out, projections, torch.tensor)
    m_g = manabu.grad(m_loss, m_req, create_graph=True, allow_unused=True)
    t_g = torch.autograd.grad(t_loss, t_req, create_graph=True, allow_unused=True)
    context = f"(seed {seed}, shapes {[a.shape for a in arrays]})"
    for i, (m, t) in enumerate(zip(m_g, t_g)):
        _assert_close(None if m is None else m.numpy(), None if t is None else t.detach().numpy(),
                      atol, rtol, f"create_graph gradient {i} differs from PyTorch {context}")
    vs = [rng.standard_normal(m.shape) for m in m_req]
    m_s = _projected_loss([g for g in m_g if g is not None],
                          [v for g, v in zip(m_g, vs) if g is not None], manabu.Tensor)
    t_s = _projected_loss([g for g in t_g if g is not None],
                          [v for g, v in zip(t_g, vs) if g is not None], torch.tensor)
    m_h = [None] * len(m_req)
    t_h = [None] * len(t_req)
    if m_s is not None:
        m_h = manabu.grad(m_s, m_req, allow_unused=True)
    if t_s is not None:
        t_h = torch.autograd.grad(t_s, t_req, allow_unused=True)
    for i, (m, t) in enumerate(zip(m_h, t_h)):
        _assert_close(None if m is None else m.numpy(),
                      None if t is None else t.numpy(force=True),
                      atol, rtol, f"second derivative of input {i} differs from PyTorch {context}")


def check_op(torch_fn, manabu_fn, shapes=None, arrays=None, low=-2.0, high=2.0,
             atol=1e-8, rtol=1e-6, check_grad=True, gradcheck_tol=(1e-5, 1e-3),
             second_order=None, ranges=None):
    """Oracle test (values + gradients vs PyTorch), backward purity, second order and
    gradcheck on random float64 inputs.

    Give ``shapes`` for uniform random inputs in [low, high) (or per input in
    ``ranges=[(low, high), ...]``), or ``arrays`` explicitly. ``second_order=None`` checks
    second order when every Function of the graph is ``twice_differentiable``; True
    insists on it, False skips it. ``gradcheck_tol=None`` skips gradcheck (for an op that
    rounds to float32 on the way, which central differences cannot see through).
    """
    seed = seed_for_run()
    rng = np.random.default_rng(seed)
    if arrays is None:
        ranges = ranges or [(low, high)] * len(shapes)
        arrays = [rng.uniform(lo, hi, size=s) for s, (lo, hi) in zip(shapes, ranges)]
    arrays = [np.asarray(a) for a in arrays]
    graph = compare_with_torch(torch_fn, manabu_fn, arrays, atol=atol, rtol=rtol,
                               grad=check_grad, seed=seed)
    if not check_grad:
        return seed
    check_float32(manabu_fn, arrays)
    if second_order is None:
        second_order = bool(graph) and all(fn.twice_differentiable for fn in graph)
    if second_order:
        compare_second_order(torch_fn, manabu_fn, arrays, atol=atol, rtol=rtol, seed=seed)
    if gradcheck_tol is None:
        return seed
    inputs = [manabu.Tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    gradcheck(manabu_fn, *inputs, atol=gradcheck_tol[0], rtol=gradcheck_tol[1], seed=seed)
    return seed


def build_in_float64(build, seed=0):
    """``build()`` with manabu seeded and float64 as the default dtype (restored after):
    a model whose weights can be copied into a ``.double()`` PyTorch twin."""
    manabu.manual_seed(seed)
    manabu.set_default_dtype(np.float64)
    try:
        return build()
    finally:
        manabu.set_default_dtype(np.float32)
