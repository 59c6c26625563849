# The ADE20K-panoptic files (tools/dataset_converters/ade20k_panoptic.py) as
# dataset dicts under names of their own: mmengine refuses two bases that
# define the same key, so a config that inherits a whole model + data recipe
# (the Mask2Former ones, from mmdet's COCO config) can still take the data
# from here. Used by ade20k_panoptic.py (DETR) and the Mask2Former configs.
ade20k_panoptic_train = dict(
    type='ADE20KPanopticDataset',
    data_root='data/ade/ADEChallengeData2016/',
    ann_file='ade20k_panoptic_train.json',
    data_prefix=dict(img='images/training/', seg='ade20k_panoptic_train/'))
ade20k_panoptic_val = dict(
    ade20k_panoptic_train,
    ann_file='ade20k_panoptic_val.json',
    data_prefix=dict(img='images/validation/', seg='ade20k_panoptic_val/'))
