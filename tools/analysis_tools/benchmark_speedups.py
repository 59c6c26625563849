"""Stock vs fast paths, side by side in one run: fused attention, compiled
forward, batched sliding windows.

    python tools/analysis_tools/benchmark_speedups.py [--parts vit backbone
        compile slide mmdet] [--backbones s b l] [--shape 512 512] [--batch 2]
        [--slide-shape 1024 2048] [--slide-batch-sizes 1 2 4 8]
        [--threads 2] [--warmup 1] [--repeats 3] [--device cpu|cuda] [--amp]
        [--retain-freed-memory] [--out FILE.json]

Models are built from the configs users run (no pretrained weights). The
variants of a measurement are timed side by side in one process, taking
turns call by call (median over ``--repeats`` rounds after ``--warmup``
calls each), so drift of a busy machine hits them alike. Peak memory comes
from one fresh process per variant (warm-up + one call): on the CPU the peak
resident set (``ru_maxrss``), given whole and above the process's size after
its imports (torch, mmseg, mmdet: ~0.5 GB that are not the model's), and the
minor page faults of that call (each a 4 KiB page the kernel zeroes and
maps: glibc's fresh blocks); on CUDA ``torch.cuda.max_memory_allocated``.
``--retain-freed-memory`` runs every worker with glibc keeping freed memory
(:func:`mmseg_depict_light.cpu_memory.retain_freed_cpu_memory`).

* ``vit``: DEPICT-SA on ViT-S/B/L (``configs/depict/*ade20k*``), mmseg's
  stock attention and loss (``backbone.fused_attention=False``,
  ``decode_head.fused_loss=False``) vs ours: training step (``loss`` +
  backward, train mode; fused attention alone, then with the band-wise
  loss) and inference (``encode_decode``, eval, no grad) on a ``--batch``
  of ``--shape`` images.
* ``backbone``: the same ViT-S/B/L encoders alone (no head, no loss: a mean
  of squares of the output tokens stands in), stock vs fused: the attention's
  own share, without the head's full-resolution loss common to both.
* ``compile``: DEPICT-SA ViT-S, eager vs ``--compile``
  (:func:`mmseg_depict.engine.compile_forward`), stock and fused attention;
  warm-up calls (compilation) are not timed and are reported apart.
* ``slide``: DEPICT-SA ViT-T Cityscapes (768 crops, stride 512) on one
  1024x2048 image, ``model.inference`` through mmseg's ``slide_inference``
  (one window at a time, each added to the image as a zero-padded full-size
  copy) vs ours with ``test_cfg.batch_size`` 1, 2, 4, 8.
* ``mmdet``: Mask2Former R50 (ADE20K) and DETR-seg R50 with their mmdet
  transformers (Mask2Former's decoder, DETR's encoder / decoder) stock vs
  fused: Mask2Former's through its head's ``fused_attention`` switch (on in
  our configs), DETR-seg's with
  :func:`mmseg_depict.models.fuse_multihead_attention`.

* ``swin``: the Swin-T encoder of the Mask2Former Swin configs alone (a
  stand-in loss as for ``backbone``), mmseg's window attention vs the same
  through ``F.scaled_dot_product_attention`` (:func:`sdpa_window_attention`,
  here only: it did not pay on the CPU, so the configs keep mmseg's).

The table gives each variant's ratio to the first (stock / one window at a
time) row of its measurement, from the same run.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time
import types

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEPICT = 'configs/depict/depict-sa_vit-{}16_8xb1-160k_ade20k-{}.py'
BACKBONE_CONFIGS = {
    't': DEPICT.format('t', '512x512'),
    's': DEPICT.format('s', '512x512'),
    'b': DEPICT.format('b', '512x512'),
    'l': DEPICT.format('l', '640x640'),
}
SLIDE_CONFIG = ('configs/depict/'
                'depict-sa_vit-t16_8xb1-80k_cityscapes-768x768.py')
SWIN_CONFIG = ('configs/mask2former/'
               'mask2former_swin-t_8xb2-160k_ade20k-512x512.py')
MMDET_CONFIGS = {
    'Mask2Former R50':
    'configs/mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
    'DETR-seg R50':
    'configs/detr_seg/detr-seg_r50_8xb2-160k_ade20k-512x512.py',
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Stock vs fused attention, eager vs compiled, sequential '
        'vs batched sliding windows, each figure from a fresh process')
    parser.add_argument(
        '--parts',
        nargs='+',
        default=['vit', 'backbone', 'compile', 'slide'],
        choices=['vit', 'backbone', 'compile', 'slide', 'mmdet', 'swin'])
    parser.add_argument(
        '--backbones', nargs='+', default=['s', 'b', 'l'], choices='tsbl')
    parser.add_argument('--shape', nargs=2, type=int, default=[512, 512])
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument(
        '--slide-shape', nargs=2, type=int, default=[1024, 2048])
    parser.add_argument(
        '--slide-batch-sizes', nargs='+', type=int, default=[1, 2, 4, 8])
    parser.add_argument(
        '--retain-freed-memory',
        action='store_true',
        help='CPU: every worker first makes glibc keep freed blocks for '
        'reuse (retain_freed_cpu_memory), to see what page faults cost')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='float16 autocast (CUDA), as mmengine AmpOptimWrapper runs it')
    parser.add_argument('--out', help='also write the results as JSON')
    parser.add_argument('--time-worker', help=argparse.SUPPRESS)
    parser.add_argument('--memory-worker', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ---------------------------------------------------------------- workers --
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare(job: dict):
    """Build one variant's model and its step function (in this process)."""
    import torch
    from mmengine.config import Config

    from mmseg_depict.engine import compile_forward
    from mmseg_depict.models import fuse_multihead_attention
    from mmseg_depict.utils.benchmark import random_samples
    from mmseg_depict.utils.model_analysis import build_model

    torch.manual_seed(0)
    device = torch.device(job['device'])
    cfg = Config.fromfile(osp.join(ROOT, job['config']))
    head_switch = job['kind'] == 'mmdet' and cfg.model.decode_head.type in (
        'AmpMask2FormerSegHead', 'AmpMask2FormerHead')
    if job['kind'] == 'swin':
        pass  # mmseg's SwinTransformer has no switch: converted below
    elif job['kind'] != 'mmdet':
        cfg.model.backbone.fused_attention = job['fused']
        cfg.model.decode_head.fused_loss = job.get('fused_loss', job['fused'])
    elif head_switch:  # our Mask2Former heads fuse their decoder themselves
        cfg.model.decode_head.fused_attention = job['fused']
    if job['kind'] == 'slide' and job['slide_batch_size'] is not None:
        cfg.model.test_cfg.batch_size = job['slide_batch_size']
    model, _ = build_model(cfg)
    if job['kind'] == 'slide' and job['slide_batch_size'] is None:
        # The same model through mmseg 1.2.2's one-crop-at-a-time loop.
        from mmseg.models.segmentors import EncoderDecoder
        model.slide_inference = types.MethodType(
            EncoderDecoder.slide_inference, model)
    if job['kind'] == 'mmdet' and job['fused'] and not head_switch:
        job['fused_modules'] = fuse_multihead_attention(model)
    if job['kind'] == 'swin' and job['fused']:
        job['fused_modules'] = sdpa_window_attention(model.backbone)
    model.to(device)
    if job.get('compiled'):
        compile_forward(model)
    shape = tuple(job['shape'])
    num_classes = cfg.model.decode_head.num_classes
    images = torch.randn(job['batch'], 3, *shape, device=device)
    samples = [
        s.to(device) for s in random_samples(job['batch'], shape, num_classes)
    ]
    metas = [s.metainfo for s in samples]
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    autocast = torch.autocast(
        device.type, dtype=torch.float16, enabled=job['amp'])

    backbone_only = job['kind'] in ('backbone', 'swin')

    def infer():
        model.eval()
        with torch.no_grad(), autocast:
            if job['kind'] == 'slide':
                model.inference(images, [dict(m) for m in metas])
            elif backbone_only:
                model.backbone(images)
            else:
                model.encode_decode(images, metas)
        sync()

    def train_step():
        model.train()
        model.zero_grad(set_to_none=True)
        with autocast:
            if backbone_only:  # the encoder alone, a stand-in loss
                loss = model.backbone(images)[-1].float().square().mean()
            else:
                losses = model.loss(images, samples)
                loss = sum(v for k, v in losses.items() if 'loss' in k)
        loss.backward()
        sync()

    return train_step if job['mode'] == 'train' else infer


