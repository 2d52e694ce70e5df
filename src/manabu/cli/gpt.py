"""`manabu train --model gpt` and `manabu generate`: a character GPT on a text, and text
written by a trained one.

    manabu train --model gpt                        # tiny-shakespeare, nanoGPT's CPU recipe
    manabu train --model gpt --dataset my-text.txt --max-iters 5000 --n-embd 192
    manabu train --resume runs/tiny-shakespeare-gpt-20261203-141500   # after an interruption
    manabu generate runs/tiny-shakespeare-gpt-20261203-141500 --prompt "ROMEO:" --tokens 500

A GPT run folder holds model.safetensors (+ model.json), tokenizer.json (the characters),
args.json (the options it was started with), checkpoint.safetensors (the whole training
state after each evaluation, to resume from), history.csv, metrics.json and curves.png.
"""

import argparse
import csv
import json
import os
import time

from manabu.cli.args import (
    NON_NEGATIVE, NON_NEGATIVE_INT, POSITIVE, POSITIVE_INT, bounded, check_out_folder,
    exit_status, load_run, run_folder,
)

TEXTS = ("tiny-shakespeare",)  # named corpora; a path to a .txt file works too
GPT_OPTIONS = ("max_iters", "eval_interval", "block_size", "n_layer", "n_head", "n_embd",
               "warmup_iters", "min_lr", "grad_clip", "accumulation_steps")
CLASSIFIER_OPTIONS = ("epochs", "hidden", "val_fraction")
_train_parser = None  # the `train` subparser, for its defaults (what --resume may not change)


def add_train_arguments(train):
    """The options of `manabu train` that only a GPT takes (defaults: CharGPTRecipe's)."""
    global _train_parser
    _train_parser = train
    group = train.add_argument_group(
        "language model (--model gpt; defaults: nanoGPT's CPU recipe for tiny-shakespeare)")
    group.add_argument("--max-iters", type=POSITIVE_INT, help="optimizer steps (default 2000)")
    group.add_argument("--eval-interval", type=POSITIVE_INT,
                       help="steps between validation losses and checkpoints; it must divide "
                            "--max-iters (default 250)")
    group.add_argument("--block-size", type=POSITIVE_INT, help="context in characters (default 64)")
    group.add_argument("--n-layer", type=POSITIVE_INT, help="Transformer blocks (default 4)")
    group.add_argument("--n-head", type=POSITIVE_INT, help="attention heads (default 4)")
    group.add_argument("--n-embd", type=POSITIVE_INT, help="model width (default 128)")
    group.add_argument("--warmup-iters", type=NON_NEGATIVE_INT,
                       help="steps of linear learning-rate warm-up (default 100; a tenth "
                            "of --max-iters when that is 100 or fewer)")
    group.add_argument("--min-lr", type=NON_NEGATIVE,
                       help="learning rate at the end of the cosine decay (default 1e-4)")
    group.add_argument("--grad-clip", type=NON_NEGATIVE,
                       help="gradient norm limit, 0 for none (default 1.0)")
    group.add_argument("--accumulation-steps", type=POSITIVE_INT,
                       help="micro-batches of --batch-size per optimizer step (default 1)")
    group.add_argument("--resume", metavar="RUN",
                       help="continue the GPT run in folder RUN from its last checkpoint, with "
                            "the options it was started with")


def _top_p(text):
    value = bounded(float, 0.0, low_open=True, what="a number in (0, 1]")(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text}")
    return value


def add_generate_parser(commands):
    generate = commands.add_parser("generate", help="write text with a trained language model")
    generate.add_argument("run", help="a run folder written by `manabu train --model gpt`")
    generate.add_argument("--prompt", default="\n",
                          help="the text to continue (default: a new line)")
    generate.add_argument("--tokens", type=NON_NEGATIVE_INT, default=500,
                          help="characters to generate (default 500)")
    generate.add_argument("--temperature", type=NON_NEGATIVE, default=0.8,
                          help="softmax temperature; 0 takes the most likely character "
                               "(default 0.8)")
    generate.add_argument("--top-k", type=POSITIVE_INT, default=None,
                          help="sample among the k most likely characters only")
    generate.add_argument("--top-p", type=_top_p, default=None,
                          help="sample among the most likely characters whose probabilities "
                               "add up to p, in (0, 1] (nucleus sampling)")
    generate.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    generate.add_argument("--no-cache", action="store_true",
                          help="recompute every position at each step instead of using the "
                               "KV cache (slower; the same text)")


