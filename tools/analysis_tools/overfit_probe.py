"""Can the model fit a handful of training images? A quick probe of a
config's recipe (optimizer, clipping, loss weights, head options) before a
long run: the first --images samples of the training set, through the
config's own training pipeline once (one fixed crop each), optionally
scaled down, trained on again and again with the config's optim wrapper;
prints the loss terms every --interval steps.

    python tools/analysis_tools/overfit_probe.py CONFIG [--images 2]
        [--steps 200] [--scale 0.5] [--interval 20] [--seed 0]
        [--cfg-options optim_wrapper.clip_grad.max_norm=0.1 ...]

A recipe that learns drives the losses towards 0 within a few hundred
steps; one that stays flat has a cause that more data will not fix (how the
DETR-seg CamVid config was found: configs/camvid/README.md).
"""
import argparse
import re
import sys

import numpy as np
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from mmengine.structures import PixelData

import mmseg_depict  # noqa: F401
from mmseg_depict.tasks import task_of

AUX = re.compile(r'\.d\d+\.')  # DETR-style losses of intermediate layers


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--images', type=int, default=2)
    parser.add_argument('--steps', type=int, default=200)
    parser.add_argument(
        '--scale',
        type=float,
        default=1.0,
        help='resize the crops by this factor (labels: nearest)')
    parser.add_argument('--interval', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.images < 1 or args.steps < 1 or args.interval < 1:
        parser.error('--images, --steps and --interval must be >= 1')
    if not 0 < args.scale <= 1:
        parser.error(f'--scale must be in (0, 1], got {args.scale}')
    return args


def fixed_batch(cfg: Config, images: int, seed: int):
    """The first ``images`` training samples through the training pipeline
    (one random draw, seeded), collated."""
    from mmseg.registry import DATASETS
    set_random_seed(seed)  # the crops and flips
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    if len(dataset) < images:
        raise ValueError(f'--images {images}: the training set has only '
                         f'{len(dataset)}')
    return pseudo_collate([dataset[i] for i in range(images)])


def scale_batch(data: dict, scale: float) -> dict:
    """Inputs resized bilinearly, labels by nearest, shapes updated."""
    if scale == 1:
        return data
    inputs = F.interpolate(
        data['inputs'],
        scale_factor=scale,
        mode='bilinear',
        align_corners=False)
    shape = tuple(inputs.shape[-2:])
    for sample in data['data_samples']:
        label = sample.gt_sem_seg.data
        sample.gt_sem_seg = PixelData(
            data=F.interpolate(
                label[None].float(), size=shape, mode='nearest')[0].to(label))
        sample.set_metainfo(dict(img_shape=shape, pad_shape=shape))
    return dict(inputs=inputs, data_samples=data['data_samples'])


def main(argv=None):
    args = parse_args(argv)
    from mmseg.registry import MODELS
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    task = task_of(cfg)
    if task.panoptic:
        sys.exit(f'error: {args.config} is a {task.name} ({task.scope}) '
                 'config; the probe takes semantic (mmseg) configs')
    init_default_scope('mmseg')
    try:
        batch = fixed_batch(cfg, args.images, args.seed)
    except ValueError as error:
        sys.exit(f'error: {error}')
    set_random_seed(args.seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = scale_batch(model.data_preprocessor(batch, True), args.scale)
    h, w = data['inputs'].shape[-2:]
    print(f'{args.images} images at {h}x{w}, {args.steps} steps')
    history = []
    for step in range(1, args.steps + 1):
        losses = model.loss(data['inputs'], data['data_samples'])
        loss, log_vars = model.parse_losses(losses)
        optim_wrapper.update_params(loss)
        history.append(loss.item())
        if step == 1 or step % args.interval == 0 or step == args.steps:
            terms = ' '.join(
                f'{k}={v:.3f}' for k, v in log_vars.items()
                if 'loss' in k and k != 'loss' and not AUX.search(k))
            print(f'step {step}: loss={history[-1]:.3f} {terms}', flush=True)
    # Dropout and stochastic depth make single steps noisy.
    tail = history[-min(args.interval, len(history)):]
    print(f'loss {history[0]:.3f} at step 1 -> {np.mean(tail):.3f} '
          f'(mean of the last {len(tail)} steps)')


if __name__ == '__main__':
    main()
