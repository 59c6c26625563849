"""onnxruntime vs PyTorch eager latency of exported DEPICT models, side by
side in one run.

    python tools/analysis_tools/benchmark_onnx.py [--threads 2]
        [--shape 512 512] [--repeats 20] [--configs CONFIG ...]
        [--outputs input-size head]

Each config (default: DEPICT-SA / CA on ViT-T / S / B, ADE20K, random
weights) is exported with ``tools/deployment/pytorch2onnx.py``'s code at
``--shape`` (batch 1), once per graph output (``input-size``: normalisation,
backbone, head, resize to the input and argmax; ``head``: up to the head's
logits). The same graph then runs in PyTorch (eager, no_grad) and in
onnxruntime, taking turns, each with ``--threads`` threads. Printed per
config and output: median latencies, their ratio, and the export's parity
(max |logit difference| vs PyTorch in float64, argmax agreement).
"""
import argparse
import os.path as osp
import tempfile

import torch

import mmseg_depict  # noqa: F401
from mmseg_depict.apis.onnx_export import (OUTPUTS, SegmentorForExport,
                                           compare_with_onnxruntime,
                                           export_onnx, onnxruntime_session,
                                           random_weights_segmentor)
from mmseg_depict.utils.benchmark import median_ms

DEFAULT_CONFIGS = [
    f'configs/depict/depict-{mode}_vit-{size}16_8xb1-160k_ade20k-512x512.py'
    for mode in ('sa', 'ca') for size in ('t', 's', 'b')
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument(
        '--outputs', nargs='+', choices=OUTPUTS, default=list(OUTPUTS))
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--shape', type=int, nargs=2, default=(512, 512), metavar=('H', 'W'))
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=20)
    return parser.parse_args(argv)


def measure(model, shape, output, args):
    """Median eager and onnxruntime latencies (ms) of one exported graph,
    and its parity check."""
    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = osp.join(tmp, 'model.onnx')
        export_onnx(model, onnx_file, shape, output=output)
        check = compare_with_onnxruntime(
            model, onnx_file, shape, output=output)
        session = onnxruntime_session(onnx_file, args.threads)
        module = SegmentorForExport(model, output).eval()
        image = torch.rand(1, 3, *shape) * 255
        feed = {'image': image.numpy()}

        def eager():
            with torch.no_grad():
                module(image)

        times = median_ms(
            dict(eager=eager, ort=lambda: session.run(None, feed)),
            args.warmup, args.repeats)
    return times, check


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    shape = tuple(args.shape)
    print(f'batch 1, {shape[0]}x{shape[1]}, {args.threads} threads, median of '
          f'{args.repeats} (PyTorch {torch.__version__})\n')
    header = (
        '| config | graph output | PyTorch eager (ms) | onnxruntime (ms) '
        '| ratio | max abs logit diff | argmax agreement |')
    rows = [header, '|---|---|---:|---:|---:|---:|---:|']
    for config in args.configs:
        model = random_weights_segmentor(config)
        name = osp.splitext(osp.basename(config))[0]
        for output in args.outputs:
            times, check = measure(model, shape, output, args)
            rows.append(
                f"| {name} | {output} | {times['eager']:.1f} | "
                f"{times['ort']:.1f} | {times['ort'] / times['eager']:.2f}x "
                f"| {check['max_abs_diff']:.1e} | "
                f"{100 * check['argmax_agreement']:.3f} % |")
            print(rows[-1], flush=True)
    print('\n' + '\n'.join(rows))


if __name__ == '__main__':
    main()