def parser_defaults():
    """The `train` subparser's defaults, by option (what --resume may not change)."""
    return {action.dest: action.default for action in _train_parser._actions}


def refuse_gpt_options(args):
    """ValueError when a classifier or GAN run was given an option that only a GPT takes."""
    given = [name for name in GPT_OPTIONS if getattr(args, name) is not None]
    if given:
        flag = "--" + given[0].replace("_", "-")
        raise ValueError(f"{flag} applies to --model gpt only (this run trains {args.model})")


def is_language_model(model):
    from manabu.models.gpt import GPT

    return isinstance(model, GPT)


def _read_text(dataset):
    """The corpus a --dataset names: tiny-shakespeare, or a UTF-8 .txt file."""
    if dataset == "tiny-shakespeare":
        from manabu.data import load_tiny_shakespeare

        return load_tiny_shakespeare()
    if dataset.endswith(".txt") and os.path.isfile(dataset):
        with open(dataset, encoding="utf-8") as handle:
            return handle.read()
    raise ValueError(f"a GPT trains on a text: --dataset {', '.join(TEXTS)} or a .txt file; "
                     f"got {dataset!r}")


def _recipe(args):
    from manabu.models.char_gpt import CharGPTRecipe

    for name in CLASSIFIER_OPTIONS:
        if getattr(args, name) is not None:
            flag = "--" + name.replace("_", "-")
            hint = "; set --max-iters instead" if name == "epochs" else ""
            raise ValueError(f"{flag} does not apply to --model gpt{hint}")
    if args.optimizer not in (None, "adamw"):
        raise ValueError(f"--model gpt trains with AdamW (its recipe); got --optimizer "
                         f"{args.optimizer}")
    chosen = {name: getattr(args, name) for name in GPT_OPTIONS if getattr(args, name) is not None}
    if args.batch_size is not None:
        chosen["batch_size"] = args.batch_size
    if args.weight_decay is not None:
        chosen["weight_decay"] = args.weight_decay
    if chosen.get("warmup_iters") is None and chosen.get("max_iters", 2000) <= 100:
        chosen["warmup_iters"] = chosen["max_iters"] // 10  # short runs: a short warm-up
    return CharGPTRecipe(lr=args.lr or 1e-3, dropout=args.dropout, **chosen)


def _resumed_args(args):
    """The options a resumed run was started with (only --quiet may be given anew)."""
    changed = [key for key in vars(args) if key not in ("command", "resume", "quiet")
               and getattr(args, key) != _train_parser.get_default(key)]
    if changed:
        flag = "--" + changed[0].replace("_", "-")
        raise ValueError(f"--resume continues a run with the options it was started with; "
                         f"leave out {flag}")
    folder = args.resume
    for name in ("args.json", "tokenizer.json", "checkpoint.safetensors"):
        if not os.path.isfile(os.path.join(folder, name)):
            raise ValueError(f"{folder} has no {name}; --resume takes a folder written by "
                             "`manabu train --model gpt` that saved a checkpoint")
    with open(os.path.join(folder, "args.json"), encoding="utf-8") as handle:
        saved = json.load(handle)
    resumed = argparse.Namespace(**{**vars(args), **saved, "resume": folder, "quiet": args.quiet})
    return resumed, folder


