"""Paint a model's predictions on an image or a folder of images.

    python demo/image_demo.py INPUT CONFIG [CHECKPOINT] [--out-dir DIR]
        [--device cpu] [--opacity 0.5] [--compile] [--save-prediction]

INPUT is an image file or a folder (searched recursively). For every image
``OUT_DIR/<name>.png`` receives the prediction painted over it (mmseg's /
mmdet's visualizer, class names from the checkpoint, else from the config's
dataset). ``--save-prediction`` also writes the predictions in the config's
task's file format: ``OUT_DIR/labels/<name>.png`` (class indices) for a
semantic config, ``OUT_DIR/panoptic/<name>.png`` and ``OUT_DIR/panoptic.json``
(COCO panoptic) for a panoptic one. Every file is written under a temporary
name and renamed when complete.
"""
import argparse
import os.path as osp

from mmengine.utils import ProgressBar

from mmseg_depict.apis import (Predictor, add_model_arguments, list_images,
                               read_image, write_image)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='image file or folder of images')
    add_model_arguments(parser)
    parser.add_argument(
        '--out-dir', default='outputs/demo', help='output folder')
    parser.add_argument(
        '--save-prediction',
        action='store_true',
        help='also write the predictions as files: label PNGs (semantic '
        'configs) or COCO panoptic PNGs + JSON (panoptic configs)')
    return parser.parse_args(argv)


def output_name(path: str, source: str) -> str:
    """``<name>.png`` relative to the input folder (sub-folders kept)."""
    relative = osp.relpath(path, source) if osp.isdir(source) else \
        osp.basename(path)
    return osp.splitext(relative)[0] + '.png'


def main(argv=None):
    args = parse_args(argv)
    paths = list_images(args.input)
    predictor = Predictor.from_args(args)
    writer = predictor.prediction_writer(args.out_dir) \
        if args.save_prediction else None
    progress = ProgressBar(len(paths)) if len(paths) > 1 else None
    for path in paths:
        image = read_image(path)
        sample = predictor.predict(image)
        name = output_name(path, args.input)
        write_image(
            osp.join(args.out_dir, name), predictor.paint(image, sample))
        if writer:
            source = osp.relpath(path, args.input) \
                if osp.isdir(args.input) else osp.basename(path)
            writer.add(name, source, image.shape[:2], sample)
        if progress:
            progress.update()
    if writer:
        writer.close()
        print(f'\npredictions written: {writer.description}')
    print(f'\n{len(paths)} image(s) painted into {args.out_dir}')


if __name__ == '__main__':
    main()
