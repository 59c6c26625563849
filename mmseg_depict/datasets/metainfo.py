"""Class names and palettes of the datasets our configs read, by name: what
converted checkpoints record as ``meta.dataset_meta`` so that mmseg's and
mmdet's inferencers paint with the right names."""
from typing import Dict, List, Optional

from ..tasks import meta_lists, task_for_scope

#: name -> (registry scope, dataset class name, number of classes).
DATASETS: Dict[str, tuple] = {
    'ade20k': ('mmseg', 'ADE20KDataset', 150),
    'cityscapes': ('mmseg', 'CityscapesDataset', 19),
    'pascal_context_59': ('mmseg', 'PascalContextDataset59', 59),
    'coco_panoptic': ('mmdet', 'CocoPanopticDataset', 133),
    'ade20k_panoptic': ('mmdet', 'ADE20KPanopticDataset', 150),
    'cityscapes_panoptic': ('mmdet', 'CityscapesPanopticDataset', 19),
}


def dataset_meta(name: str) -> dict:
    """``classes``, ``palette`` (and ``thing_classes`` / ``stuff_classes``
    for panoptic datasets) of a dataset in :data:`DATASETS`, as lists."""
    if name not in DATASETS:
        raise KeyError(f'unknown dataset {name!r}; expected one of '
                       f'{sorted(DATASETS)}')
    scope, class_name, _ = DATASETS[name]
    return meta_lists(task_for_scope(scope).dataset_class(class_name).METAINFO)


def dataset_names(panoptic: bool) -> List[str]:
    """The panoptic (or the semantic) datasets of :data:`DATASETS`."""
    return [
        name for name, (scope, _, _) in DATASETS.items()
        if task_for_scope(scope).panoptic == panoptic
    ]


def semantic_dataset_for(num_classes: int) -> Optional[str]:
    """The semantic dataset of :data:`DATASETS` with ``num_classes``."""
    for name, (scope, _, count) in DATASETS.items():
        if not task_for_scope(scope).panoptic and count == num_classes:
            return name
    return None
