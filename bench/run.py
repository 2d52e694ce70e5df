"""`make bench`: every workload in manabu and PyTorch, side by side, in one run.

    python -m bench.run            # full run, writes bench/RESULTS.md
    python -m bench.run --quick    # a few seconds: checks the suite still runs and agrees
    python -m bench.run --only B1,B5   # prints its rows; writes RESULTS.md only with --output

Each workload alternates manabu and PyTorch (A B A B ...) after a warm-up and reports
min / median / max seconds per side and the median of the pairwise ratios.
"""

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys

from bench.common import REPO, blas_kernel, blas_threads
from bench.harness import compare

# name -> (module, description, target ratio, loss tolerance)
WORKLOADS = {
    "B1": ("bench.b1_mlp", "MLP 784-256-256-10, Adam, batch 128, 1 epoch mnist-10k", 1.1, 2e-2),
    "B2": ("bench.b2_cnn", "CNN conv16-pool-conv32-pool-fc128-fc10, Adam, batch 64, 1 epoch",
           1.5, 2e-2),
    "B3": ("bench.b3_lstm_lm", "LSTM LM V=1000 E=128 H=256 T=35 N=20, SGD+clip, 1 epoch",
           1.3, 1e-3),
    "B4": ("bench.b4_transformer", "Transformer encoder layer d128 h4 ffn512 T64 N32, 100 Adam steps",
           1.0, 1e-3),
    "B5": ("bench.b5_overhead", "4x4 add, forward + backward (us per op)", 1.0, 1e-6),
    "B7": ("bench.b7_gpt", "GPT 4x4x128 training step, batch 12 x 64 tokens, AdamW, 20 steps",
           1.2, 1e-3),
    "B7b": ("bench.b7_gpt:setup_large", "GPT 4x4x128 training step, batch 32 x 128 tokens, "
            "AdamW, 20 steps", 1.2, 1e-3),
    "B8": ("bench.b8_generate", "GPT 4x4x128 greedy generation of 256 tokens, both with a KV "
           "cache", 1.5, 1e-9),
    "B8-cache": ("bench.b8_generate:setup_cache", "manabu: the same 256 tokens with the KV "
                 "cache / recomputing the context (>= 5x faster: ratio <= 0.2)", 0.2, 1e-9),
    "B9": ("bench.b9_vae", "VAE 784-400-20, Bernoulli decoder, negative ELBO, Adam, batch 128, "
           "1 epoch mnist-10k", 1.2, 1e-3),
    "B10": ("bench.b10_vqvae", "VQ-VAE conv 64ch, 2 res blocks, 64 codes x 16, Adam, batch 64, "
            "10 steps", 1.5, 1e-3),
    "B11": ("bench.b11_dcgan", "DCGAN 28x28 (latent 100, width 64, BN), one D and one G step "
            "per batch of 64, Adam, 10 steps", 1.3, 1e-3),
}
MEMORY_WORKLOADS = ("B1", "B2", "B3", "B7", "B7b")


def _setup_function(name):
    """The setup function a WORKLOADS entry names: 'module' (its setup) or 'module:function'."""
    module, _, function = WORKLOADS[name][0].partition(":")
    return getattr(importlib.import_module(module), function or "setup")


def run_workload(name, quick, repeats):
    module_name, description, target, tolerance = WORKLOADS[name]
    setup = _setup_function(name)(quick=quick)
    run_manabu, run_torch, flops = setup[:3]
    result = compare(name, description, run_manabu, run_torch, repeats=repeats, flops=flops,
                     target=target, loss_tolerance=tolerance)
    if len(setup) > 3:  # per-op workloads report microseconds per op
        ops = setup[3]
        result.manabu_times = [t / ops * 1e6 for t in result.manabu_times]
        result.torch_times = [t / ops * 1e6 for t in result.torch_times]
        result.unit = "us/op"
    return result


