"""The `manabu` command: train, evaluate, predict, plot, lesson.

    manabu train                      # MLP on the embedded digits, prints test accuracy
    manabu train --dataset mnist-10k --epochs 10 --optimizer adam --lr 1e-3
    manabu evaluate runs/digits-mlp-20261123-101500
    manabu predict runs/digits-mlp-20261123-101500 images.npy
    manabu plot activations
    manabu lesson --list
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np


def _bounded(kind, low, high=None, low_open=False, what="a number"):
    """An argparse type: ``kind`` within [low, high) (or (low, high) when ``low_open``)."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if too_low or (high is not None and value >= high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    return parse


_POSITIVE_INT = _bounded(int, 1, what="a whole number >= 1")
_RATE = _bounded(float, 0.0, 1.0, what="a number in [0, 1)")


def _build_parser():
    parser = argparse.ArgumentParser(prog="manabu", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:]))
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and save it in a run folder")
    train.add_argument("--model", default="mlp",
                       help="mlp, cnn, lenet, vgg or resnet20 (default: mlp)")
    train.add_argument("--dataset", default="digits",
                       help="digits, mnist-10k, mnist, fashion-mnist or spiral (default: digits)")
    train.add_argument("--epochs", type=_POSITIVE_INT, default=30,
                       help="passes over the data (default 30)")
    train.add_argument("--batch-size", type=_POSITIVE_INT, default=32,
                       help="examples per step (default 32)")
    train.add_argument("--optimizer", default="adam",
                       help="sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw "
                            "(default: adam)")
    train.add_argument("--lr", type=_bounded(float, 0.0, low_open=True, what="a number > 0"),
                       default=1e-3, help="learning rate (default 1e-3)")
    train.add_argument("--weight-decay", type=_bounded(float, 0.0, what="a number >= 0"),
                       default=0.0,
                       help="L2 weight decay (default 0)")
    train.add_argument("--hidden", type=_POSITIVE_INT, nargs="+", default=[256, 128],
                       help="MLP hidden layer sizes (default: 256 128)")
    train.add_argument("--dropout", type=_RATE, default=0.0,
                       help="dropout rate of the MLP and CNNs that have one (default 0)")
    train.add_argument("--val-fraction", type=_RATE, default=0.1,
                       help="share of the training data held out for validation curves "
                            "(default 0.1)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed for weights, shuffling and the split (default 0)")
    train.add_argument("--out", default="runs", help="folder for run folders (default: runs)")
    train.add_argument("--quiet", action="store_true", help="no progress bar or epoch lines")

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved run")
    evaluate.add_argument("run", help="a run folder written by `manabu train`")

    predict = commands.add_parser("predict", help="classify inputs with a saved run")
    predict.add_argument("run", help="a run folder written by `manabu train`")
    predict.add_argument("input", help=".npy file: one example or a batch (N, ...)")

    plot = commands.add_parser("plot", help="draw a figure")
    plot.add_argument("what", choices=["activations"])
    plot.add_argument("--out", default="activations.png", help="PNG file to write")

    lesson = commands.add_parser("lesson", help="run a lesson from the notes")
    lesson.add_argument("name", nargs="?", help="lesson name (see --list)")
    lesson.add_argument("--list", action="store_true", help="list the lessons")
    lesson.add_argument("--quick", action="store_true", help="a fast, smaller run")
    lesson.add_argument("--out", default="lessons-output", help="folder for figures")
    return parser


