"""The public API of optim, data, train, models, io, model_registry, summary and gradcheck is
documented as PyTorch's ``nn.Linear`` is, annotated, and its docstring examples run.

The rule (issue 11, item 7), checked over every module of the packages ``manabu.optim``,
``manabu.data``, ``manabu.train`` and ``manabu.models`` and the modules ``manabu.io``,
``manabu.model_registry``, ``manabu.summary`` and ``manabu.gradcheck``:

- Public: the names in a module's ``__all__`` when it has one, else its names without a
  leading underscore; of those, the classes and functions defined in that module (a
  re-export is checked where it is defined). Public methods: the methods, class methods,
  static methods and properties (their getter) of a public class and of its base classes
  in these modules, named without a leading underscore, plus ``__init__`` and
  ``__call__``.
- Every public class has its own docstring with "Example" (a doctest), and "Args:" when
  its constructor takes named arguments; models and image transforms (subclasses of
  ``nn.Module`` and of ``data.Transform``) also have "Shape:". Every public function has a
  docstring.
- Every public function and method is annotated: each parameter except self/cls, *args
  and **kwargs, and the return (for a class without its own ``__init__``, the parameters
  of its constructor). Hints are strings (``from __future__ import annotations``) and
  each must evaluate in its module's namespace plus the imports of its
  ``if TYPE_CHECKING:`` block, so a hint cannot name something that does not exist.
- Every docstring example of every module runs as a doctest (``doctest.DocTestFinder``,
  with np, manabu, nn, optim, train, data and models in scope, NORMALIZE_WHITESPACE |
  ELLIPSIS): one test per module, failing on any failed example. Examples are short,
  deterministic (no random value printed), offline, and write only into temporary
  folders; the test restores manabu's random generator, default dtype and model registry
  after each module.
"""

import ast
import doctest
import importlib
import inspect
import pkgutil
import sys

import numpy as np
import pytest

import manabu
import manabu.data
import manabu.models
import manabu.nn
import manabu.optim
import manabu.train
from manabu import backend, model_registry, random
from manabu.data.transforms import Transform

PACKAGES = ["manabu.optim", "manabu.data", "manabu.train", "manabu.models"]
MODULES = ["manabu.io", "manabu.model_registry", "manabu.summary", "manabu.gradcheck"]

EXTRAGLOBS = {"np": np, "manabu": manabu, "nn": manabu.nn, "optim": manabu.optim,
              "train": manabu.train, "data": manabu.data, "models": manabu.models}
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _module_names():
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, package_name + "."):
            if ".embedded" not in info.name:  # the data files' folder
                names.append(info.name)
    return sorted(names + MODULES)


MODULE_NAMES = _module_names()


