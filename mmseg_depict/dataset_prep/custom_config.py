"""A config for a dataset folder written by ``custom_dataset.py``, for the
head a user picks (``tools/misc/write_dataset_config.py``).

The config inherits one of ours (``HEADS``) and states what the dataset
changes: data root, dataset type and metainfo (classes, palette, things /
stuff), class counts, the label range check, and crop sizes fitted to the
images (the base's crop when the images are large enough, else the largest
multiple of 32 that fits the smallest image; resize scales, test windows,
padding and the ViT grid follow). Pipelines are the base's with those values
changed, written out in full so the config reads on its own.
"""
import copy
import os
import os.path as osp
import pprint
from typing import Optional, Tuple

from mmengine.config import Config

from ..tasks import Task, task_of
from .converters.custom_dataset import CustomDatasetError, read_dataset_meta

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
#: head -> (base config under configs/, task). ``{b}``: ViT size.
HEADS = {
    'depict-sa':
    ('depict/depict-sa_vit-{b}16_8xb1-160k_ade20k-{crop}.py', 'semantic'),
    'depict-ca':
    ('depict/depict-ca_vit-{b}16_8xb1-160k_ade20k-{crop}.py', 'semantic'),
    'mask2former': ('mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
                    'semantic'),
    'mask2former-panoptic':
    ('mask2former/mask2former_r50_8xb2-160k_ade20k-panoptic-640x640.py',
     'panoptic'),
    'detr-panoptic':
    ('detr_panoptic/detr-panoptic_r50_8xb2-150e_ade20k-panoptic.py',
     'panoptic'),
}
VIT_SIZES = ('t', 's', 'b', 'l')
#: The ImageNet-pretrained CPU recipe of configs/camvid/: every semantic
#: head there, by the first part of its file name (``--backbone
#: efficientnet-lite0``).
LITE_BACKBONE = 'efficientnet-lite0'
LITE_CONFIGS = osp.join(
    'camvid', '{head}_efficientnet-lite0_1xb8-1k_'
    'camvid-256x256.py')
LITE_HEADS = ('depict-sa', 'depict-ca', 'segmenter', 'mask2former', 'detr-seg',
              'fcn', 'segformer-head')
BACKBONES = VIT_SIZES + (LITE_BACKBONE, )


def base_config(head: str, backbone: str = 's') -> str:
    """Path of the config ``head`` inherits (under configs/)."""
    if backbone not in BACKBONES:
        raise CustomDatasetError(
            f'--backbone {backbone!r}: expected one of {BACKBONES}')
    if backbone == LITE_BACKBONE:
        if head not in LITE_HEADS:
            raise CustomDatasetError(
                f'--head {head!r} with --backbone {backbone}: expected one '
                f'of {sorted(LITE_HEADS)}')
        return osp.join(CONFIGS, LITE_CONFIGS.format(head=head))
    if head not in HEADS:
        raise CustomDatasetError(
            f'--head {head!r}: expected one of {sorted(HEADS)} (and with '
            f'--backbone {LITE_BACKBONE}: {sorted(LITE_HEADS)})')
    template = HEADS[head][0]
    crop = '640x640' if backbone == 'l' else '512x512'
    return osp.join(CONFIGS, template.format(b=backbone, crop=crop))


def head_task(head: str) -> str:
    """``'semantic'`` or ``'panoptic'``."""
    return HEADS[head][1] if head in HEADS else 'semantic'


