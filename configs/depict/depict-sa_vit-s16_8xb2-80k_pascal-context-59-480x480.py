_base_ = './depict-sa_vit-b16_8xb2-80k_pascal-context-59-480x480.py'
model = dict(
    pretrained='pretrain/vit-s16_augreg-in21k-ft-in1k_384.pth',
    backbone=dict(embed_dims=384, num_heads=6),
    decode_head=dict(in_channels=384))