def _public(module):
    """(name, object) of the public classes and functions defined in ``module``."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    found, seen = [], set()
    for name in names:
        obj = getattr(module, name)
        defined_here = getattr(obj, "__module__", None) == module.__name__
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and defined_here:
            if id(obj) not in seen:  # an alias (AdaGrad = Adagrad) is checked once
                seen.add(id(obj))
                found.append((name, obj))
    return found


def _methods(cls):
    """(qualified name, function) of the public methods of ``cls`` and its manabu bases."""
    found = []
    for owner in cls.__mro__:
        if owner.__module__ not in MODULE_NAMES:
            continue
        for name, attr in vars(owner).items():
            if name.startswith("_") and name not in ("__init__", "__call__"):
                continue
            if isinstance(attr, (classmethod, staticmethod)):
                attr = attr.__func__
            elif isinstance(attr, property):
                attr = attr.fget
            if inspect.isfunction(attr):
                found.append((f"{owner.__name__}.{name}", attr))
    return found


_HINT_NAMESPACES = {}  # module name -> the namespace its hints are evaluated in


def _hint_namespace(module):
    """The module's globals plus what its ``if TYPE_CHECKING:`` block defines: imports and
    aliases for the hints only. A name that a manabu module does not have at run time is
    looked up in that module's own hint namespace: an alias defined only for type checking
    (``from manabu.optim.optimizer import Params``)."""
    if module.__name__ not in _HINT_NAMESPACES:
        namespace = dict(vars(module))
        for node in ast.parse(inspect.getsource(module)).body:
            if not (isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"):
                continue
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module.startswith("manabu"):
                    source = importlib.import_module(statement.module)
                    for alias in statement.names:
                        value = getattr(source, alias.name, None)
                        if value is None:
                            value = _hint_namespace(source)[alias.name]
                        namespace[alias.asname or alias.name] = value
                    continue
                code = compile(ast.Module(body=[statement], type_ignores=[]), module.__file__,
                               "exec")
                exec(code, namespace)
        _HINT_NAMESPACES[module.__name__] = namespace
    return _HINT_NAMESPACES[module.__name__]


def _annotation_problems(label, function, check_return=True):
    """What is missing or unresolvable in the hints of ``function``."""
    try:
        signature = inspect.signature(function)
    except ValueError:  # a builtin constructor (an exception class): nothing to annotate
        return []
    problems = []
    namespace = _hint_namespace(sys.modules[function.__module__])
    hints = []
    for position, parameter in enumerate(signature.parameters.values()):
        if position == 0 and parameter.name in ("self", "cls"):
            continue
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.annotation is parameter.empty:
            problems.append(f"{label}: parameter {parameter.name!r} has no type hint")
        else:
            hints.append(parameter.annotation)
    if check_return:
        if signature.return_annotation is signature.empty:
            problems.append(f"{label}: no return annotation")
        else:
            hints.append(signature.return_annotation)
    for hint in hints:
        if isinstance(hint, str):
            try:
                eval(hint, namespace)
            except Exception as error:  # a name that does not exist, a typo
                problems.append(f"{label}: hint {hint!r} does not resolve ({error})")
    return problems


@pytest.fixture
def isolated_state():
    """Examples see the documented defaults and leave no trace on other tests."""
    state = random.get_generator().bit_generator.state
    dtype = backend.get_default_dtype()
    registry = dict(model_registry._REGISTRY)
    backend.set_default_dtype(np.float32)
    try:
        yield
    finally:
        random.get_generator().bit_generator.state = state
        backend.set_default_dtype(dtype)
        model_registry._REGISTRY.clear()
        model_registry._REGISTRY.update(registry)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_docstring_examples_run(name, isolated_state):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    failed = 0
    for test in finder.find(module, name, extraglobs=EXTRAGLOBS):
        failed += runner.run(test, out=report.append).failed
    assert failed == 0, f"{failed} failed example(s) in {name}:\n" + "".join(report)


def test_the_modules_are_found():
    assert {"manabu.optim.adam", "manabu.data.text", "manabu.data.datasets.mnist",
            "manabu.train.callbacks", "manabu.models.cnn", "manabu.io"} <= set(MODULE_NAMES)


def _public_classes():
    return [(f"{name}.{cls.__name__}", cls) for name in MODULE_NAMES
            for _, cls in _public(importlib.import_module(name)) if inspect.isclass(cls)]


def _public_functions():
    return [(f"{name}.{fn.__name__}", fn) for name in MODULE_NAMES
            for _, fn in _public(importlib.import_module(name)) if inspect.isfunction(fn)]


def _takes_arguments(cls):
    try:
        parameters = inspect.signature(cls).parameters.values()
    except ValueError:  # a builtin constructor (exceptions): no named arguments
        return False
    return any(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


def test_public_classes_have_args_shape_and_example():
    problems = []
    for label, cls in _public_classes():
        doc = cls.__dict__.get("__doc__") or ""
        if "Example" not in doc:
            problems.append(f"{label}: no Example in its docstring")
        if _takes_arguments(cls) and "Args:" not in doc:
            problems.append(f"{label}: its constructor takes arguments but there is no Args:")
        if issubclass(cls, (manabu.nn.Module, Transform)) and "Shape:" not in doc:
            problems.append(f"{label}: a model or transform without Shape:")
    assert not problems, "\n".join(problems)


def test_public_functions_have_docstrings():
    missing = [label for label, fn in _public_functions() if not (fn.__doc__ or "").strip()]
    assert not missing, f"public functions without a docstring: {missing}"


def test_public_signatures_are_annotated():
    problems = []
    for label, fn in _public_functions():
        problems += _annotation_problems(label, fn)
    for label, cls in _public_classes():
        if "__init__" not in vars(cls) and cls.__module__ in MODULE_NAMES:
            # the constructor comes from elsewhere (a NamedTuple, a base class): its
            # parameters must be annotated; a base's __init__ is checked with the base
            problems += _annotation_problems(f"{label} (constructor)", cls, check_return=False)
        for name, method in _methods(cls):
            problems += _annotation_problems(f"{cls.__module__}.{name}", method)
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_rule_counts_what_it_checks():
    """A guard against a discovery that silently finds nothing."""
    assert len(_public_classes()) >= 60
    assert len(_public_functions()) >= 90