def _time_group(jobs: list) -> list:
    """All variants of one measurement in this process, taking turns."""
    import torch

    import mmseg_depict  # noqa: F401
    from mmseg_depict.utils.benchmark import median_ms
    _set_allocator(jobs[0])
    torch.set_num_threads(jobs[0]['threads'])
    fns, first_calls = {}, {}
    for i, job in enumerate(jobs):
        fns[i] = _prepare(job)
        start = time.perf_counter()
        # Compiled variants: the first call compiles (timed apart).
        for _ in range(max(job['warmup'], 1 if job.get('compiled') else 0)):
            fns[i]()
        first_calls[i] = time.perf_counter() - start
    ms = median_ms(fns, 0, jobs[0]['repeats'])
    return [
        dict(
            job,
            ms=ms[i],
            first_calls_s=first_calls[i] if job.get('compiled') else None,
            torch=torch.__version__) for i, job in enumerate(jobs)
    ]


def _peak_memory(job: dict) -> dict:
    """One variant's peak memory, in this fresh process."""
    import torch

    import mmseg_depict  # noqa: F401
    _set_allocator(job)
    torch.set_num_threads(job['threads'])
    after_imports = _rss_mb()
    fn = _prepare(job)
    cuda = job['device'].startswith('cuda')
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    fn()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    fn()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    if cuda:
        return dict(peak_mb=torch.cuda.max_memory_allocated() / 2**20)
    return dict(
        peak_mb=_rss_mb(),
        above_imports_mb=_rss_mb() - after_imports,
        page_faults=faults)


