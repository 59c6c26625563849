"""Benchmark decode heads side by side on the same machine and inputs.

    python tools/analysis_tools/benchmark_heads.py [--sizes t s b l]
        [--batches 1 8] [--threads 2] [--repeats 10] [--out FILE.json]

For each ViT width (T/S/B/L = 192/384/768/1024; tokens of a 512x512 input,
640x640 for L) and K classes it measures DEPICT-SA, DEPICT-CA, the DEPICT-SA
formulas written plainly (matmul + softmax, the reference implementation) and
mmseg's SegmenterMaskTransformerHead: parameters, FLOPs (mmengine's counter,
checked against a hand count for DEPICT), median forward and forward+backward
latency, the share of the machine's fp32 matmul rate reached, and the memory
a training step keeps for backward. Prints a table and writes JSON.
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import types

import torch
from mmseg.models.decode_heads import SegmenterMaskTransformerHead

from mmseg_depict.models import DEPICTHead
from mmseg_depict.utils import count_multiply_adds
from mmseg_depict.utils.benchmark import median_ms, saved_for_backward_mb

WIDTHS = {'t': 192, 's': 384, 'b': 768, 'l': 1024}
#: DEPICT mode of each benchmarked head, for the hand count (None: not DEPICT).
HEAD_MODES = {
    'DEPICT-SA': 'sa',
    'DEPICT-CA': 'ca',
    'DEPICT-SA plain': 'sa',
    'Segmenter': None
}
INPUT_SIDE = {'t': 512, 's': 512, 'b': 512, 'l': 640}


def plain_subspace_attention(self, x, query=None):
    """The paper's formulas with explicit matmul + softmax (reference)."""

    def subspaces(t):
        return (t @ self.proj.T).reshape(t.shape[0], t.shape[1],
                                         self.num_heads,
                                         self.head_dims).permute(0, 2, 1, 3)

    w = subspaces(self.norm(x))
    q = w if query is None else subspaces(query)
    attn = torch.softmax(
        q @ w.transpose(-1, -2) / math.sqrt(self.head_dims), dim=-1)
    out = (attn @ w).permute(0, 2, 1, 3).flatten(2)
    return (x if query is None else query) + self.step_size * (out @ self.proj)


def plain_formulas(head: DEPICTHead) -> DEPICTHead:
    plain = copy.deepcopy(head)
    for layer in plain.self_layers:
        layer.forward = types.MethodType(plain_subspace_attention, layer)
    return plain


def build_heads(width: int, num_classes: int) -> dict:
    sa = DEPICTHead(in_channels=width, num_classes=num_classes, mode='sa')
    return {
        'DEPICT-SA':
        sa,
        'DEPICT-CA':
        DEPICTHead(in_channels=width, num_classes=num_classes, mode='ca'),
        'DEPICT-SA plain':
        plain_formulas(sa),
        'Segmenter':
        SegmenterMaskTransformerHead(
            in_channels=width,
            channels=width,
            num_classes=num_classes,
            num_layers=2,
            num_heads=width // 64,
            embed_dims=width,
            dropout_ratio=0.0),
    }


def depict_hand_count(mode: str,
                      width: int,
                      tokens: int,
                      classes: int,
                      layers=3,
                      heads=3,
                      dim_head=100,
                      cross_dim_head=50,
                      cross_layers=3) -> int:
    """Multiply-adds of the matmuls of one DEPICT head forward (batch 1)."""

    def layer(n_kv, n_q, m):
        hm = heads * m
        proj = n_kv * width * hm + (n_q * width * hm if n_q != n_kv else 0)
        return proj + 2 * heads * n_q * n_kv * m + n_q * hm * width

    if mode == 'sa':
        n = tokens + classes
        total = layers * layer(n, n, dim_head)
    else:
        total = layers * layer(tokens, tokens, dim_head)
        total += cross_layers * layer(tokens, classes, cross_dim_head)
    return total + tokens * classes * width  # cosine-similarity masks


def matmul_gflops(warmup: int, repeats: int, n: int = 2048) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    ms = median_ms({'matmul': lambda: a @ b}, warmup, repeats)['matmul']
    return 2 * n**3 / ms / 1e6


