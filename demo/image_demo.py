"""Paint a model's predictions on an image or a folder of images.

    python demo/image_demo.py INPUT CONFIG [CHECKPOINT] [--out-dir DIR]
        [--device cpu] [--opacity 0.5] [--compile] [--save-label]
        [--save-panoptic]

INPUT is an image file or a folder (searched recursively). For every image
``OUT_DIR/<name>.png`` receives the prediction painted over it (mmseg's /
mmdet's visualizer, class names from the checkpoint, else from the config's
dataset). Semantic configs with ``--save-label`` also write
``OUT_DIR/labels/<name>.png`` (class indices); panoptic configs with
``--save-panoptic`` write ``OUT_DIR/panoptic/<name>.png`` and
``OUT_DIR/panoptic.json`` in the COCO panoptic format. Every file is written
under a temporary name and renamed when complete.
"""
import argparse
import os.path as osp

from mmengine.utils import ProgressBar

from mmseg_depict.apis import (Predictor, add_model_arguments, list_images,
                               read_image, write_image, write_panoptic_json)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='image file or folder of images')
    add_model_arguments(parser)
    parser.add_argument(
        '--out-dir', default='outputs/demo', help='output folder')
    parser.add_argument(
        '--save-label',
        action='store_true',
        help='semantic configs: also write label PNGs (class indices)')
    parser.add_argument(
        '--save-panoptic',
        action='store_true',
        help='panoptic configs: also write COCO panoptic PNGs + JSON')
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
    if args.save_label and predictor.is_panoptic:
        raise ValueError(f'--save-label: {args.config} is a panoptic config; '
                         'use --save-panoptic')
    if args.save_panoptic and not predictor.is_panoptic:
        raise ValueError(f'--save-panoptic: {args.config} is a semantic '
                         'config; use --save-label')
    images, annotations = [], []
    progress = ProgressBar(len(paths)) if len(paths) > 1 else None
    for index, path in enumerate(paths):
        image = read_image(path)
        sample = predictor.predict(image)
        name = output_name(path, args.input)
        write_image(
            osp.join(args.out_dir, name), predictor.paint(image, sample))
        if args.save_label:
            write_image(
                osp.join(args.out_dir, 'labels', name),
                predictor.label_map(sample))
        if args.save_panoptic:
            png, segments = predictor.panoptic_segments(sample)
            write_image(
                osp.join(args.out_dir, 'panoptic', name),
                png,
                channel_order='rgb')
            images.append(
                dict(
                    id=index,
                    file_name=osp.relpath(path, args.input)
                    if osp.isdir(args.input) else osp.basename(path),
                    height=image.shape[0],
                    width=image.shape[1]))
            annotations.append(
                dict(image_id=index, file_name=name, segments_info=segments))
        if progress:
            progress.update()
    if args.save_panoptic:
        write_panoptic_json(
            osp.join(args.out_dir, 'panoptic.json'), images, annotations,
            predictor.panoptic_categories())
    print(f'\n{len(paths)} image(s) painted into {args.out_dir}')


if __name__ == '__main__':
    main()
