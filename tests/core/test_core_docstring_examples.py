"""The docstrings of manabu's core: every example runs, and the public API is documented and typed.

The rule (issue 11, item 7), over the modules manabu.tensor, manabu.autograd, manabu.backend,
manabu.random, manabu.functions, manabu.plot, manabu.allocator, manabu.atomic, and
manabu.functional with every module under it:

- Examples: each of those modules is one test case. Its examples (doctest.DocTestFinder,
  methods included) run with ``np``, ``manabu``, ``F`` (manabu.functional) and ``functions``
  (manabu.functions) as globals, with NORMALIZE_WHITESPACE | ELLIPSIS; any failed example
  fails the case. manabu's global random generator and default dtype are restored
  afterwards, so the examples leave the other tests' random streams alone.
- Sections: the public classes Tensor, Function, no_grad, enable_grad and TensorMath have
  "Example" in their own docstring, and "Args:" when their constructor takes an argument
  (``inspect.signature(cls)`` lists one); Tensor, whose values have a shape, also has
  "Shape:". The main ops of manabu.functional (``MAIN``: arithmetic, a reduction, shape ops,
  activations, softmax, the losses, linear, conv2d, pooling, normalisation, lstm,
  embedding, dropout, attention) have "Args:" and "Example"; the other ops have a docstring
  where their name does not say it all, and an example where one helps.
- Annotations: every parameter (but self, cls, *args and **kwargs) and the return are
  annotated on: every function in ``manabu.functional.__all__``; every method and property
  defined in the body of Tensor (operators included), and ``tensor`` and ``unwrap``; the
  functions of ``__all__`` of manabu.autograd and manabu.functions, with the public methods
  of Function, no_grad and enable_grad (names without a leading underscore, plus
  ``__init__``, ``__new__``, ``__call__``, ``__enter__`` and ``__exit__``); the public
  functions (no leading underscore, defined there) of manabu.backend, manabu.random,
  manabu.plot, manabu.allocator and manabu.atomic. Each hint, *args and **kwargs included,
  must evaluate in its module's namespace plus the statements of its ``if TYPE_CHECKING:``
  block: a hint cannot name something that does not exist.
- Hints cost nothing at import: each module starts with ``from __future__ import
  annotations`` (its hints are strings) except manabu.functions, whose one import must be
  numpy (tests/textbook/test_functions.py): its hints are np.ndarray and builtins, evaluated once at
  import, and its one hint naming ``Callable`` is a string, evaluated here with
  collections.abc's ``Callable``.
"""

import ast
import collections.abc
import doctest
import importlib
import inspect
import pkgutil
import sys

import numpy as np
import pytest

import manabu
import manabu.functional as F
from manabu import allocator, atomic, autograd, backend, functions, plot
from manabu import random as manabu_random
from manabu.functional.tensor_math import TensorMath

tensor_module = sys.modules["manabu.tensor"]  # ``manabu.tensor`` is also the function

MODULES = sorted(
    ["manabu.tensor", "manabu.autograd", "manabu.backend", "manabu.random", "manabu.functions",
     "manabu.plot", "manabu.allocator", "manabu.atomic", "manabu.functional"]
    + [info.name for info in pkgutil.walk_packages(F.__path__, "manabu.functional.")]
)
EXTRAGLOBS = {"np": np, "manabu": manabu, "F": manabu.functional, "functions": manabu.functions}
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
CLASSES = {"Tensor": manabu.Tensor, "Function": autograd.Function, "no_grad": manabu.no_grad,
           "enable_grad": manabu.enable_grad, "TensorMath": TensorMath}
MAIN = [
    "add", "matmul", "sum", "mean", "max", "reshape", "concatenate", "relu", "softmax",
    "cross_entropy", "mse_loss", "linear", "conv2d", "max_pool2d", "batch_norm", "layer_norm",
    "lstm", "embedding", "dropout", "scaled_dot_product_attention",
]
DUNDERS = ("__init__", "__new__", "__call__", "__enter__", "__exit__")


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder().find(module, module_name, extraglobs=EXTRAGLOBS)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = []
    state = manabu_random.get_generator().bit_generator.state
    dtype = backend.get_default_dtype()
    try:
        for test in sorted(tests, key=lambda t: t.name):
            runner.run(test, out=report.append)
    finally:
        manabu_random.get_generator().bit_generator.state = state
        backend.set_default_dtype(dtype)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)


def test_every_module_is_found():
    assert {"manabu.functional.conv", "manabu.functional.lstm", "manabu.functional.tensor_math",
            "manabu.tensor", "manabu.functions"} <= set(MODULES)


@pytest.mark.parametrize("module_name", MODULES)
def test_hints_cost_nothing_at_import(module_name):
    source = inspect.getsource(importlib.import_module(module_name))
    body = ast.parse(source).body
    first = body[1] if body and isinstance(body[0], ast.Expr) else body[0]  # after the docstring
    if module_name in ("manabu.functional", "manabu.functions"):  # see the module docstring
        return
    assert isinstance(first, ast.ImportFrom) and first.module == "__future__", (
        f"{module_name} does not start with `from __future__ import annotations`")


