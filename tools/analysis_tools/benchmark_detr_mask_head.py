"""Training step of DETR's mask branch: lean (matched queries only) vs all
queries (the reference), and the one-pass mask losses vs mmdet's, same
inputs, same run.

    python tools/analysis_tools/benchmark_detr_mask_head.py \
        [--size 512 512] [--batch 2] [--queries 100] [--targets 20]
        [--repeats 5] [--device cpu|cuda] [--out FILE.json]

The step is what the mask part adds to a DETR training step: attention
maps of the last decoder layer's queries, the FPN mask head, focal + dice
losses against the matched targets, and the backward pass. Inputs are the
shapes a ResNet-50 DETR produces for ``--size`` images (encoder memory and
projected res5 at stride 32, res4..res2). Paths: ``lean`` (the head as
configured: matched queries, one-pass losses), ``all queries`` (every
query's mask, then the matched ones picked; same losses) and ``lean, mmdet
losses`` (mmdet's ``FocalLoss`` + ``DiceLoss`` on the upsampled logits
under a gradient checkpoint, the head's generic path). Reported per path:
median step time, memory autograd keeps for the backward, and on CUDA the
peak allocated memory of the step.
"""
import argparse
import json

import torch
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope

import mmseg_depict  # noqa: F401
from mmseg_depict.models.utils import DETRMaskFeatures
from mmseg_depict.utils.benchmark import median_ms, saved_for_backward_mb


def build_inputs(args, device):
    """Random decoder states, memory, features, matches and target masks."""
    g = torch.Generator().manual_seed(0)
    h, w = args.size
    b, q = args.batch, args.queries

    def randn(*shape):
        return torch.randn(*shape, generator=g).to(device)

    inputs = dict(
        hidden=randn(b, q, 256),
        features=DETRMaskFeatures(
            memory=randn(b, 256, h // 32, w // 32),
            memory_mask=None,
            feature=randn(b, 256, h // 32, w // 32),
            fpn_feats=[
                randn(b, c, h // s, w // s)
                for c, s in ((1024, 16), (512, 8), (256, 4))
            ]))
    image = torch.arange(b).repeat_interleave(args.targets).to(device)
    query = torch.cat([
        torch.randperm(q, generator=g)[:args.targets] for _ in range(b)
    ]).to(device)
    gt_masks = (randn(b * args.targets, h, w) > 0.5)
    return inputs, image, query, gt_masks


def step_fn(head, inputs, image, query, gt_masks):

    def forward():
        masks = head.mask_logits(
            **inputs, image_index=image, query_index=query)
        losses = head.loss_masks(masks, gt_masks)
        return losses['loss_mask_focal'] + losses['loss_mask_dice']

    def step():
        head.zero_grad(set_to_none=True)
        forward().backward()

    return forward, step


def peak_cuda_mb(step) -> float:
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    step()
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - base) / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, nargs=2, default=(512, 512))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--queries', type=int, default=100)
    parser.add_argument('--targets', type=int, default=20)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='also write the results as JSON')
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    heads = {}
    for name, lean in (('lean', True), ('all queries', False),
                       ('lean, mmdet losses', True)):
        head = MODELS.build(
            dict(
                type='DETRPanopticHead',
                num_things_classes=80,
                num_stuff_classes=53,
                lean=lean)).to(device)
        if heads:
            head.load_state_dict(next(iter(heads.values())).state_dict())
        if name == 'lean, mmdet losses':
            head._fused_mask_losses = lambda: False
        heads[name] = head.train()
    data = build_inputs(args, device)
    fns = {name: step_fn(head, *data) for name, head in heads.items()}
    if device.type == 'cuda':
        sync = torch.cuda.synchronize
        timed = {n: (lambda s=s: (s(), sync())) for n, (_, s) in fns.items()}
    else:
        timed = {n: s for n, (_, s) in fns.items()}
    ms = median_ms(timed, args.warmup, args.repeats)
    rows = []
    for name, (forward, step) in fns.items():
        row = dict(
            path=name,
            step_ms=ms[name],
            saved_for_backward_mb=saved_for_backward_mb(forward))
        if device.type == 'cuda':
            row['peak_cuda_mb'] = peak_cuda_mb(step)
        rows.append(row)
    # Same masks, same loss: the lean path only skips unused queries.
    losses = [fns[n][0]().item() for n in heads]
    lean, full, mmdet_losses = rows
    print(f'{args.batch} images {args.size[0]}x{args.size[1]}, '
          f'{args.queries} queries, {args.targets} targets per image, '
          f'{args.device}; losses ' + ' / '.join(f'{x:.6f}' for x in losses))
    print('| path | step ms | kept for backward MB | peak CUDA MB |')
    print('|---|---|---|---|')
    for row in rows:
        peak = row.get('peak_cuda_mb')
        print(f"| {row['path']} | {row['step_ms']:.0f} | "
              f"{row['saved_for_backward_mb']:.0f} | "
              f"{'-' if peak is None else f'{peak:.0f}'} |")
    ratios = {}
    for name, other in (('lean / all', full), ('one-pass / mmdet losses',
                                               mmdet_losses)):
        ratios[name] = dict(
            time=lean['step_ms'] / other['step_ms'],
            saved_memory=lean['saved_for_backward_mb'] /
            other['saved_for_backward_mb'])
        if 'peak_cuda_mb' in lean:
            ratios[name]['peak_cuda_memory'] = (
                lean['peak_cuda_mb'] / other['peak_cuda_mb'])
        print(f'{name}: ' + ', '.join(f'{k} {v:.2f}x'
                                      for k, v in ratios[name].items()))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(args=vars(args), rows=rows, ratios=ratios, losses=losses),
                f,
                indent=2)


if __name__ == '__main__':
    main()
