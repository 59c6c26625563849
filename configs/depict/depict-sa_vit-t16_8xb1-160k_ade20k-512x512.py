_base_ = './depict-sa_vit-b16_8xb1-160k_ade20k-512x512.py'
model = dict(
    pretrained='pretrain/vit-t16_augreg-in21k-ft-in1k_384.pth',
    backbone=dict(embed_dims=192, num_heads=3),
    decode_head=dict(in_channels=192))
