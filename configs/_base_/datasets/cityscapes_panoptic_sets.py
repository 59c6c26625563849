# The Cityscapes-panoptic files (cityscapesscripts' JSON + PNGs, see
# tools/dataset_converters/cityscapes_panoptic.py) as dataset dicts under
# names of their own: mmengine refuses two bases that define the same key, so
# a config that inherits a whole model + data recipe (the Mask2Former ones,
# from mmdet's COCO config) can still take the data from here. Used by
# cityscapes_panoptic.py (DETR) and the Mask2Former configs.
cityscapes_panoptic_train = dict(
    type='CityscapesPanopticDataset',
    data_root='data/cityscapes/',
    ann_file='gtFine/cityscapes_panoptic_train.json',
    data_prefix=dict(
        img='leftImg8bit/train/', seg='gtFine/cityscapes_panoptic_train/'))
cityscapes_panoptic_val = dict(
    cityscapes_panoptic_train,
    ann_file='gtFine/cityscapes_panoptic_val.json',
    data_prefix=dict(
        img='leftImg8bit/val/', seg='gtFine/cityscapes_panoptic_val/'))
