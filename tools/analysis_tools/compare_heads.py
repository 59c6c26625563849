"""One table for all decode heads on ADE20K (or the configs given):
params, FLOPs, latency and training-step time of the models our configs
build, measured in one run.

    python tools/analysis_tools/compare_heads.py [--shape 512 512]
        [--repeats 3] [--train-batch 1] [--device cpu|cuda] [--amp]
        [--out FILE.json] [--only NAME ... | --configs CONFIG ...]

``--configs`` measures those configs instead (named by their file name's
first part, e.g. every ``configs/camvid/*.py`` at ``--shape 360 480``).

Models: DEPICT-SA and DEPICT-CA (ViT-S/16), Segmenter (ViT-S/16, mmseg's
config), Mask2Former and DETR-panoptic (as a semantic head) on ViT-S/16 +
ViTPyramidNeck and on ResNet-50. No pretrained weights; latency is one
``encode_decode`` of a whole image, the training step is ``loss`` +
backward on random labels (all models in train mode, same input). On CUDA
the table adds the training step's peak allocated memory (weights and
gradients included). Every ViT encoder runs with fused attention
(``fuse_multihead_attention``; mmseg's Segmenter config builds the stock ViT),
so the heads differ and nothing else.
"""
import argparse
import json
import os.path as osp

import torch
from mmengine.config import Config

import mmseg_depict  # noqa: F401
from mmseg_depict.models import fuse_multihead_attention
from mmseg_depict.utils.benchmark import median_ms, random_samples
from mmseg_depict.utils.model_analysis import (build_model, count_params,
                                               model_and_head_macs)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMSEG_CONFIGS = osp.join(
    osp.dirname(__import__('mmseg').__file__), '.mim', 'configs')

#: name -> (backbone, config)
MODELS = {
    'DEPICT-SA':
    ('ViT-S/16',
     'configs/depict/depict-sa_vit-s16_8xb1-160k_ade20k-512x512.py'),
    'DEPICT-CA':
    ('ViT-S/16',
     'configs/depict/depict-ca_vit-s16_8xb1-160k_ade20k-512x512.py'),
    'Segmenter':
    ('ViT-S/16',
     osp.join(MMSEG_CONFIGS, 'segmenter',
              'segmenter_vit-s_mask_8xb1-160k_ade20k-512x512.py')),
    'Mask2Former (ViT)':
    ('ViT-S/16 + pyramid',
     'configs/mask2former/mask2former_vit-s16-mln_8xb2-160k_ade20k-512x512.py'
     ),
    'DETR-panoptic (ViT)':
    ('ViT-S/16 + pyramid',
     'configs/detr_seg/detr-seg_vit-s16-mln_8xb2-160k_ade20k-512x512.py'),
    'Mask2Former (R50)':
    ('ResNet-50',
     'configs/mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py'),
    'DETR-panoptic (R50)':
    ('ResNet-50', 'configs/detr_seg/detr-seg_r50_8xb2-160k_ade20k-512x512.py'),
}


def measure(name, backbone, config, args, device):
    cfg = Config.fromfile(osp.join(ROOT, config))
    if 'img_size' in cfg.model.backbone:  # ViT position grid
        cfg.model.backbone.img_size = tuple(args.shape)
    model, scope = build_model(cfg)
    fuse_multihead_attention(model.backbone)
    model_macs, head_macs, head = model_and_head_macs(model, scope,
                                                      tuple(args.shape))
    model.to(device)
    num_classes = cfg.model.decode_head.num_classes
    img = torch.randn(1, 3, *args.shape, device=device)
    metas = [
        s.metainfo for s in random_samples(1, tuple(args.shape), num_classes)
    ]
    batch = torch.randn(args.train_batch, 3, *args.shape, device=device)
    samples = [
        s.to(device) for s in random_samples(args.train_batch, tuple(
            args.shape), num_classes)
    ]
    cuda = device.type == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    # --amp: float16 autocast as mmengine's AmpOptimWrapper runs the step
    # (loss scaling does not change the time).
    autocast = torch.autocast(
        device.type, dtype=torch.float16, enabled=args.amp)

    def infer():
        model.eval()
        with torch.no_grad(), autocast:
            model.encode_decode(img, metas)
        sync()

    def train_step():
        model.train()
        model.zero_grad(set_to_none=True)
        with autocast:
            losses = model.loss(batch, samples)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        sync()

    ms = median_ms(
        dict(infer=infer, train=train_step), args.warmup, args.repeats)
    peak_mib = None
    if cuda:  # weights, gradients and everything the step allocates
        torch.cuda.reset_peak_memory_stats(device)
        train_step()
        peak_mib = torch.cuda.max_memory_allocated(device) / 2**20
    model.cpu()
    return dict(
        head=name,
        backbone=backbone,
        config=config,
        params_m=count_params(model),
        head_params_m=count_params(head),
        gflops=2 * model_macs / 1e9,
        head_gflops=2 * head_macs / 1e9,
        latency_ms=ms['infer'],
        train_step_ms=ms['train'],
        train_peak_mib=peak_mib)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shape', type=int, nargs=2, default=(512, 512))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--train-batch', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='float16 autocast (CUDA), as tools/train.py --amp')
    parser.add_argument('--only', nargs='+', choices=sorted(MODELS))
    parser.add_argument(
        '--configs',
        nargs='+',
        help='measure these configs instead of the ADE20K models')
    parser.add_argument('--out', help='also write the rows as JSON')
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if args.amp and device.type != 'cuda':
        parser.error('--amp needs --device cuda')
    if args.configs:
        models = {}
        for path in args.configs:
            cfg = Config.fromfile(path)
            name = osp.basename(path).split('_')[0]
            models[name] = (cfg.model.backbone.type, osp.abspath(path))
        title = f'{len(models)} configs'
    else:
        models = {name: MODELS[name] for name in (args.only or MODELS)}
        title = 'ADE20K (150 classes)'
    rows = [
        measure(name, *where_from, args, device)
        for name, where_from in models.items()
    ]
    where = (
        torch.cuda.get_device_name(device) if device.type == 'cuda' else
        f'cpu, {torch.get_num_threads()} threads')
    print(f'{title}, {args.shape[0]}x{args.shape[1]}, '
          f'{where}; training step batch {args.train_batch}'
          f'{", float16 autocast" if args.amp else ""}')
    peak = args.device.startswith('cuda')
    print('| head | backbone | params M (head) | GFLOPs (head) | latency ms '
          '| train step ms |' + (' train peak MiB |' if peak else ''))
    print('|---|---|---|---|---|---|' + ('---|' if peak else ''))
    for r in rows:
        print(f"| {r['head']} | {r['backbone']} | {r['params_m']:.1f} "
              f"({r['head_params_m']:.2f}) | {r['gflops']:.1f} "
              f"({r['head_gflops']:.2f}) | {r['latency_ms']:.1f} | "
              f"{r['train_step_ms']:.1f} |" +
              (f" {r['train_peak_mib']:.0f} |" if peak else ''))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), rows=rows), f, indent=2)


if __name__ == '__main__':
    main()
