_base_ = './detr-panoptic-mask_r50_8xb2-25e_cityscapes-panoptic.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
load_from = ('work_dirs/detr-box_r101_8xb2-150e_cityscapes-panoptic/'
             'epoch_150.pth')
