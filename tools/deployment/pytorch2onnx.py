"""Export a semantic segmentation config (and checkpoint) to ONNX.

    python tools/deployment/pytorch2onnx.py CONFIG [CHECKPOINT] --shape H W
        [--dynamic] [--output {input-size,head}] [--out FILE.onnx]
        [--no-verify]

The graph takes ``image`` (N, 3, H, W) float32 RGB in 0..255 and returns
``seg_logits`` (N, K, H, W) — resized to the input, as mmseg predicts — and
``seg_map`` (N, H, W) int64, the label map. With ``--output head`` (DEPICT,
DETR-seg) it returns only ``seg_logits`` at the head's resolution (H/16 x
W/16 for DEPICT), for applications that resize them to the original image
size themselves; it skips a full-resolution resize and argmax that the
application would otherwise repeat. Normalisation is inside; the
sliding-window loop of ``test_cfg.mode='slide'`` is not (export at the
window size). H and W must be multiples of the ViT patch size (else of 32).
After the export the file is run in onnxruntime beside PyTorch on a random
image and the largest logit difference and the argmax agreement are
printed (the reference runs in float64); ``--no-verify`` skips that.
"""
import argparse
import os.path as osp

import mmseg_depict  # noqa: F401  (registries, safe checkpoint loading)
from mmseg_depict.apis import init_inference_model, load_inference_config
from mmseg_depict.apis.onnx_export import (OUTPUTS, check_export_shape,
                                           compare_with_onnxruntime,
                                           export_onnx,
                                           random_weights_segmentor)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='semantic (mmseg) config file')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint (default: none, random '
        'initial weights, e.g. to check that a config exports)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        required=True,
        metavar=('H', 'W'),
        help='input height and width of the example (and, without '
        '--dynamic, of every input)')
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='batch size, height and width as graph dimensions')
    parser.add_argument(
        '--output',
        choices=OUTPUTS,
        default='input-size',
        help='input-size: logits resized to the input and the label map '
        '(default); head: the decode head\'s logits only, at its own '
        'resolution')
    parser.add_argument(
        '--out', help='ONNX file (default: work_dirs/onnx/<config>.onnx)')
    parser.add_argument(
        '--no-verify',
        action='store_true',
        help='skip the onnxruntime comparison with PyTorch')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg, task = load_inference_config(args.config)
    if task.panoptic:
        raise ValueError(f'{args.config}: ONNX export covers semantic (mmseg) '
                         'configs; this one is panoptic (mmdet)')
    shape = check_export_shape(cfg, args.shape)
    if args.checkpoint is None:
        model = random_weights_segmentor(cfg)
    else:
        model, _ = init_inference_model(cfg, args.checkpoint, 'cpu')
    name = osp.splitext(osp.basename(args.config))[0]
    out = args.out or osp.join('work_dirs', 'onnx', f'{name}.onnx')
    exporter = export_onnx(
        model, out, shape, dynamic=args.dynamic, output=args.output)
    outputs = 'seg_logits (head resolution)' if args.output == 'head' \
        else 'seg_logits, seg_map'
    print(f'{out} ({exporter} exporter): input image (N, 3, {shape[0]}, '
          f'{shape[1]}){" (dynamic N, H, W)" if args.dynamic else ""} -> '
          f'{outputs}')
    if not args.no_verify:
        check = compare_with_onnxruntime(model, out, shape, output=args.output)
        print(f"onnxruntime vs PyTorch (float64): max |logit difference| "
              f"{check['max_abs_diff']:.2e} (PyTorch float32: "
              f"{check['torch_fp32_diff']:.2e}; logits up to "
              f"{check['max_abs']:.2f}), argmax agreement "
              f"{100 * check['argmax_agreement']:.4f} %")


if __name__ == '__main__':
    main()
