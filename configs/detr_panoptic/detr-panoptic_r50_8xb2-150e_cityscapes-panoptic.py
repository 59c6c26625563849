# DETR panoptic R50 on Cityscapes-panoptic (8 things, 11 stuff), boxes and
# masks trained jointly with DETR's optimiser and schedule.
_base_ = [
    '../_base_/models/detr-panoptic_r50.py',
    '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/schedules/detr_150e.py', '../_base_/default_runtime_mmdet.py'
]
model = dict(bbox_head=dict(num_things_classes=8, num_stuff_classes=11))
default_hooks = dict(checkpoint=dict(interval=10))