def fitted_crop(base_crop: Tuple[int, int], min_size) -> Tuple[int, int]:
    """The base's crop, shrunk to a multiple of 32 inside the smallest
    image (at least 32)."""
    return tuple(
        min(c, max(32, s // 32 * 32)) for c, s in zip(base_crop, min_size))


def _scaled(value, factor: float):
    return tuple(int(round(v * factor)) for v in value)


def _fit_pipeline(pipeline: list, crop, factor: float, num_classes: int,
                  task: Task) -> None:
    """Fit one pipeline in place (``crop``: (h, w))."""
    for t in pipeline:
        kind = t.get('type')
        if kind == 'LoadAnnotations' and 'reduce_zero_label' in t:
            t['reduce_zero_label'] = False
        if kind == 'CheckSegLabelRange':
            t['num_classes'] = num_classes
        if kind in ('Resize', 'RandomResize') and t.get('scale'):
            t['scale'] = _scaled(t['scale'], factor)
        if kind == 'RandomChoiceResize':
            t['scales'] = [
                _scaled(s, factor) if isinstance(s, (list, tuple)) else int(
                    round(s * factor)) for s in t['scales']
            ]
        if kind == 'RandomCrop':
            t['crop_size'] = task.crop_size(crop)
        if kind == 'EnlargeShortSide':
            t['min_size'] = min(crop)
        if kind == 'TestTimeAug':
            for group in t['transforms']:
                _fit_pipeline(group, crop, factor, num_classes, task)
        if kind == 'CachedTransforms':
            _fit_pipeline(t['transforms'], crop, factor, num_classes, task)
        if kind == 'RandomChoice':
            for choice in t['transforms']:
                _fit_pipeline(choice, crop, factor, num_classes, task)


def _base_crop(cfg: Config) -> Tuple[int, int]:
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'RandomCrop':
            return task_of(cfg).crop_size_hw(t['crop_size'])
    raise CustomDatasetError(f'{cfg.filename}: no RandomCrop to fit')


def config_text(dataset_dir: str,
                head: str,
                out_file: str,
                backbone: str = 's',
                crop: Optional[Tuple[int, int]] = None) -> str:
    """The config's source text (see the module doc).

    Args:
        dataset_dir (str): A folder written by ``custom_dataset.py``.
        head (str): One of ``HEADS`` (or ``LITE_HEADS`` with the
            EfficientNet-Lite0 backbone).
        out_file (str): Where the config will be written (``_base_`` is
            made relative to it).
        backbone (str): ViT size of the DEPICT heads, or
            ``'efficientnet-lite0'``: the configs/camvid/ recipe.
        crop (tuple, optional): (h, w) crop instead of the fitted one.

    Returns:
        str: Python config source.
    """
    dataset_dir = osp.abspath(dataset_dir)
    meta = read_dataset_meta(dataset_dir)
    base = base_config(head, backbone)
    task = head_task(head)
    if task == 'panoptic' and not meta['panoptic']:
        raise CustomDatasetError(
            f'{dataset_dir} was converted from label PNGs, which have no '
            f'objects: --head {head} needs instance annotations (COCO or '
            'labelme)')
    if task == 'panoptic' and not meta['thing_classes']:
        raise CustomDatasetError(
            f'{dataset_dir} has no thing classes; --head {head} needs at '
            'least one (see --stuff of custom_dataset.py)')
    cfg = Config.fromfile(base)
    base_crop = _base_crop(cfg)
    crop = tuple(crop) if crop else fitted_crop(base_crop, meta['min_size'])
    factor = min(c / b for c, b in zip(crop, base_crop))
    classes = meta['classes']
    num_classes = len(classes)
    metainfo = dict(classes=tuple(classes), palette=meta['palette'])
    values = dict(data_root=dataset_dir, crop_size=crop)
    # What the dataloaders run (top-level copies may be stale), and TTA's.
    pipelines = dict(
        train_pipeline=copy.deepcopy(cfg.train_dataloader.dataset.pipeline),
        test_pipeline=copy.deepcopy(cfg.val_dataloader.dataset.pipeline))
    if 'tta_pipeline' in cfg:
        pipelines['tta_pipeline'] = copy.deepcopy(cfg.tta_pipeline)
    for pipeline in pipelines.values():
        _fit_pipeline(pipeline, crop, factor, num_classes, task_of(cfg))
    values.update(pipelines)
    model = {}
    if 'img_size' in cfg.model.backbone:
        model['backbone'] = dict(img_size=crop)
    preprocessor = cfg.model.data_preprocessor
    if 'size' in preprocessor:
        model['data_preprocessor'] = dict(size=crop)
    augments = preprocessor.get('batch_augments')
    if augments:
        augments = copy.deepcopy(augments)
        for augment in augments:
            if 'size' in augment:
                augment['size'] = crop
        model['data_preprocessor'] = dict(batch_augments=augments)
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        model['test_cfg'] = dict(
            crop_size=crop, stride=_scaled(test_cfg['stride'], factor))
    if task == 'semantic':
        decode = dict(num_classes=num_classes)
        if 'class_weight' in cfg.model.decode_head.get('loss_cls', {}):
            decode['loss_cls'] = dict(class_weight=[1.0] * num_classes + [0.1])
        model['decode_head'] = decode

        def dataset(split):
            return dict(
                type='BaseSegDataset',
                data_root=dataset_dir,
                data_prefix=dict(
                    img_path=f'images/{split}',
                    seg_map_path=f'semantic/{split}'),
                img_suffix=meta['image_suffix'],
                seg_map_suffix='.png',
                reduce_zero_label=False,
                metainfo=metainfo)
    else:
        things, stuff = len(meta['thing_classes']), len(meta['stuff_classes'])
        counts = dict(num_things_classes=things, num_stuff_classes=stuff)
        metainfo.update(
            thing_classes=tuple(meta['thing_classes']),
            stuff_classes=tuple(meta['stuff_classes']))
        if 'panoptic_head' in cfg.model:
            model['panoptic_head'] = dict(
                counts,
                loss_cls=dict(class_weight=[1.0] * num_classes + [0.1]))
            model['panoptic_fusion_head'] = dict(counts)
        else:
            model['bbox_head'] = dict(counts)

        def dataset(split):
            return dict(
                type='CocoPanopticDataset',
                data_root=dataset_dir,
                ann_file=f'panoptic_{split}.json',
                data_prefix=dict(
                    img=f'images/{split}/', seg=f'panoptic/{split}/'),
                metainfo=metainfo)

    values['model'] = model
    for loader, split, pipeline in (('train_dataloader', 'train', 'train'),
                                    ('val_dataloader', 'val', 'test'),
                                    ('test_dataloader', 'val', 'test')):
        values[loader] = dict(
            dataset=dict(dataset(split), pipeline=f'<{pipeline}_pipeline>'))
    out_dir = osp.dirname(osp.abspath(out_file))
    repo = osp.dirname(CONFIGS)
    # Relative inside this repository (it moves with it), else absolute.
    inside = osp.commonpath([out_dir, repo]) == repo
    relative = osp.relpath(base, out_dir) if inside else base
    lines = [
        f'# {head} on {dataset_dir} ({num_classes} classes), written by',
        '# tools/misc/write_dataset_config.py. For another head on the same',
        '# data, run that tool again with another --head; DEPICT SA <-> CA',
        '# and the ViT size are the _base_ line alone.',
        f'_base_ = {relative!r}',
        '',
    ]
    for key, value in values.items():
        text = pprint.pformat(value, width=79, sort_dicts=False)
        # The dataloaders name the pipelines above instead of repeating them.
        for name in ('train', 'test'):
            text = text.replace(f"'<{name}_pipeline>'", f'{name}_pipeline')
        lines.append(f'{key} = {text}')
    return '\n'.join(lines) + '\n'


def write_dataset_config(dataset_dir: str, head: str, out_file: str,
                         **kwargs) -> str:
    """Write :func:`config_text` to ``out_file``; returns the path."""
    text = config_text(dataset_dir, head, out_file, **kwargs)
    compile(text, out_file, 'exec')  # a config that parses, or nothing
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w') as f:
        f.write(text)
    return out_file
