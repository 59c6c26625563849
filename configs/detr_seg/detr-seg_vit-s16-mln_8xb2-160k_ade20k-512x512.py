# DETR's panoptic head as a semantic decode head, swapped into the Mask2Former
# ViT-S config: same backbone, ViTPyramidNeck, data and recipe; only
# decode_head differs (as in
# depict-sa_vit-s16-mln_8xb2-160k_ade20k-512x512.py).
_base_ = '../mask2former/mask2former_vit-s16-mln_8xb2-160k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        _delete_=True,
        type='DETRSegHead',
        in_channels=[256] * 4,
        num_classes=150))
