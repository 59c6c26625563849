"""Compare our DEPICT configs with the DEPICT / Segmenter release's own code.

    python tools/analysis_tools/compare_with_release.py --release DIR \
        [--configs CONFIG ...] [--protocol-sizes 384x512 300x1400 ...]

DIR holds the release's ``segm`` package as its README sets it up (the
Segmenter code base with DEPICT's ``model/`` folder in place); it needs
``timm==0.4.12`` and ``einops``, which are not dependencies of this project.
On random weights (a 2-layer ViT-T, the config's head), two checks:

* network: the release's ``Segmenter`` -> ``convert_depict`` -> our config,
  logits at 64x64 (the training size), 48x80 and 96x128 in float64;
* protocol: the release's ``inference()`` (windows, merge, resize to the
  original size, softmax; its data pipeline emulated with mmcv's
  ``imrescale`` / ``imflip`` / ``imnormalize``) against ``model.test_step``
  on the config's ``test_pipeline`` and ``tta_pipeline``, on random images.

Prints the largest differences and the argmax agreement per case.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmseg_depict  # noqa: F401
from mmseg_depict.converters import convert_depict

RATIOS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
DEFAULT_CONFIGS = [
    'configs/depict/depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py',
    'configs/depict/depict-ca_vit-t16_8xb1-160k_ade20k-512x512.py',
]


def release_model(mode, num_classes, crop, distilled=False):
    from segm.model.decoder import MaskTransformer
    from segm.model.segmenter import Segmenter
    from segm.model.vit import VisionTransformer
    torch.manual_seed(0)
    encoder = VisionTransformer((crop, crop),
                                16,
                                2,
                                192,
                                768,
                                3,
                                1000,
                                dropout=0.0,
                                distilled=distilled)
    decoder = MaskTransformer(num_classes, 16, 3, 3, 192, 0.0, mode=mode)
    model = Segmenter(encoder, decoder, num_classes).eval()
    for p in model.parameters():  # away from the initial values
        p.data.add_(0.1 * torch.randn_like(p))
    return model


def our_model(cfg, state, distilled=False):
    cfg.model.pretrained = None
    cfg.model.backbone.update(num_layers=2, embed_dims=192, num_heads=3)
    cfg.model.decode_head.in_channels = 192
    if distilled:
        cfg.model.backbone.type = 'DistilledVisionTransformer'
    model = MODELS.build(cfg.model).eval()
    model.load_state_dict(state, strict=True)
    return model


def compare_network(path, distilled=False):
    cfg = Config.fromfile(path)
    cfg.model.backbone.img_size = (64, 64)
    mode = cfg.model.decode_head.mode
    release = release_model(mode, cfg.model.decode_head.num_classes, 64,
                            distilled)
    state, _ = convert_depict(release.state_dict())
    ours = our_model(cfg, state, distilled).double()
    release.double()
    for h, w in [(64, 64), (48, 80), (96, 128)]:
        img = torch.randn(2, 3, h, w, dtype=torch.float64)
        metas = [dict(img_shape=(h, w), pad_shape=(h, w), ori_shape=(h, w))]
        with torch.no_grad():
            expected = release(img)
            got = ours.encode_decode(img, metas * 2)
        print(f'network {osp.basename(path)} distilled={distilled} {h}x{w}: '
              f'max |logit diff| {(expected - got).abs().max():.1e}')


def compare_protocol(path, sizes):
    import segm.utils.torch as ptu
    from segm.model.utils import inference
    ptu.device = torch.device('cpu')
    cfg = Config.fromfile(path)
    window = cfg.model.test_cfg.crop_size[0]
    stride = cfg.model.test_cfg.stride[0]
    scale = next(t for t in cfg.test_pipeline
                 if t['type'] == 'Resize')['scale']
    release = release_model(cfg.model.decode_head.mode,
                            cfg.model.decode_head.num_classes, window)
    state, _ = convert_depict(release.state_dict())
    ours = our_model(cfg, state).double()
    release.double()
    mean = std = np.full(3, 127.5)

    def release_probs(bgr, ratios, flips):
        ims, metas = [], []
        for r in ratios:
            im = mmcv.imrescale(bgr, (int(scale[0] * r), int(scale[1] * r)))
            for flip in flips:
                x = mmcv.imnormalize(
                    mmcv.imflip(im) if flip else im, mean, std, to_rgb=True)
                ims.append(torch.from_numpy(x).permute(2, 0, 1)[None].double())
                metas.append(dict(flip=flip))
        return inference(release, ims, metas, bgr.shape[:2], window, stride, 4)

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for h, w in sizes:
            bgr = cv2.GaussianBlur(
                rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (0, 0), 3)
            image, label = osp.join(tmp,
                                    'image.png'), osp.join(tmp, 'label.png')
            cv2.imwrite(image, bgr)
            cv2.imwrite(label, np.ones((h, w), np.uint8))
            for tta in (False, True):
                pipeline = Compose(
                    cfg.tta_pipeline if tta else cfg.test_pipeline)
                data = pseudo_collate([
                    pipeline(
                        dict(
                            img_path=image,
                            seg_map_path=label,
                            reduce_zero_label=True,
                            seg_fields=[]))
                ])
                with torch.no_grad():
                    if tta:
                        augs = [{
                            k: v[i]
                            for k, v in data.items()
                        } for i in range(len(data['inputs']))]
                        probs = sum(
                            ours.test_step(a)[0].seg_logits.data.softmax(0)
                            for a in augs) / len(augs)
                        expected = release_probs(bgr, RATIOS, (False, True))
                    else:
                        probs = ours.test_step(data)[0].seg_logits.data
                        probs = probs.softmax(0)
                        expected = release_probs(bgr, (1.0, ), (False, ))
                agree = (probs.argmax(0) == expected.argmax(0)).double().mean()
                print(f'protocol {osp.basename(path)} {h}x{w} '
                      f'{"multi" if tta else "single"}-scale: max |prob diff| '
                      f'{(probs - expected).abs().max():.1e}, argmax '
                      f'agreement {100 * agree:.4f} %')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--release',
        required=True,
        help="folder holding the release's segm package")
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument(
        '--protocol-sizes',
        nargs='+',
        default=['384x512', '300x1400', '700x500'])
    args = parser.parse_args(argv)
    if not osp.isdir(osp.join(args.release, 'segm', 'model')):
        raise FileNotFoundError(f"--release {args.release}: no segm/model/ "
                                'folder there')
    sys.path.insert(0, os.path.abspath(args.release))
    init_default_scope('mmseg')
    torch.set_num_threads(2)
    sizes = [tuple(map(int, s.split('x'))) for s in args.protocol_sizes]
    for path in args.configs:
        compare_network(path)
        if Config.fromfile(path).model.decode_head.mode == 'sa':
            compare_network(path, distilled=True)
        compare_protocol(path, sizes)


if __name__ == '__main__':
    main()