def command_train(args):
    from manabu import io, plot, train
    from manabu.data import CharTokenizer
    from manabu.models.char_gpt import train_char_gpt

    if args.resume is not None:
        args, folder = _resumed_args(args)
    else:
        if args.model != "gpt":
            raise ValueError("--resume continues a GPT run: add --model gpt, or leave it out")
        args.dataset = args.dataset or "tiny-shakespeare"
    recipe = _recipe(args)
    text = _read_text(args.dataset)
    name = os.path.splitext(os.path.basename(args.dataset))[0]
    if args.resume is None:
        check_out_folder(args.out)
        folder = run_folder(args.out, name, "gpt")
        io.write_json(os.path.join(folder, "args.json"),
                      {k: v for k, v in vars(args).items() if k not in ("command", "resume")})
        tokenizer = CharTokenizer.from_text(text)
        tokenizer.save(os.path.join(folder, "tokenizer.json"))
    else:
        tokenizer = CharTokenizer.load(os.path.join(folder, "tokenizer.json"))
    checkpoint = os.path.join(folder, "checkpoint.safetensors")
    verbose = 0 if args.quiet else 1
    if verbose:
        print(f"training a character GPT on {args.dataset} ({len(text):,} characters, "
              f"{len(tokenizer)} distinct): n_layer {recipe.n_layer}, n_head {recipe.n_head}, "
              f"n_embd {recipe.n_embd}, block {recipe.block_size}, batch {recipe.batch_size}, "
              f"{recipe.max_iters} iterations" + (" (resumed)" if args.resume else ""),
              flush=True)
    started = time.perf_counter()
    model, tokenizer, history = train_char_gpt(
        text, recipe, seed=args.seed, tokenizer=tokenizer,
        callbacks=[train.ModelCheckpoint(checkpoint)],
        resume_from=checkpoint if args.resume else None, verbose=verbose)
    seconds = time.perf_counter() - started
    last = history.last
    _write_history(history, os.path.join(folder, "history.csv"))
    metrics = {"val_loss": last["val_loss"], "val_perplexity": last["val_perplexity"],
               "train_loss": last["loss"], "train_seconds": seconds,
               "iterations": recipe.max_iters, "epochs": history.epochs,
               "config": {k: v for k, v in vars(args).items() if k != "command"}}
    io.write_json(os.path.join(folder, "metrics.json"), metrics)
    plot.training_curves(history, os.path.join(folder, "curves.png"),
                         title=f"character GPT on {args.dataset}")
    io.save(model, os.path.join(folder, "model.safetensors"),
            metadata={"dataset": args.dataset, "seed": args.seed, "task": "language-model"})
    print(f"validation loss {last['val_loss']:.4f} (perplexity {last['val_perplexity']:.2f}) "
          f"after {recipe.max_iters} iterations in {seconds:.1f}s")
    print(f"run folder: {folder} (model.safetensors, tokenizer.json, checkpoint.safetensors, "
          f"metrics.json, curves.png); write text with `manabu generate {folder}`")
    return exit_status(history, args.lr or 1e-3, what="evaluation")


def _write_history(history, path):
    """history.csv from the whole History (a resumed run included), written atomically."""
    import io as text_io

    from manabu import atomic

    buffer = text_io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(history.epochs[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history.epochs)
    atomic.write_text(path, buffer.getvalue())


def _language_run(run):
    """(model, tokenizer) of a GPT run folder, or a ValueError saying what the folder lacks."""
    from manabu.data import CharTokenizer

    model = load_run(run)
    if not is_language_model(model):
        raise ValueError(f"{run} holds a {type(model).__name__}, not a language model; "
                         "`manabu generate` takes a run of `manabu train --model gpt`")
    path = os.path.join(run, "tokenizer.json")
    if not os.path.isfile(path):
        raise ValueError(f"{run} has no tokenizer.json, which maps the model's ids to "
                         "characters; give the whole run folder of `manabu train --model gpt`")
    return model, CharTokenizer.load(path)


def command_generate(args):
    import numpy as np

    import manabu

    model, tokenizer = _language_run(args.run)
    prompt = tokenizer.encode(args.prompt)  # ValueError naming any unknown character
    if len(prompt) == 0:
        raise ValueError("--prompt is empty; give at least one character (the default is a "
                         "new line)")
    manabu.manual_seed(args.seed)
    ids = model.generate(prompt[None, :], args.tokens, temperature=args.temperature,
                         top_k=args.top_k, top_p=args.top_p, use_cache=not args.no_cache)
    print(tokenizer.decode(np.asarray(ids)[0]))
    return 0


def command_evaluate(args, model):
    """The validation loss of a GPT run, on the windows its training measured."""
    from manabu import train
    from manabu.models.char_gpt import CharGPTRecipe, char_gpt_loaders
    from manabu.models.language import lm_loss

    _, tokenizer = _language_run(args.run)
    meta = model.metadata
    with open(os.path.join(args.run, "args.json"), encoding="utf-8") as handle:
        saved = argparse.Namespace(**json.load(handle))
    recipe = _recipe(argparse.Namespace(**{**vars(saved), **{k: None for k in CLASSIFIER_OPTIONS}}))
    ids = tokenizer.encode(_read_text(meta["dataset"]))
    _, val_loader = char_gpt_loaders(ids, recipe, seed=meta.get("seed", 0))
    result = train.evaluate(model, lm_loss, val_loader, metrics=("perplexity",))
    print(f"{meta['dataset']} validation loss {result['loss']:.4f} (perplexity "
          f"{result['perplexity']:.2f}, {len(val_loader.dataset)} windows of "
          f"{recipe.block_size} characters)")
    return 0
