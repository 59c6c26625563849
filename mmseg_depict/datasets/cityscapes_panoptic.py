import os.path as osp
from typing import List, Sequence

from mmdet.datasets import CocoPanopticDataset
from mmdet.datasets.api_wrappers import COCOPanoptic
from mmdet.registry import DATASETS


class _NameOrderedCOCOPanoptic(COCOPanoptic):
    """COCOPanoptic whose ``get_cat_ids(cat_names=...)`` follows the order of
    the names asked for.

    pycocotools returns ids in the file's order, and mmdet numbers labels in
    that order; cityscapesscripts lists categories by label id (stuff first),
    while mmdet's panoptic heads need things first.
    """

    def get_cat_ids(self, cat_names: Sequence[str] = (), *args,
                    **kwargs) -> List[int]:
        if not cat_names:
            return super().get_cat_ids(cat_names, *args, **kwargs)
        by_name = {
            cat['name']: cat['id']
            for cat in self.dataset['categories']
        }
        missing = [name for name in cat_names if name not in by_name]
        if missing:
            raise KeyError(f'categories {missing} are not in the annotation '
                           f'file (it has {sorted(by_name)})')
        return [by_name[name] for name in cat_names]


@DATASETS.register_module()
class CityscapesPanopticDataset(CocoPanopticDataset):
    """Cityscapes panoptic (8 things, 11 stuff) as cityscapesscripts'
    ``csCreatePanopticImgs`` writes it.

    Layout::

        leftImg8bit/{split}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
        gtFine/cityscapes_panoptic_{split}.json
        gtFine/cityscapes_panoptic_{split}/<city>_<seq>_<frame>_gtFine_panoptic.png

    The JSON's image ids are strings (``<city>_<seq>_<frame>``) and its
    category ids Cityscapes label ids; labels here are 0..7 for the things
    and 8..18 for the stuff. Use
    ``data_prefix=dict(img='leftImg8bit/{split}/',
    seg='gtFine/cityscapes_panoptic_{split}/')``.
    """
    METAINFO = {
        'classes':
        ('person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
         'bicycle', 'road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
         'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky'),
        'thing_classes': ('person', 'rider', 'car', 'truck', 'bus', 'train',
                          'motorcycle', 'bicycle'),
        'stuff_classes':
        ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole',
         'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky'),
        # Cityscapes' own label colours.
        'palette': [(220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
                    (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32),
                    (128, 64, 128), (244, 35, 232), (70, 70, 70),
                    (102, 102, 156), (190, 153, 153), (153, 153, 153),
                    (250, 170, 30), (220, 220, 0), (107, 142, 35),
                    (152, 251, 152), (70, 130, 180)]
    }
    COCOAPI = _NameOrderedCOCOPanoptic

    def parse_data_info(self, raw_data_info: dict) -> dict:
        data_info = super().parse_data_info(raw_data_info)
        # Paths follow from the image id: the JSON's image ``file_name``
        # reads ``*_gtFine_leftImg8bit.png`` (a cityscapesscripts quirk) and
        # lacks the city folder.
        image_id = raw_data_info['raw_img_info']['img_id']
        city = image_id.split('_')[0]
        data_info['img_path'] = osp.join(self.data_prefix['img'], city,
                                         image_id + '_leftImg8bit.png')
        if data_info['seg_map_path'] is not None:
            data_info['seg_map_path'] = osp.join(
                self.data_prefix['seg'], image_id + '_gtFine_panoptic.png')
        return data_info
