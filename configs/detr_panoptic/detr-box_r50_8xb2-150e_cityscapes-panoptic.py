# Stage 1 of DETR's two-stage panoptic recipe: the box model alone, trained
# on the boxes of every segment (things and stuff). Evaluated with box AP on
# the thing boxes; detr-panoptic-mask_r50_8xb2-25e_cityscapes-panoptic.py
# continues from it.
_base_ = './detr-panoptic_r50_8xb2-150e_cityscapes-panoptic.py'
model = dict(bbox_head=dict(with_mask=False))
val_evaluator = dict(_delete_=True, type='CocoMetric', metric='bbox')
test_evaluator = val_evaluator
