_base_ = './detr-panoptic_r50_8xb2-150e_cityscapes-panoptic.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
