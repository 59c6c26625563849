_base_ = './detr-box_r50_8xb2-150e_ade20k-panoptic.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