def peak_memory(name, side, quick):
    """(peak, imports) resident memory in MiB of a fresh process that runs the workload on
    one side only: the peak, and what the process held once the side's libraries were
    imported (so peak - imports is what the workload itself used). Read from
    /proc/self/status (Linux); None if the process failed."""
    libraries = ("import manabu" + ("" if side == "manabu" else ", torch")
                 + "\nfrom manabu import allocator; allocator.keep_freed_memory()")  # as timed
    code = (
        "import sys\n"
        "from bench.run import _setup_function\n"
        "def status(key):\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status')"
        " if l.startswith(key)) / 1024\n"
        f"{libraries}\n"
        "imports = status('VmRSS')\n"
        f"setup = _setup_function({name!r})(quick={quick}, sides=({side!r},))\n"
        f"run = setup[0] if {side!r} == 'manabu' else setup[1]\n"
        "run()\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent
        "print(status('VmHWM'), imports)\n"
    )
    if side == "manabu":  # measure manabu alone: keep PyTorch's libraries out of its process
        code = "import sys\nsys.modules['torch'] = None\n" + code
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        return None
    peak, imports = map(float, out.stdout.strip().splitlines()[-1].split())
    return peak, imports


def _row(r):
    m, t = r.manabu_times, r.torch_times
    fmt = (lambda v: f"{v:.1f}") if r.unit == "us/op" else (lambda v: f"{v:.3f}")
    gflops = r.gflops(m)
    return (f"| {r.name} | {r.description} | {fmt(min(m))} / {fmt(statistics.median(m))} / "
            f"{fmt(max(m))} | {fmt(min(t))} / {fmt(statistics.median(t))} / {fmt(max(t))} | "
            f"{r.unit} | **{r.ratio:.2f}** | {r.target} | "
            f"{'yes' if r.losses_agree else 'NO'} ({r.manabu_loss:.4g} vs {r.torch_loss:.4g}) | "
            f"{'' if gflops is None else f'{gflops:.0f}'} |")


def machine_lines(threads):
    import numpy
    import torch

    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return [f"- CPU: {cpu} ({os.cpu_count()} logical cores)",
            f"- threads: {threads} (NumPy BLAS and torch.set_num_threads)",
            f"- BLAS: {blas_kernel()}",
            f"- Python {platform.python_version()}, NumPy {numpy.__version__}, "
            f"PyTorch {torch.__version__}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. B1,B5")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--output", default=None,
                        help="the results file; default: bench/RESULTS.md for a full run "
                        "(a run with --only writes none unless given one)")
    args = parser.parse_args(argv)
    import torch

    from manabu import allocator

    allocator.keep_freed_memory()  # what fit() does (allocator.py); these loops are our own

    threads = blas_threads()
    torch.set_num_threads(threads)
    names = args.only.split(",") if args.only else list(WORKLOADS)
    repeats = args.repeats or (2 if args.quick else 5)
    header = ("| workload | what | manabu min / median / max | PyTorch min / median / max | unit"
              " | ratio (median) | target | losses agree | manabu GFLOP/s |\n"
              "|---|---|---|---|---|---|---|---|---|")
    rows, results = [], []
    for name in names:
        result = run_workload(name, args.quick, repeats)
        results.append(result)
        rows.append(_row(result))
        print(rows[-1], flush=True)
    memory = []
    if not args.no_memory:
        for name in (n for n in MEMORY_WORKLOADS if n in names):
            m, t = peak_memory(name, "manabu", args.quick), peak_memory(name, "torch", args.quick)
            if m and t:
                used_m, used_t = m[0] - m[1], t[0] - t[1]
                memory.append(f"| B6 ({name}) | {m[0]:.0f} | {t[0]:.0f} | **{m[0] / t[0]:.2f}** "
                              f"| {used_m:.0f} | {used_t:.0f} | {used_m / used_t:.2f} | 1.5 |")
                print(memory[-1], flush=True)
    lines = ["# Benchmark results (manabu vs PyTorch, CPU)", "",
             "Command: `make bench` (`python -m bench.run" + (" --quick" if args.quick else "") + "`)",
             ""] + machine_lines(threads) + ["", header] + rows
    if memory:
        lines += ["", "Peak resident memory (MiB) of a process running one side; \"above imports\" "
                  "subtracts what the process held once its libraries were imported.", "",
                  "| memory | manabu peak | PyTorch peak | ratio | manabu above imports "
                  "| PyTorch above imports | ratio | target |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += memory
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    output = args.output or (None if args.only else os.path.join(REPO, "bench", "RESULTS.md"))
    if not args.quick and output:
        with open(output, "w") as f:
            f.write(text)
    summary = {r.name: {"ratio": r.ratio, "losses_agree": r.losses_agree} for r in results}
    print(json.dumps(summary))
    return 0 if all(r.losses_agree for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
