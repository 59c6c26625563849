"""Multi-scale deformable attention on a GPU: mmcv's CUDA kernel against
its PyTorch path (``grid_sample``), same inputs, same run.

    python tools/analysis_tools/benchmark_msdeform_attn.py [--size 512 512]
        [--batch 2] [--repeats 20] [--config CONFIG] [--out FILE.json]

1. The op at the shapes Mask2Former's pixel decoder gives it for ``--size``
   images (levels at strides 8, 16 and 32, every pixel a query, 8 heads of
   32 channels, 4 points per level): forward output and the gradients of
   value, sampling locations and attention weights of both paths in float64,
   and each path in float32 and float16 (what the kernel runs in under
   ``--amp``) against the float64 PyTorch path; then median forward and
   forward + backward time and the peak memory of each path in float32.
2. The whole model of ``--config`` (default: Mask2Former R50, ADE20K): one
   ``encode_decode`` of a random image with the kernel and with the PyTorch
   path forced, largest logit difference and share of pixels that get the
   same class.

mmcv's op dispatches on ``value.is_cuda``; the tool needs a CUDA device and
mmcv compiled with ``FORCE_CUDA=1`` (docs/get_started.md).
"""
import argparse
import json
import os.path as osp
from contextlib import contextmanager
from unittest import mock

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = ('configs/mask2former/'
                  'mask2former_r50_8xb2-160k_ade20k-512x512.py')


