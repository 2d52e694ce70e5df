"""The `manabu` command: train, evaluate, predict, generate, plot, lesson.

    manabu train                      # MLP on the embedded digits, prints test accuracy
    manabu train --dataset mnist-10k --epochs 10 --optimizer adam --lr 1e-3
    manabu evaluate runs/digits-mlp-20261123-101500
    manabu predict runs/digits-mlp-20261123-101500 images.npy
    manabu train --model gpt          # a character GPT on tiny-shakespeare (nanoGPT's CPU recipe)
    manabu generate runs/tiny-shakespeare-gpt-20261203-141500 --prompt "ROMEO:" --tokens 500
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

from manabu.cli import gan, gpt
from manabu.cli.args import (
    NON_NEGATIVE, POSITIVE, POSITIVE_INT, RATE, check_out_folder, exit_status, load_run,
    run_folder,
)


def _build_parser():
    parser = argparse.ArgumentParser(prog="manabu", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:]))
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and save it in a run folder")
    train.add_argument("--model", default="mlp",
                       help="mlp, cnn, lenet, vgg, resnet20, gpt, dcgan, cgan or wgan-gp "
                            "(default: mlp)")
    train.add_argument("--dataset", default=None,
                       help="digits, mnist-10k, mnist, fashion-mnist or spiral; tiny-shakespeare "
                            "for gpt (default: digits; tiny-shakespeare for gpt; mnist-10k "
                            "for the GANs)")
    train.add_argument("--epochs", type=POSITIVE_INT, default=None,
                       help="passes over the data (default 30; gpt counts --max-iters)")
    train.add_argument("--batch-size", type=POSITIVE_INT, default=None,
                       help="examples per step (default 32; 12 for gpt)")
    train.add_argument("--optimizer", default=None,
                       help="sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw "
                            "(default: adam; gpt: adamw, the only one it takes)")
    train.add_argument("--lr", type=POSITIVE, default=None,
                       help="learning rate (default 1e-3; gpt: the peak of its schedule; "
                            "dcgan and cgan 2e-4, wgan-gp 1e-4)")
    train.add_argument("--weight-decay", type=NON_NEGATIVE, default=None,
                       help="weight decay (default 0; 0.1 for gpt, on its Linears' weights)")
    train.add_argument("--hidden", type=POSITIVE_INT, nargs="+", default=None,
                       help="MLP hidden layer sizes (default: 256 128)")
    train.add_argument("--dropout", type=RATE, default=0.0,
                       help="dropout rate of the MLP, the CNNs that have one and gpt (default 0)")
    train.add_argument("--val-fraction", type=RATE, default=None,
                       help="share of the training data held out for validation curves "
                            "(default 0.1; gpt: the last 10%% of the text)")
    train.add_argument("--seed", type=int, default=0,
                       help="seed for weights, shuffling and the split (default 0)")
    train.add_argument("--out", default="runs", help="folder for run folders (default: runs)")
    train.add_argument("--quiet", action="store_true", help="no progress bar or epoch lines")
    gpt.add_train_arguments(train)
    gan.add_train_arguments(train)

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved run")
    evaluate.add_argument("run", help="a run folder written by `manabu train`")

    predict = commands.add_parser("predict", help="classify inputs with a saved run")
    predict.add_argument("run", help="a run folder written by `manabu train`")
    predict.add_argument("input", help=".npy file: one example or a batch (N, ...)")

    plot = commands.add_parser("plot", help="draw a figure")
    plot.add_argument("what", choices=["activations"])
    plot.add_argument("--out", default="activations.png", help="PNG file to write")

    gpt.add_generate_parser(commands)
    gan.add_sample_parser(commands)

    lesson = commands.add_parser("lesson", help="run a lesson from the notes")
    lesson.add_argument("name", nargs="?", help="lesson name (see --list)")
    lesson.add_argument("--list", action="store_true", help="list the lessons")
    lesson.add_argument("--quick", action="store_true", help="a fast, smaller run")
    lesson.add_argument("--out", default="lessons-output", help="folder for figures")
    return parser


# the classifiers' defaults of the options whose default depends on the model (gpt.py has gpt's)
CLASSIFIER_DEFAULTS = {"dataset": "digits", "epochs": 30, "batch_size": 32, "optimizer": "adam",
                       "lr": 1e-3, "weight_decay": 0.0, "hidden": [256, 128],
                       "val_fraction": 0.1}


def command_train(args):
    resuming_gan = args.resume is not None and gan.is_gan_run(args.resume)
    if args.model in gan.GAN_MODELS or resuming_gan:
        gpt.refuse_gpt_options(args)
        return gan.command_train(args, gpt.parser_defaults())
    if args.no_fid:
        raise ValueError(f"--no-fid applies to the GANs only (this run trains {args.model})")
    if args.model == "gpt" or args.resume is not None:
        return gpt.command_train(args)
    gpt.refuse_gpt_options(args)
    for key, value in CLASSIFIER_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    import manabu
    from manabu import io, models, nn, optim, plot, train
    from manabu.data import TensorDataset, train_val_split
    from manabu.data.datasets import load_classification

    check_out_folder(args.out)
    manabu.manual_seed(args.seed)
    data = load_classification(args.dataset, seed=args.seed, images=args.model != "mlp")
    model = models.build(args.model, input_shape=data.input_shape, num_classes=data.num_classes,
                         hidden_sizes=args.hidden, dropout=args.dropout)
    optimizer = optim.build(args.optimizer, model.parameters(), lr=args.lr,
                            weight_decay=args.weight_decay)
    full = TensorDataset(data.x_train, data.y_train)
    train_set, val_set = train_val_split(full, val_fraction=args.val_fraction, seed=args.seed)
    folder = run_folder(args.out, args.dataset, args.model)
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
    return exit_status(history, args.lr)


def command_evaluate(args):
    from manabu import nn, train
    from manabu.data.datasets import load_classification

    model = load_run(args.run)
    if gpt.is_language_model(model):
        return gpt.command_evaluate(args, model)
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

    model = load_run(args.run)
    if gpt.is_language_model(model):
        raise ValueError(f"{args.run} holds a language model, which does not classify arrays; "
                         f"write text with `manabu generate {args.run}`")
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
                "predict": command_predict, "generate": gpt.command_generate,
                "sample": gan.command_sample,
                "plot": command_plot, "lesson": command_lesson}
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