# ------------------------------------------------------------------------------- sections
def _takes_arguments(cls):
    try:
        parameters = inspect.signature(cls).parameters.values()
    except ValueError:
        return False
    return any(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_docstring_has_the_sections(name):
    cls = CLASSES[name]
    doc = cls.__dict__.get("__doc__") or ""
    missing = [section for section, needed in (
        ("Args:", _takes_arguments(cls)),
        ("Shape:", cls is manabu.Tensor),
        ("Example", True),
    ) if needed and section not in doc]
    assert not missing, f"{name}'s docstring lacks {missing}"


@pytest.mark.parametrize("name", MAIN)
def test_main_ops_have_args_and_example(name):
    doc = inspect.getdoc(getattr(F, name)) or ""
    missing = [section for section in ("Args:", "Example") if section not in doc]
    assert not missing, f"F.{name}'s docstring lacks {missing}"


# ---------------------------------------------------------------------------- annotations
_HINT_NAMESPACES = {}


def _hint_namespace(module):
    """The module's globals plus what its ``if TYPE_CHECKING:`` block imports or defines."""
    if module.__name__ not in _HINT_NAMESPACES:
        namespace = dict(vars(module))
        if module is functions:  # NumPy only: its one string hint names Callable
            namespace["Callable"] = collections.abc.Callable
        for node in ast.parse(inspect.getsource(module)).body:
            if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
                code = compile(ast.Module(body=node.body, type_ignores=[]), module.__file__,
                               "exec")
                exec(code, namespace)
        _HINT_NAMESPACES[module.__name__] = namespace
    return _HINT_NAMESPACES[module.__name__]


def _problems(label, function):
    """What is missing or unresolvable in the hints of ``function``."""
    signature = inspect.signature(function)
    namespace = _hint_namespace(sys.modules[function.__module__])
    problems, hints = [], []
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    for position, parameter in enumerate(signature.parameters.values()):
        if parameter.annotation is not parameter.empty:
            hints.append(parameter.annotation)
        elif not (position == 0 and parameter.name in ("self", "cls")) and \
                parameter.kind not in variadic:
            problems.append(f"{label}: parameter {parameter.name!r} has no type hint")
    if signature.return_annotation is signature.empty:
        problems.append(f"{label}: no return annotation")
    else:
        hints.append(signature.return_annotation)
    for hint in hints:
        if not isinstance(hint, str):
            continue  # evaluated at import (manabu.functions): it exists
        try:
            eval(hint, namespace)
        except Exception as error:  # a name that does not exist, a typo
            problems.append(f"{label}: hint {hint!r} does not resolve ({error})")
    return problems


def _as_function(value):
    if isinstance(value, (staticmethod, classmethod)):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


def _methods(cls, everything=False):
    """(qualified name, function) of cls's methods from manabu.autograd / manabu.tensor
    classes in its MRO: all of them (``everything``) or the public ones and DUNDERS."""
    found, seen = [], set()
    for owner in cls.__mro__:
        if owner.__module__ not in ("manabu.autograd", "manabu.tensor"):
            continue
        for name, value in vars(owner).items():
            public = not name.startswith("_") or name in DUNDERS
            function = _as_function(value)
            if name in seen or not (everything or public) or not inspect.isfunction(function):
                continue
            seen.add(name)
            found.append((f"{owner.__name__}.{name}", function))
    return found


def _module_functions(module, names=None):
    names = names if names is not None else [n for n in vars(module) if not n.startswith("_")]
    return [(f"{module.__name__}.{name}", getattr(module, name)) for name in names
            if inspect.isfunction(getattr(module, name))
            and getattr(module, name).__module__ == module.__name__]


def _functional():
    return [(f"F.{name}", getattr(F, name)) for name in F.__all__
            if inspect.isfunction(getattr(F, name))]


def _tensor_methods():
    return (_methods(manabu.Tensor, everything=True)
            + _module_functions(tensor_module, ["tensor", "unwrap"]))


def _core_functions():
    found = _module_functions(autograd, autograd.__all__)
    found += _module_functions(functions, functions.__all__)
    for module in (backend, manabu_random, plot, allocator, atomic):
        found += _module_functions(module)
    for cls in (autograd.Function, manabu.no_grad, manabu.enable_grad):
        found += _methods(cls)
    return sorted(set(found), key=lambda item: item[0])


GROUPS = {"functional": _functional, "tensor": _tensor_methods, "core": _core_functions}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_public_signatures_are_annotated(group):
    problems = []
    for label, function in GROUPS[group]():
        problems += _problems(label, function)
    assert not problems, "\n".join(problems)


def test_the_rule_counts_what_it_checks():
    """A guard against a discovery that silently finds nothing."""
    assert len(_functional()) >= 115  # 118 when written
    tensor_names = {label.split(".")[-1] for label, _ in _tensor_methods()}
    assert {"__init__", "__add__", "shape", "backward", "sum", "T", "tensor"} <= tensor_names
    core_names = {label.split(".")[-1] for label, _ in _core_functions()}
    assert {"grad", "run_backward", "apply", "manual_seed", "get_array_module", "softmax",
            "numerical_gradient", "training_curves", "keep_freed_memory",
            "write_bytes"} <= core_names