def _forward_fn(head, feat):

    def forward():
        with torch.no_grad():
            head([feat])

    return forward


def _train_step_fn(head, feat):

    def train_step():
        head([feat.requires_grad_(True)]).sum().backward()

    return train_step


def benchmark(size, batch, classes, args, matmul_rate):
    width, side = WIDTHS[size], INPUT_SIDE[size]
    tokens_side = side // 16
    feat = torch.randn(batch, width, tokens_side, tokens_side)
    heads = build_heads(width, classes)
    forward, train_step = {}, {}
    for name, head in heads.items():
        head.train()
        forward[name] = _forward_fn(head, feat)
        train_step[name] = _train_step_fn(head, feat)
    forward_ms = median_ms(forward, args.warmup, args.repeats)
    train_step_ms = median_ms(train_step, args.warmup, args.repeats)
    rows = []
    for name, head in heads.items():
        macs = count_multiply_adds(head, ([feat[:1]], )) * batch
        mode = HEAD_MODES[name]
        hand = (
            depict_hand_count(mode, width, tokens_side**2, classes) *
            batch if mode else None)
        rows.append(
            dict(
                size=size,
                input=f'{side}x{side}',
                head=name,
                batch=batch,
                params_m=sum(p.numel() for p in head.parameters()) / 1e6,
                gflops=2 * macs / 1e9,
                hand_gflops=2 * hand / 1e9 if hand else None,
                forward_ms=forward_ms[name],
                train_step_ms=train_step_ms[name],
                forward_share_of_matmul=2 * macs / forward_ms[name] / 1e6 /
                matmul_rate,
                saved_for_backward_mb=saved_for_backward_mb(
                    lambda: head([feat.requires_grad_(True)]))))
    segmenter = next(r for r in rows if r['head'] == 'Segmenter')
    for row in rows:
        row['forward_vs_segmenter'] = row['forward_ms'] / segmenter[
            'forward_ms']
        print(format_row(row), flush=True)
    return rows


HEADER = (
    '| ViT | head | batch | params (M) | GFLOPs | hand GFLOPs | '
    'fwd ms | fwd / Segmenter | fwd+bwd ms | % matmul rate | '
    'saved for bwd (MB) |\n|---|---|---|---|---|---|---|---|---|---|---|')


def format_row(r: dict) -> str:
    hand = f"{r['hand_gflops']:.2f}" if r['hand_gflops'] else '-'
    ratio = (f"{r['forward_vs_segmenter']:.2f}"
             if 'forward_vs_segmenter' in r else '')
    return (
        f"| {r['size'].upper()} ({r['input']}) | {r['head']} | "
        f"{r['batch']} | {r['params_m']:.3f} | {r['gflops']:.2f} | {hand} | "
        f"{r['forward_ms']:.1f} | {ratio} | {r['train_step_ms']:.1f} | "
        f"{100 * r['forward_share_of_matmul']:.0f} | "
        f"{r['saved_for_backward_mb']:.0f} |")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--sizes', nargs='+', default=list(WIDTHS), choices=list(WIDTHS))
    parser.add_argument('--batches', nargs='+', type=int, default=[1, 8])
    parser.add_argument('--num-classes', type=int, default=150)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument(
        '--out', default='work_dirs/benchmark_heads/benchmark_heads.json')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rate = matmul_gflops(args.warmup, args.repeats)
    print(f'fp32 matmul (2048^3), {args.threads} threads: {rate:.1f} GFLOP/s')
    print('GFLOPs = 2 x multiply-adds; % matmul rate = forward GFLOP/s over '
          'the matmul rate\n' + HEADER)
    rows = []
    for size in args.sizes:
        for batch in args.batches:
            rows += benchmark(size, batch, args.num_classes, args, rate)
    print('\n' + HEADER)
    for row in rows:
        print(format_row(row))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(
            dict(
                threads=args.threads,
                matmul_gflops=rate,
                torch=torch.__version__,
                rows=rows),
            f,
            indent=1)
    print(f'\nwritten {args.out}')


if __name__ == '__main__':
    main()
