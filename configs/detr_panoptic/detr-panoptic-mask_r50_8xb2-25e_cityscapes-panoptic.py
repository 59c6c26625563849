# Stage 2 of DETR's two-stage panoptic recipe: load the stage-1 box model and
# train only the attention map and the mask head (25 epochs, LR / 10 after 15).
_base_ = './detr-panoptic_r50_8xb2-150e_cityscapes-panoptic.py'
load_from = ('work_dirs/detr-box_r50_8xb2-150e_cityscapes-panoptic/'
             'epoch_150.pth')
model = dict(trainable=('bbox_head.attention_map', 'bbox_head.mask_head'))
max_epochs = 25
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[15],
        gamma=0.1)
]
