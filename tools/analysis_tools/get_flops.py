"""Parameters and FLOPs of a config's model, whole and decode head.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]

FLOPs are counted by mmengine's analyzer (plus fused attention) on one image
of the given size (default: the config's crop / backbone img_size) and
reported as 2 x multiply-adds, the convention of the DEPICT and Segmenter
papers; multiply-adds are printed too.
"""
import argparse
import inspect
from importlib import import_module

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope, init_default_scope

import mmseg_depict  # noqa: F401
from mmseg_depict.apis import config_scope
from mmseg_depict.utils import count_multiply_adds


class FeatureForward(nn.Module):
    """Traceable ``model.extract_feat(img)``: backbone and neck."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, img):
        return tuple(self.model.extract_feat(img))


class HeadForward(nn.Module):
    """Traceable head call on backbone (and neck) features. Heads whose
    forward takes data samples (Mask2Former in mmseg and mmdet) get one with
    the input's shape."""

    def __init__(self, model: nn.Module, shape, scope: str) -> None:
        super().__init__()
        self.head = getattr(model, 'decode_head', None) or model.panoptic_head
        self.samples = None
        if 'batch_data_samples' in inspect.signature(self.head.forward).parameters:
            structures = import_module(f'{scope}.structures')
            sample_type = getattr(structures, 'SegDataSample', None) or \
                structures.DetDataSample
            self.samples = [
                sample_type(
                    metainfo=dict(
                        batch_input_shape=shape, img_shape=shape,
                        pad_shape=shape))
            ]

    def forward(self, *feats):
        if self.samples is None:
            return self.head(list(feats))
        return self.head(list(feats), self.samples)


def default_shape(cfg: Config):
    size = cfg.model.get('data_preprocessor', {}).get('size') or \
        cfg.model.backbone.get('img_size', (512, 512))
    return tuple(size) if isinstance(size, (list, tuple)) else (size, size)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def count_params(module: nn.Module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    scope = config_scope(cfg)
    init_default_scope(scope)
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(cfg.model).eval()
    shape = tuple(args.shape) if args.shape else default_shape(cfg)
    img = torch.randn(1, 3, *shape)
    with torch.no_grad():
        feats = tuple(model.extract_feat(img))
        head = HeadForward(model, shape, scope)
        head_macs = count_multiply_adds(head, feats)
        model_macs = count_multiply_adds(FeatureForward(model), (img, )) + \
            head_macs
    print(f'config: {args.config}\ninput: 1x3x{shape[0]}x{shape[1]}')
    print('| part | params (M) | GFLOPs | GMACs |\n|---|---|---|---|')
    for part, module, macs in (('model', model, model_macs),
                               ('decode head', head, head_macs)):
        print(f'| {part} | {count_params(module):.3f} | '
              f'{2 * macs / 1e9:.2f} | {macs / 1e9:.2f} |')


if __name__ == '__main__':
    main()
