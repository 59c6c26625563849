import copy
from typing import Dict, List, Optional

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CachedTransforms(BaseTransform):
    """Run deterministic transforms (loading, decoding, label checks) once
    per file and keep their output in memory for the next epochs.

    On a machine whose cores also train, decoding the same PNGs every
    epoch is what makes the step wait for data (configs/camvid/README.md
    measures mmengine's ``data_time`` share with and without it). The
    cache holds the decoded arrays of every sample seen (CamVid's train
    split: 367 x 0.7 MB = 250 MB), once per data-loader process: use it
    with ``num_workers=0`` or few workers, on datasets that fit in memory.

    Each call returns copies of the cached arrays, so the random transforms
    after it never change what is cached.

    Args:
        transforms (list[dict]): Deterministic transforms, e.g.
            ``[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]``.
        key (str): The result key a sample is cached under. Default:
            ``'img_path'``.
        max_items (int, optional): Samples kept at most; later ones are
            computed each time. Default: no limit.
    """

    def __init__(self,
                 transforms: List[dict],
                 key: str = 'img_path',
                 max_items: Optional[int] = None) -> None:
        self.transforms = Compose(transforms)
        self.key = key
        self.max_items = max_items
        self.cache: Dict[str, dict] = {}

    def transform(self, results: dict) -> Optional[dict]:
        name = results.get(self.key)
        if name is None:
            raise KeyError(f'CachedTransforms: the sample has no {self.key!r} '
                           'to cache it under')
        cached = self.cache.get(name)
        if cached is None:
            cached = self.transforms(results)
            if cached is None:
                return None
            if self.max_items is None or len(self.cache) < self.max_items:
                self.cache[name] = cached
        return {
            k: v.copy() if isinstance(v, np.ndarray) else copy.deepcopy(v)
            for k, v in cached.items()
        }

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'key={self.key!r}, max_items={self.max_items})')