def op_inputs(args, dtype, device, seed=0):
    """Value, level shapes and start indices, sampling locations and
    attention weights of a pixel decoder layer on ``--size`` images."""
    g = torch.Generator().manual_seed(seed)
    h, w = args.size
    shapes = torch.tensor([[h // s, w // s] for s in (8, 16, 32)],
                          device=device)
    starts = torch.cat([shapes.new_zeros(1), shapes.prod(1).cumsum(0)[:-1]])
    tokens = int(shapes.prod(1).sum())
    b, heads, points, levels = args.batch, 8, 4, len(shapes)
    value = torch.randn(b, tokens, heads, 256 // heads, generator=g)
    locations = torch.rand(b, tokens, heads, levels, points, 2, generator=g)
    weights = torch.rand(b, tokens, heads, levels * points, generator=g)
    weights = weights.softmax(-1).view(b, tokens, heads, levels, points)
    leaves = [
        t.to(device=device, dtype=dtype).requires_grad_()
        for t in (value, locations, weights)
    ]
    return leaves, shapes, starts


def run_op(path, leaves, shapes, starts, backward=True):
    """Output and (with ``backward``) the three input gradients, for a
    fixed random output gradient."""
    from mmcv.ops.multi_scale_deform_attn import (
        MultiScaleDeformableAttnFunction, multi_scale_deformable_attn_pytorch)
    for t in leaves:
        t.grad = None
    value, locations, weights = leaves
    if path == 'cuda':
        out = MultiScaleDeformableAttnFunction.apply(value, shapes, starts,
                                                     locations, weights, 64)
    else:
        out = multi_scale_deformable_attn_pytorch(value, shapes, locations,
                                                  weights)
    if not backward:
        return [out]
    out.backward(output_gradient(out))
    return [out.detach()] + [t.grad for t in leaves]


_output_gradients = {}


def output_gradient(out):
    """The same random output gradient for every dtype (drawn in float64,
    cast), made once per shape and dtype so the timings leave it out."""
    key = (tuple(out.shape), out.dtype, out.device)
    if key not in _output_gradients:
        g = torch.Generator().manual_seed(1)
        grad = torch.randn(out.shape, generator=g, dtype=torch.float64)
        _output_gradients[key] = grad.to(device=out.device, dtype=out.dtype)
    return _output_gradients[key]


def relative_diff(result, reference):
    """Largest absolute difference of each tensor over the largest
    magnitude of the reference (output, d value, d locations, d weights)."""
    return [
        float((r.double() - f.double()).abs().max() / f.double().abs().max())
        for r, f in zip(result, reference)
    ]


def compare_op(args, device):
    rows = {}
    leaves, shapes, starts = op_inputs(args, torch.float64, device)
    reference = run_op('pytorch', leaves, shapes, starts)
    reference = [t.clone() for t in reference]
    rows['cuda float64'] = relative_diff(
        run_op('cuda', leaves, shapes, starts), reference)
    for dtype in (torch.float32, torch.float16):
        for path in ('cuda', 'pytorch'):
            cast, _, _ = op_inputs(args, dtype, device)
            rows[f'{path} {str(dtype)[6:]}'] = relative_diff(
                run_op(path, cast, shapes, starts), reference)
    return rows


def time_op(args, device):
    """Median ms of forward and forward + backward, and the peak memory
    above the inputs, of each path in float32."""
    from mmseg_depict.utils.benchmark import median_ms
    leaves, shapes, starts = op_inputs(args, torch.float32, device)
    result = {}
    for path in ('cuda', 'pytorch'):

        def forward(path=path):
            with torch.no_grad():
                run_op(path, leaves, shapes, starts, backward=False)
            torch.cuda.synchronize()

        def train(path=path):
            run_op(path, leaves, shapes, starts)
            torch.cuda.synchronize()

        ms = median_ms(
            dict(fwd=forward, train=train), args.warmup, args.repeats)
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        train()
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
        result[path] = dict(
            forward_ms=ms['fwd'], train_ms=ms['train'], peak_mib=peak)
    return result


def cuda_kernel_missing(device):
    """Why mmcv's kernel cannot run on ``device``, or '' when it can. (A
    call is the check: mmcv's ``get_compiling_cuda_version`` crashed the
    interpreter on a torch 2.11 / CUDA 13 build.)"""
    from mmcv.ops.multi_scale_deform_attn import \
        MultiScaleDeformableAttnFunction
    value = torch.zeros(1, 4, 1, 2, device=device)
    shapes = torch.tensor([[2, 2]], device=device)
    try:
        MultiScaleDeformableAttnFunction.apply(
            value, shapes, shapes.new_zeros(1),
            torch.zeros(1, 1, 1, 1, 1, 2, device=device),
            torch.ones(1, 1, 1, 1, 1, device=device), 64)
    except RuntimeError as error:
        return str(error).splitlines()[0]
    return ''


@contextmanager
def pytorch_path():
    """Make mmcv's ``MultiScaleDeformableAttention`` take its PyTorch path
    on CUDA tensors (it dispatches on this module-level flag)."""
    with mock.patch('mmcv.ops.multi_scale_deform_attn.IS_CUDA_AVAILABLE',
                    False):
        yield


def compare_model(args, device):
    from mmengine.config import Config

    import mmseg_depict  # noqa: F401
    from mmseg_depict.utils.model_analysis import build_model, data_samples
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    model, task = build_model(cfg)
    model.to(device).eval()
    torch.manual_seed(0)
    img = torch.randn(1, 3, *args.size, device=device)
    metas = [s.metainfo for s in data_samples(task, tuple(args.size))]
    with torch.no_grad():
        kernel = model.encode_decode(img, metas)
        with pytorch_path():
            reference = model.encode_decode(img, metas)
    return dict(
        config=args.config,
        max_logit_diff=float((kernel - reference).abs().max()),
        max_logit=float(reference.abs().max()),
        same_class=float(
            (kernel.argmax(1) == reference.argmax(1)).float().mean()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, nargs=2, default=(512, 512))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--out', help='also write the results as JSON')
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        parser.error('needs a CUDA device: the kernel it measures is '
                     "mmcv's CUDA implementation")
    device = torch.device('cuda')
    kernel_missing = cuda_kernel_missing(device)
    if kernel_missing:
        parser.error(f'mmcv has no CUDA kernel for the op ({kernel_missing}); '
                     'reinstall with FORCE_CUDA=1 bash tools/install.sh')
    h, w = args.size
    print(f'{torch.cuda.get_device_name()}, torch {torch.__version__} '
          f'(CUDA {torch.version.cuda}); '
          f'batch {args.batch}, {h}x{w} images (levels {h // 8}x{w // 8}, '
          f'{h // 16}x{w // 16}, {h // 32}x{w // 32})')

    accuracy = compare_op(args, device)
    print('\nlargest |difference| / largest |value|, against the PyTorch '
          'path in float64')
    print('| path | output | d value | d locations | d weights |')
    print('|---|---|---|---|---|')
    for name, diffs in accuracy.items():
        print(f'| {name} | ' + ' | '.join(f'{d:.1e}' for d in diffs) + ' |')

    speed = time_op(args, device)
    print(f'\nfloat32, median of {args.repeats}')
    print('| path | forward ms | forward + backward ms | peak MiB |')
    print('|---|---|---|---|')
    for path, r in speed.items():
        print(f"| {path} | {r['forward_ms']:.2f} | {r['train_ms']:.2f} | "
              f"{r['peak_mib']:.0f} |")
    print(f"kernel speed-up: forward "
          f"{speed['pytorch']['forward_ms'] / speed['cuda']['forward_ms']:.1f}"
          f"x, forward + backward "
          f"{speed['pytorch']['train_ms'] / speed['cuda']['train_ms']:.1f}x")

    model = compare_model(args, device)
    print(f"\n{model['config']}: kernel vs PyTorch path, largest logit "
          f"difference {model['max_logit_diff']:.1e} (largest logit "
          f"{model['max_logit']:.1f}), same class on "
          f"{100 * model['same_class']:.3f} % of pixels")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    args=vars(args),
                    accuracy=accuracy,
                    speed=speed,
                    model=model),
                f,
                indent=2)


if __name__ == '__main__':
    main()
