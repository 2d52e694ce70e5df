"""`manabu train --model dcgan|cgan|wgan-gp` and `manabu sample`: a GAN on digit images, and
images drawn by a trained one.

    manabu train --model dcgan --dataset mnist-10k --epochs 15
    manabu train --model cgan                       # conditional: ask for a digit later
    manabu train --model wgan-gp                    # Wasserstein critic, gradient penalty
    manabu train --resume runs/mnist-10k-dcgan-20261203-141500     # after an interruption
    manabu train --resume runs/mnist-10k-dcgan-20261203-141500 --epochs 30   # train on
    manabu sample runs/mnist-10k-cgan-20261203-141500 --n 64 --label 3 --out threes.png

A GAN run folder holds generator.safetensors and discriminator.safetensors (+ .json),
args.json, checkpoint.safetensors (both networks, both optimizers and the loop's state
after every epoch, to resume from), samples/epoch-NNN.png (the same z every epoch; a row
per digit for cgan), history.csv, metrics.json (with the MNIST-FID of 2,000 samples and
its real-vs-real floor, for 28x28 digits) and curves.png.
"""

import csv
import io as text_io
import json
import os
import time

from manabu.cli.args import check_out_folder, run_folder

GAN_MODELS = {  # model -> (fit_gan options, D options, default lr, Adam betas)
    "dcgan": ({"loss": "non-saturating"}, {"norm": "batch"}, 2e-4, (0.5, 0.999)),
    "cgan": ({"loss": "non-saturating"}, {"norm": "batch"}, 2e-4, (0.5, 0.999)),
    "wgan-gp": ({"loss": "wasserstein", "n_critic": 5, "gp_weight": 10.0}, {"norm": "none"},
                1e-4, (0.5, 0.9)),
}
DEFAULTS = {"dataset": "mnist-10k", "epochs": 10, "batch_size": 64}
REFUSED = ("hidden", "val_fraction", "weight_decay", "optimizer")  # classifier options
LATENT, WIDTH, SAMPLES = 100, 32, 64


def add_train_arguments(train):
    group = train.add_argument_group("GANs (--model dcgan, cgan or wgan-gp)")
    group.add_argument("--no-fid", action="store_true",
                       help="skip the MNIST-FID at the end (it trains a small classifier)")


def add_sample_parser(commands):
    sample = commands.add_parser("sample", help="draw images with a trained GAN")
    sample.add_argument("run", help="a run folder written by `manabu train --model dcgan|cgan"
                                    "|wgan-gp`")
    sample.add_argument("--n", type=int, default=64, help="images to draw (default 64)")
    sample.add_argument("--label", type=int, default=None,
                        help="the class to draw (cgan runs; default: every class in turn)")
    sample.add_argument("--seed", type=int, default=0, help="seed of z (default 0)")
    sample.add_argument("--out", default="samples.png", help="the PNG grid to write")


def _models(model, channels, size):
    from manabu import models

    classes = 10 if model == "cgan" else 0
    G = models.DCGANGenerator(LATENT, channels=channels, width=WIDTH, image_size=size,
                              num_classes=classes)
    D = models.DCGANDiscriminator(channels=channels, width=WIDTH, image_size=size,
                                  num_classes=classes, **GAN_MODELS[model][1])
    return G, D


def _images(dataset, seed):
    """The training images in [-1, 1], their labels, and the test split (in [0, 1])."""
    from manabu.data.datasets import load_classification

    data = load_classification(dataset, seed=seed, images=True)
    shape = data.input_shape
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] % 4:
        raise ValueError(f"a GAN trains on square images whose side is a multiple of 4; "
                         f"--dataset {dataset} has examples of shape {shape}")
    return 2 * data.x_train - 1, data.y_train, data


def _refuse(args):
    for name in REFUSED:
        if getattr(args, name) is not None:
            raise ValueError(f"--{name.replace('_', '-')} does not apply to --model {args.model}")


def _resumed(args, parser_defaults):
    """The options a run was started with; --epochs (the last epoch to reach) and --quiet
    may be given anew."""
    changed = [key for key in vars(args) if key not in ("command", "resume", "quiet", "epochs")
               and getattr(args, key) != parser_defaults.get(key)]
    if changed:
        raise ValueError("--resume continues a run with the options it was started with; "
                         f"leave out --{changed[0].replace('_', '-')} (only --epochs, the "
                         "epoch to train up to, may change)")
    if not os.path.isfile(os.path.join(args.resume, "checkpoint.safetensors")):
        raise ValueError(f"{args.resume} has no checkpoint.safetensors: it stopped before its "
                         "first epoch ended; start it again")
    with open(os.path.join(args.resume, "args.json"), encoding="utf-8") as handle:
        saved = json.load(handle)
    epochs = args.epochs if args.epochs is not None else saved["epochs"]
    return {**saved, "quiet": args.quiet, "resume": args.resume, "epochs": epochs}, args.resume


