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
backward on random labels (all models in train mode, same input), and its
peak memory: on CUDA the peak allocated (weights and gradients included),
on the CPU the peak resident memory that building the model and one step
add to a fresh process (weights and gradients included). Every
ViT encoder runs with fused attention (``fuse_multihead_attention``;
mmseg's Segmenter config builds the stock ViT), so the heads differ and
nothing else.
"""
import argparse
import json
import os.path as osp

import torch
from mmengine.config import Config

import mmseg_depict  # noqa: F401
from mmseg_depict.apis.model_cost import measure_model_cost

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
    return dict(
        head=name,
        backbone=backbone,
        config=config,
        **measure_model_cost(
            osp.join(ROOT, config), tuple(args.shape), args.repeats,
            args.warmup, args.train_batch, device, args.amp))


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
    peak = 'allocated' if device.type == 'cuda' else 'added RSS'
    print('| head | backbone | params M (head) | GFLOPs (head) | latency ms '
          f'| train step ms | train peak MiB ({peak}) |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['head']} | {r['backbone']} | {r['params_m']:.1f} "
              f"({r['head_params_m']:.2f}) | {r['gflops']:.1f} "
              f"({r['head_gflops']:.2f}) | {r['latency_ms']:.1f} | "
              f"{r['train_step_ms']:.1f} | {r['train_peak_mib']:.0f} |")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), rows=rows), f, indent=2)


if __name__ == '__main__':
    main()
