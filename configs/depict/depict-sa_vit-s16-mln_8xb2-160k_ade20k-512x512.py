# DEPICT-SA swapped into the Mask2Former ViT-S config: same backbone, neck,
# data and recipe (AdamW, backbone at 0.1x), only decode_head differs. DEPICT
# reads the neck's last output, which is the ViT's final-normed tokens
# unchanged, so it sees exactly what it sees without a neck.
_base_ = '../mask2former/mask2former_vit-s16-mln_8xb2-160k_ade20k-512x512.py'

model = dict(
    decode_head=dict(
        _delete_=True,
        type='DEPICTHead',
        mode='sa',
        in_channels=384,
        num_classes=150,
        num_layers=3,
        num_heads=3,
        dim_head=100,
        cross_dim_head=50,
        num_cross_layers=3,
        attn_drop_rate=0.0,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