def command_train(args, parser_defaults):
    import argparse

    import manabu
    from manabu import io, models, optim, plot, train

    if args.resume is not None:
        options, folder = _resumed(args, parser_defaults)
        args = argparse.Namespace(**options)
    else:
        _refuse(args)
        for key, value in DEFAULTS.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
        args.lr = args.lr or GAN_MODELS[args.model][2]
        check_out_folder(args.out)
        folder = None
    x, y, split = _images(args.dataset, args.seed)
    if folder is None:
        folder = run_folder(args.out, args.dataset, args.model)
    io.write_json(os.path.join(folder, "args.json"),  # a resumed run keeps its new --epochs
                  {k: v for k, v in vars(args).items() if k not in ("command", "resume")})
    loop, _, _, betas = GAN_MODELS[args.model]
    manabu.manual_seed(args.seed)
    G, D = _models(args.model, x.shape[1], x.shape[2])
    g_opt = optim.Adam(G.parameters(), args.lr, betas=betas)
    d_opt = optim.Adam(D.parameters(), args.lr, betas=betas)
    checkpoint = os.path.join(folder, "checkpoint.safetensors")
    resume = checkpoint if args.resume is not None else None
    os.makedirs(os.path.join(folder, "samples"), exist_ok=True)
    grid_labels = None
    if args.model == "cgan":
        import numpy as np

        grid_labels = np.repeat(np.arange(10), 8)  # a row of 8 per digit

    def draw(epoch, history):
        n = SAMPLES if grid_labels is None else len(grid_labels)
        images = models.sample_generator(G, n, labels=grid_labels, seed=args.seed + 1)
        plot.image_grid((images + 1) / 2, os.path.join(folder, "samples",
                                                       f"epoch-{epoch:03d}.png"), columns=8)

    if not args.quiet:
        print(f"training {args.model} on {args.dataset}: {len(x)} images {x.shape[1:]}, "
              f"G {sum(p.size for p in G.parameters()):,} and D "
              f"{sum(p.size for p in D.parameters()):,} parameters, {args.epochs} epochs"
              + (" (resumed)" if resume else ""), flush=True)
    started = time.perf_counter()
    history = train.fit_gan(G, D, g_opt, d_opt, (x, y) if args.model == "cgan" else x,
                            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                            checkpoint=checkpoint, resume=resume, verbose=0 if args.quiet else 1,
                            on_epoch_end=draw, **loop)
    seconds = time.perf_counter() - started
    metrics = {"d_loss": history["d_loss"][-1], "g_loss": history["g_loss"][-1],
               "train_seconds": seconds, "epochs": args.epochs,
               "config": {k: v for k, v in vars(args).items() if k != "command"}}
    if not getattr(args, "no_fid", False) and x.shape[1:] == (1, 28, 28):
        metrics.update(_fid(G, x, y, split, args))
    _write_history(history, os.path.join(folder, "history.csv"))
    io.write_json(os.path.join(folder, "metrics.json"), metrics)
    plot.curves({"D loss": history["d_loss"], "G loss": history["g_loss"]},
                os.path.join(folder, "curves.png"), title=f"{args.model} on {args.dataset}")
    meta = {"dataset": args.dataset, "seed": args.seed, "task": "gan", "model": args.model}
    io.save(G, os.path.join(folder, "generator.safetensors"), metadata=meta)
    io.save(D, os.path.join(folder, "discriminator.safetensors"), metadata=meta)
    if "fid" in metrics:
        print(f"MNIST-FID of 2,000 samples {metrics['fid']:.2f} (real-vs-real floor "
              f"{metrics['fid_floor']:.2f})")
    print(f"run folder: {folder} (generator.safetensors, samples/, checkpoint.safetensors, "
          f"metrics.json, curves.png); draw images with `manabu sample {folder}`")
    return 0


def _fid(G, x, y, split, args):
    import numpy as np

    from manabu import models

    judge = models.MNISTFID.fit((x + 1) / 2, y, epochs=3, seed=args.seed)
    n = min(2000, len(split.x_test), len(x))
    labels = np.arange(n) % 10 if args.model == "cgan" else None
    samples = (models.sample_generator(G, n, labels=labels, seed=args.seed + 2) + 1) / 2
    reference = judge.statistics(split.x_test[:n])
    return {"fid": judge.score(np.clip(samples, 0, 1), reference),
            "fid_floor": judge.floor((x + 1) / 2, split.x_test, n, seed=args.seed)}


def _write_history(history, path):
    from manabu import atomic

    keys = [k for k in history if len(history[k]) == len(history["d_loss"])]
    buffer = text_io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["epoch"] + keys)
    for i in range(len(history["d_loss"])):
        writer.writerow([i + 1] + [history[k][i] for k in keys])
    atomic.write_text(path, buffer.getvalue())


def is_gan_run(folder):
    path = os.path.join(folder, "args.json")
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8") as handle:
        return json.load(handle).get("model") in GAN_MODELS


def command_sample(args):
    import numpy as np

    from manabu import io, models, plot

    path = os.path.join(args.run, "generator.safetensors")
    if not os.path.isfile(path):
        raise ValueError(f"{args.run} has no generator.safetensors; give a run folder of "
                         "`manabu train --model dcgan|cgan|wgan-gp` that finished")
    G = io.load(path)
    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}")
    classes = getattr(G, "num_classes", 0)
    if args.label is not None and not classes:
        raise ValueError(f"{args.run} holds an unconditional generator; --label needs a run "
                         "of --model cgan")
    if args.label is not None and not 0 <= args.label < classes:
        raise ValueError(f"--label must be in [0, {classes}), got {args.label}")
    labels = None
    if classes:
        labels = np.full(args.n, args.label) if args.label is not None \
            else np.arange(args.n) % classes
    images = models.sample_generator(G, args.n, labels=labels, seed=args.seed)
    columns = classes if classes and args.label is None else 8
    out = plot.image_grid((images + 1) / 2, args.out, columns=min(columns, args.n))
    print(f"{args.n} images: {out}")
    return 0
