# DETR's panoptic head as a semantic decode head on R50 res2..res5, swapped
# into the Mask2Former R50 config: only decode_head differs.
_base_ = '../mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        _delete_=True,
        type='DETRSegHead',
        in_channels=[256, 512, 1024, 2048],
        num_classes=150))