def _set_allocator(job: dict) -> None:
    from mmseg_depict_light.cpu_memory import retain_freed_cpu_memory
    if job['retain_freed_memory'] and not retain_freed_cpu_memory():
        raise RuntimeError('--retain-freed-memory: not applied (the C '
                           'library is not glibc, or it refused)')


def _in_fresh_process(mode: str, payload):
    """Run a worker (``--time-worker`` / ``--memory-worker``) on
    ``payload`` in a new interpreter; returns its JSON answer."""
    threads = (payload[0] if isinstance(payload, list) else payload)['threads']
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    proc = subprocess.run(
        [sys.executable, __file__, mode,
         json.dumps(payload)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(('{', '[')):
            return json.loads(line)
    raise RuntimeError(f'{mode} {payload} failed (exit {proc.returncode}):\n'
                       f'{proc.stderr[-3000:]}')


def _sdpa_window_forward(self, x, mask=None):
    """mmseg 1.2.2's ``WindowMSA.forward`` through
    ``F.scaled_dot_product_attention``: the relative-position bias (plus the
    shifted windows' mask) as a float ``attn_mask``."""
    import torch.nn.functional as F
    batch, tokens, channels = x.shape
    qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads,
                              channels // self.num_heads).permute(
                                  2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    bias = self.relative_position_bias_table[self.relative_position_index.view(
        -1)].view(tokens, tokens, -1).permute(2, 0, 1)
    if mask is not None:  # (windows, N, N): windows of each image
        windows = mask.shape[0]
        bias = bias.unsqueeze(0) + mask.unsqueeze(1)
        q, k, v = (
            t.view(batch // windows, windows, self.num_heads, tokens, -1)
            for t in (q, k, v))
    out = F.scaled_dot_product_attention(
        q,
        k,
        v,
        attn_mask=bias.to(q.dtype),
        dropout_p=self.attn_drop.p if self.training else 0.0,
        scale=self.scale)
    out = out.reshape(batch, self.num_heads, tokens, -1).transpose(1, 2)
    return self.proj_drop(self.proj(out.reshape(batch, tokens, channels)))


def sdpa_window_attention(module) -> int:
    """Route every mmseg ``WindowMSA`` in ``module`` through
    :func:`_sdpa_window_forward` (per instance); returns how many. Measured,
    not adopted: see ``--parts swin`` in docs/benchmarks.md."""

    from mmseg.models.backbones.swin import WindowMSA
    converted = 0
    for sub in module.modules():
        if isinstance(sub, WindowMSA):
            sub.forward = types.MethodType(_sdpa_window_forward, sub)
            converted += 1
    return converted


# ------------------------------------------------------------------- jobs --
def _stock_and_fused(base: dict, kind: str, models) -> list:
    """Train and inference jobs, stock and fused attention, for each
    ``(name, config)`` of ``models``; for the DEPICT training steps (``vit``)
    also fused attention with mmseg's loss, to show each part's share."""
    jobs = []
    for name, config in models:
        for mode in ('train', 'infer'):
            variants = [(False, False, 'stock'), (True, True, 'fused')]
            if kind == 'vit' and mode == 'train':
                variants[1:] = [(True, False, 'fused attention'),
                                (True, True, 'fused attention + loss')]
            jobs += [
                dict(
                    base,
                    kind=kind,
                    group=f'{name} {mode}',
                    config=config,
                    mode=mode,
                    fused=fused,
                    fused_loss=fused_loss,
                    label=label) for fused, fused_loss, label in variants
            ]
    return jobs


def jobs_for(args) -> list:
    base = dict(
        threads=args.threads,
        device=args.device,
        amp=args.amp,
        warmup=args.warmup,
        repeats=args.repeats,
        shape=args.shape,
        batch=args.batch,
        retain_freed_memory=args.retain_freed_memory)
    jobs = []
    vits = [(f'ViT-{size.upper()}', BACKBONE_CONFIGS[size])
            for size in args.backbones]
    if 'vit' in args.parts:
        jobs += _stock_and_fused(base, 'vit', vits)
    if 'backbone' in args.parts:
        jobs += _stock_and_fused(base, 'backbone', [(f'{name} alone', cfg)
                                                    for name, cfg in vits])
    if 'compile' in args.parts:
        for mode in ('infer', 'train'):
            for fused, compiled in ((False, False), (False, True),
                                    (True, False), (True, True)):
                label = ('fused' if fused else 'stock') + (' + compiled'
                                                           if compiled else '')
                jobs.append(
                    dict(
                        base,
                        kind='compile',
                        group=f'compile ViT-S {mode}',
                        config=BACKBONE_CONFIGS['s'],
                        mode=mode,
                        fused=fused,
                        compiled=compiled,
                        label=label))
    if 'slide' in args.parts:
        # mmseg's own slide_inference first: what the ratios are to.
        for size in [None] + args.slide_batch_sizes:
            jobs.append(
                dict(
                    base,
                    kind='slide',
                    group='slide ViT-T Cityscapes {}x{}'.format(
                        *args.slide_shape),
                    config=SLIDE_CONFIG,
                    mode='infer',
                    fused=True,
                    shape=args.slide_shape,
                    batch=1,
                    slide_batch_size=size,
                    label='mmseg slide_inference'
                    if size is None else f'batch_size={size}'))
    if 'mmdet' in args.parts:
        jobs += _stock_and_fused(base, 'mmdet', MMDET_CONFIGS.items())
    if 'swin' in args.parts:
        jobs += _stock_and_fused(base, 'swin', [('Swin-T alone', SWIN_CONFIG)])
    return jobs


def table(results: list) -> str:
    """Markdown: each row's time and memory, and its ratio to the first row
    (the stock / one-window figure) of its measurement."""
    cpu = 'above_imports_mb' in results[0]
    head = ('| measurement | variant | time (ms) | ratio | peak memory (MB) '
            '| ratio |')
    head += ' above imports (MB) | ratio | page faults |' if cpu else ''
    head += ' first calls (s) |'
    lines = [head, '|' + '---|' * (head.count('|') - 1)]
    first = {}
    for r in results:
        ref = first.setdefault(r['group'], r)
        row = (f"| {r['group']} | {r['label']} | {r['ms']:.0f} | "
               f"{r['ms'] / ref['ms']:.2f}x | {r['peak_mb']:.0f} | "
               f"{r['peak_mb'] / ref['peak_mb']:.2f}x |")
        if cpu:
            above, ref_above = r['above_imports_mb'], ref['above_imports_mb']
            row += (f' {above:.0f} | {above / ref_above:.2f}x | '
                    f"{r['page_faults']} |")
        first_calls = r.get('first_calls_s')
        row += f" {'' if first_calls is None else f'{first_calls:.0f}'} |"
        lines.append(row)
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.time_worker:
        print(json.dumps(_time_group(json.loads(args.time_worker))))
        return
    if args.memory_worker:
        print(json.dumps(_peak_memory(json.loads(args.memory_worker))))
        return
    groups = {}
    for job in jobs_for(args):
        groups.setdefault(job['group'], []).append(job)
    results = []
    start = time.perf_counter()
    for i, (name, jobs) in enumerate(groups.items(), 1):
        print(f'[{i}/{len(groups)}] {name}: time', end=' ', flush=True)
        timed = _in_fresh_process('--time-worker', jobs)
        print('memory', end=' ', flush=True)
        for result in timed:
            job = {k: v for k, v in result.items() if k in jobs[0]}
            result.update(_in_fresh_process('--memory-worker', job))
        results.extend(timed)
        print('; '.join(f"{r['label']} {r['ms']:.0f} ms {r['peak_mb']:.0f} MB"
                        for r in timed) +
              f' ({time.perf_counter() - start:.0f} s)')
    print(f"\n{args.device}, {args.threads} threads, torch "
          f"{results[0]['torch']}, shape {args.shape[0]}x{args.shape[1]}, "
          f'batch {args.batch}, median of {args.repeats} after '
          f'{args.warmup} warm-up'
          f"{', freed memory retained' if args.retain_freed_memory else ''}"
          '\n')
    print(table(results))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
