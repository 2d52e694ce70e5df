"""The docstrings of manabu.nn: every example runs, and the public API is documented and typed.

Examples: every module under manabu/nn is one test case. Its examples (found by
doctest.DocTestFinder, methods included) run with ``np``, ``manabu`` and ``nn`` as globals,
with NORMALIZE_WHITESPACE | ELLIPSIS; any failed example fails the case. manabu's global
random generator is restored afterwards, so the examples leave the other tests' random
streams alone. A module whose examples import torch is skipped when torch is missing.

Sections (PyTorch's layout), for every class in ``nn.__all__``:
- "Args:" when its constructor takes an argument (``inspect.signature(cls)`` lists one);
- "Shape:" when it is a layer: a subclass of nn.Module other than Module itself and the
  containers (Sequential, ModuleList, ModuleDict), i.e. everything whose forward computes on
  tensors; Parameter, Hypothesis and the containers need none;
- "Example" always.
Every function in ``nn.__all__`` and ``nn.init.__all__`` has "Args:" and "Example".

Annotations: every parameter (but self, cls, *args and **kwargs) of these signatures is
annotated: each class's constructor; each public method (a name without a leading
underscore, and ``__init__``) defined by a class of manabu.nn in the class's MRO, which also
needs a return annotation (``forward`` included); each public function of ``nn.__all__``
and ``nn.init.__all__``, with its return annotation too.
"""

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import manabu
import manabu.nn as nn
from manabu import random as manabu_random

MODULES = sorted(
    ["manabu.nn"] + [info.name for info in pkgutil.walk_packages(nn.__path__, "manabu.nn.")]
)
CONTAINERS = (nn.Module, nn.Sequential, nn.ModuleList, nn.ModuleDict)
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _public(module, kind):
    """The objects of ``module.__all__`` that are classes (kind 'class') or functions."""
    check = inspect.isclass if kind == "class" else inspect.isfunction
    return [(name, getattr(module, name)) for name in module.__all__
            if check(getattr(module, name))]


CLASSES = _public(nn, "class")
FUNCTIONS = _public(nn, "function") + [(f"init.{name}", fn) for name, fn in
                                       _public(nn.init, "function")]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder()
    tests = finder.find(module, module_name,
                        extraglobs={"np": np, "manabu": manabu, "nn": manabu.nn})
    if any("import torch" in example.source for t in tests for example in t.examples):
        pytest.importorskip("torch")
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = []
    state = manabu_random.get_generator().bit_generator.state
    try:
        for test in sorted(tests, key=lambda t: t.name):
            runner.run(test, out=report.append)
    finally:
        manabu_random.get_generator().bit_generator.state = state
    results = runner.summarize(verbose=False)
    assert results.failed == 0, "".join(report)


def test_every_module_is_found():
    assert {"manabu.nn.linear", "manabu.nn.init", "manabu.nn.sampling"} <= set(MODULES)


def _needs_shape(cls):
    return issubclass(cls, nn.Module) and cls not in CONTAINERS


def _takes_arguments(cls):
    return len(inspect.signature(cls).parameters) > 0


@pytest.mark.parametrize("name, cls", CLASSES, ids=[name for name, _ in CLASSES])
def test_class_docstring_has_the_sections(name, cls):
    doc = inspect.getdoc(cls) or ""
    missing = [section for section, needed in (
        ("Args:", _takes_arguments(cls)),
        ("Shape:", _needs_shape(cls)),
        ("Example", True),
    ) if needed and section not in doc]
    assert not missing, f"nn.{name}'s docstring lacks {missing}"


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[name for name, _ in FUNCTIONS])
def test_function_docstring_has_the_sections(name, fn):
    doc = inspect.getdoc(fn) or ""
    missing = [section for section in ("Args:", "Example") if section not in doc]
    assert not missing, f"nn.{name}'s docstring lacks {missing}"


def _unannotated(signature, skip=("self", "cls")):
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in signature.parameters.values()
            if p.name not in skip and p.kind not in variadic
            and p.annotation is inspect.Parameter.empty]


def _public_methods(cls):
    """(qualified name, function) of the public methods manabu.nn's classes give cls."""
    seen = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("manabu.nn"):
            continue
        for name, value in vars(klass).items():
            if name in seen or (name.startswith("_") and name != "__init__"):
                continue
            function = value.__func__ if isinstance(value, (staticmethod, classmethod)) \
                else value
            if inspect.isfunction(function):
                seen.add(name)
                yield f"{klass.__name__}.{name}", function


@pytest.mark.parametrize("name, cls", CLASSES, ids=[name for name, _ in CLASSES])
def test_class_signatures_are_annotated(name, cls):
    problems = [f"{name}(): {p} has no annotation" for p in
                _unannotated(inspect.signature(cls))]
    for qualname, method in _public_methods(cls):
        signature = inspect.signature(method)
        problems += [f"{qualname}: {p} has no annotation" for p in _unannotated(signature)]
        if signature.return_annotation is inspect.Signature.empty:
            problems.append(f"{qualname}: no return annotation")
    assert not problems, "\n".join(problems)


def test_forward_of_every_layer_is_checked():
    checked = {qualname.split(".")[-1] for _, cls in CLASSES
               for qualname, _ in _public_methods(cls)}
    assert "forward" in checked and "reset_parameters" in checked


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[name for name, _ in FUNCTIONS])
def test_function_signatures_are_annotated(name, fn):
    signature = inspect.signature(fn)
    problems = [f"{p} has no annotation" for p in _unannotated(signature, skip=())]
    if signature.return_annotation is inspect.Signature.empty:
        problems.append("no return annotation")
    assert not problems, f"nn.{name}: " + "; ".join(problems)
