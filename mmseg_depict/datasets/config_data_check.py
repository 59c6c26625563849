"""Checks run by ``tools/train.py`` and ``tools/test.py`` before the Runner
starts, so that a wrong path or class count fails at once with the config key
and the file named, not minutes later deep inside a worker."""
import os
import os.path as osp
from typing import Iterable, List, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.registry import DATASETS, init_default_scope

from .file_decode_check import find_bad_files


class DataConfigError(ValueError):
    """A dataset in the config does not match what is on disk or the model."""


def check_config_data(cfg: Config,
                      loader_keys: Iterable[str],
                      decode_files: bool = False,
                      nproc: Optional[int] = None) -> None:
    """Check the datasets of the given dataloaders and the model's classes.

    Args:
        cfg (Config): Full config (after ``--cfg-options``).
        loader_keys (Iterable[str]): e.g. ``('train_dataloader',
            'val_dataloader')``; missing or ``None`` loaders are skipped.
        decode_files (bool): Also decode every image and label of those
            datasets (:func:`find_bad_files`, with a progress bar) and
            name every one that fails; in a distributed run the process
            of rank 0 does. Default: False (paths only).
        nproc (int, optional): Processes that decode.

    Raises:
        DataConfigError: naming the config key and the file or directory
            (with ``decode_files``: every bad file, one per line).
    """
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    samples: List[Tuple[str, Optional[str]]] = []
    for key in loader_keys:
        loader = cfg.get(key)
        if not loader:
            continue
        found = _check_dataset(f'{key}.dataset', loader['dataset'], samples)
        if found is not None:
            _check_num_classes(cfg, f'{key}.dataset', *found)
    # Every rank of a distributed run checks paths; the first one decodes
    # (its failure ends the job).
    if decode_files and int(os.environ.get('RANK', 0)) == 0:
        unique = list(dict.fromkeys(samples))  # val may reuse train's files
        print(f'Decoding {len(unique)} images and their labels '
              f'({", ".join(k for k in loader_keys if cfg.get(k))})')
        bad = find_bad_files(unique, nproc)
        if bad:
            raise DataConfigError(f'{len(bad)} bad file(s) in the datasets of '
                                  f'{", ".join(loader_keys)}:\n  ' +
                                  '\n  '.join(bad))


def _check_dataset(
        key: str, ds_cfg: ConfigDict,
        samples: List[Tuple[str,
                            Optional[str]]]) -> Optional[Tuple[dict, str]]:
    """Returns the dataset's metainfo and type (the first one's for
    wrappers); appends its (image, label) paths to ``samples``."""
    if 'datasets' in ds_cfg:  # ConcatDataset
        metas = [
            _check_dataset(f'{key}.datasets[{i}]', d, samples)
            for i, d in enumerate(ds_cfg['datasets'])
        ]
        return metas[0] if metas else None
    if 'dataset' in ds_cfg:  # RepeatDataset, ClassBalancedDataset
        return _check_dataset(f'{key}.dataset', ds_cfg['dataset'], samples)
    data_root = ds_cfg.get('data_root')
    if data_root and not osp.isdir(data_root):
        raise DataConfigError(
            f"{key}.data_root: directory '{data_root}' does not exist "
            f"(expected the {ds_cfg.get('type')} layout there)")
    dataset = DATASETS.build(dict(ds_cfg, lazy_init=True))
    ann_file = getattr(dataset, 'ann_file', '')
    if ann_file and not osp.isfile(ann_file):
        raise DataConfigError(
            f"{key}.ann_file: file '{ann_file}' does not exist")
    for name, path in dataset.data_prefix.items():
        if path and not osp.isdir(path):
            raise DataConfigError(
                f"{key}.data_prefix.{name}: directory '{path}' does not exist")
    data_list = dataset.load_data_list()
    if not data_list:
        raise DataConfigError(
            f'{key}: no samples found under {dict(dataset.data_prefix)}')
    for info in data_list:
        _check_sample_files(key, info)
        if info.get('img_path'):
            samples.append((info['img_path'], info.get('seg_map_path')))
    return dataset.metainfo, ds_cfg.get('type')


def _check_sample_files(key: str, info: dict) -> None:
    image = info.get('img_path')
    if image and not osp.isfile(image):
        raise DataConfigError(f"{key}: image file '{image}' does not exist")
    label = info.get('seg_map_path')
    if label and not osp.isfile(label):
        raise DataConfigError(
            f"{key}: image '{image}' has no label file '{label}'")


def _check_num_classes(cfg: Config, key: str, metainfo: dict,
                       dataset_type: str) -> None:
    classes = metainfo.get('classes')
    if classes is None:
        return
    for head_key in ('decode_head', 'auxiliary_head'):
        heads = cfg.model.get(head_key)
        heads = heads if isinstance(heads, list) else [heads]
        for i, head in enumerate(h for h in heads if h):
            num = head.get('num_classes')
            where = f'model.{head_key}' + (f'[{i}]' if len(heads) > 1 else '')
            if num is not None and num != len(classes):
                raise DataConfigError(
                    f'{where}.num_classes = {num}, but {key} '
                    f'({dataset_type}) has '
                    f'{len(classes)} classes; set {where}.num_classes='
                    f'{len(classes)} or give the dataset matching metainfo')
    _check_panoptic_classes(cfg, key, metainfo, dataset_type)


def _check_panoptic_classes(cfg: Config, key: str, metainfo: dict,
                            dataset_type: str) -> None:
    """mmdet panoptic heads (Mask2Former, DETR): things and stuff counted
    separately."""
    for head_key in ('panoptic_head', 'panoptic_fusion_head', 'bbox_head'):
        head = cfg.model.get(head_key) or {}
        for kind, names_key in (('things', 'thing_classes'),
                                ('stuff', 'stuff_classes')):
            num = head.get(f'num_{kind}_classes')
            names = metainfo.get(names_key)
            if num is not None and names is not None and num != len(names):
                raise DataConfigError(
                    f'model.{head_key}.num_{kind}_classes = {num}, but {key} '
                    f'({dataset_type}) has {len(names)} {names_key}')