def _check_out_folder(out):
    """Make sure run folders can be created in ``out`` before any work starts."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out} is a file, not a folder; give a folder for run folders")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot create the --out folder {out}: {error.strerror}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write in the --out folder {out} (permission denied); give "
                         "a folder you can write in")


def _run_folder(out, dataset, model):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = os.path.join(out, f"{dataset}-{model}-{stamp}")
    suffix = 1
    while os.path.exists(folder):
        suffix += 1
        folder = os.path.join(out, f"{dataset}-{model}-{stamp}-{suffix}")
    os.makedirs(folder)
    return folder


def command_train(args):
    import manabu
    from manabu import io, models, nn, optim, plot, train
    from manabu.data import TensorDataset, train_val_split
    from manabu.data.datasets import load_classification

    _check_out_folder(args.out)
    manabu.manual_seed(args.seed)
    data = load_classification(args.dataset, seed=args.seed, images=args.model != "mlp")
    model = models.build(args.model, input_shape=data.input_shape, num_classes=data.num_classes,
                         hidden_sizes=args.hidden, dropout=args.dropout)
    optimizer = optim.build(args.optimizer, model.parameters(), lr=args.lr,
                            weight_decay=args.weight_decay)
    full = TensorDataset(data.x_train, data.y_train)
    train_set, val_set = train_val_split(full, val_fraction=args.val_fraction, seed=args.seed)
    folder = _run_folder(args.out, args.dataset, args.model)
    verbose = 0 if args.quiet else 1
    if verbose:
        print(f"training {args.model} on {args.dataset}: {len(train_set)} training, "
              f"{len(val_set)} validation, {len(data.x_test)} test examples; "
              f"{sum(p.size for p in model.parameters()):,} parameters", flush=True)
    started = time.perf_counter()
    history = train.fit(model, nn.CrossEntropyLoss(), optimizer, train_set, val_data=val_set,
                        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                        callbacks=[train.CSVLogger(os.path.join(folder, "history.csv"))],
                        verbose=verbose)
    seconds = time.perf_counter() - started
    test = train.evaluate(model, nn.CrossEntropyLoss(), (data.x_test, data.y_test))
    config = {k: v for k, v in vars(args).items() if k != "func"}
    metrics = {"test_loss": test["loss"], "test_accuracy": test["accuracy"],
               "train_seconds": seconds, "epochs": history.epochs, "config": config}
    io.write_json(os.path.join(folder, "metrics.json"), metrics)
    plot.training_curves(history, os.path.join(folder, "curves.png"),
                         title=f"{args.model} on {args.dataset}")
    io.save(model, os.path.join(folder, "model.safetensors"),
            metadata={"dataset": args.dataset, "seed": args.seed})
    print(f"test accuracy {100 * test['accuracy']:.2f}% (loss {test['loss']:.4f}) "
          f"after {len(history)} epochs in {seconds:.1f}s")
    print(f"run folder: {folder} (model.safetensors, model.json, metrics.json, curves.png)")
    if history.diverged_at is not None:
        print(f"manabu train: training diverged (epoch {history.diverged_at}'s loss grew far "
              f"above the first step's); run again with a smaller --lr than {args.lr:g}",
              file=sys.stderr)
        return 1
    return 0


def _load_run(run):
    from manabu import io

    path = os.path.join(run, "model.safetensors")
    if not os.path.isfile(path):
        raise ValueError(f"{run} has no model.safetensors; give a folder written by "
                         "`manabu train`")
    return io.load(path)


def command_evaluate(args):
    from manabu import nn, train
    from manabu.data.datasets import load_classification

    model = _load_run(args.run)
    meta = model.metadata
    dataset, seed = meta.get("dataset"), meta.get("seed", 0)
    if not isinstance(dataset, str) or isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(
            f"{args.run}: the model's metadata names no data set (it needs 'dataset' and an "
            "integer 'seed', as `manabu train` writes); evaluate it in Python with "
            "manabu.train.evaluate(model, loss, (x, y))"
        )
    data = load_classification(dataset, seed=seed, images=type(model).__name__ != "MLP")
    result = train.evaluate(model, nn.CrossEntropyLoss(), (data.x_test, data.y_test))
    print(f"{meta['dataset']} test accuracy {100 * result['accuracy']:.2f}% "
          f"(loss {result['loss']:.4f}, {len(data.x_test)} examples)")
    return 0


def command_predict(args):
    from manabu import functional as F
    from manabu import train
    from manabu.autograd import Tensor

    model = _load_run(args.run)
    try:
        inputs = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {args.input} as a .npy array: {error}") from None
    config = model.config
    expected = tuple(config.get("input_shape") or (config.get("in_features"),))
    if None in expected:
        raise ValueError(f"{args.run}: a {type(model).__name__} does not classify arrays; "
                         "predict works on the run folders of `manabu train`")
    per_example = math.prod(expected)
    count = 1 if inputs.size == per_example else len(inputs) if inputs.ndim else 0
    if inputs.size == 0 or count * per_example != inputs.size:
        raise ValueError(f"{args.input} holds an array of shape {inputs.shape}; the model "
                         f"takes examples of shape {expected}, one or a batch (N, *{expected})")
    inputs = inputs.astype(np.float32).reshape((count,) + expected)
    probabilities = F.softmax(Tensor(train.predict(model, inputs)), axis=-1).numpy()
    for i, row in enumerate(probabilities):
        top = np.argsort(row)[::-1][:3]
        ranked = ", ".join(f"{c}: {row[c]:.3f}" for c in top)
        print(f"{i}: class {top[0]}  ({ranked})")
    return 0


def command_plot(args):
    from manabu.lessons import activations

    path = activations.draw(args.out)
    print(f"wrote {path}")
    return 0


def command_lesson(args):
    from manabu import lessons

    if args.list or not args.name:
        for name, summary in lessons.catalog():
            print(f"{name:24s} {summary}")
        return 0
    result = lessons.run(args.name, quick=args.quick, out=args.out)
    print(json.dumps(result, indent=2, default=float))
    return 0


def main(argv=None):
    args = _build_parser().parse_args(argv)
    handlers = {"train": command_train, "evaluate": command_evaluate,
                "predict": command_predict, "plot": command_plot, "lesson": command_lesson}
    try:
        return handlers[args.command](args)
    except (ValueError, OSError) as error:  # user errors: a message, no traceback
        print(f"manabu {args.command}: {error}", file=sys.stderr)
        return 2
    except FloatingPointError as error:  # a NaN loss or gradient stopped training
        print(f"manabu {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
