# Mask2Former on a plain ViT-S/16 (mmseg's ADE20K recipe): the backbone DEPICT
# uses, with four of its layers turned into a stride 4-32 pyramid by
# ViTPyramidNeck. depict-sa_vit-s16-mln_8xb2-160k_ade20k-512x512.py is this
# config with another decode_head and nothing else changed.
_base_ = './mask2former_r50_8xb2-160k_ade20k-512x512.py'

model = dict(
    # "vit" normalisation of the AugReg weights: [0, 255] -> [-1, 1].
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    pretrained='pretrain/vit-s16_augreg-in21k-ft-in1k_384.pth',
    backbone=dict(
        _delete_=True,
        type='FusedVisionTransformer',  # mmseg's ViT, fused attention
        img_size=(512, 512),
        patch_size=16,
        patch_bias=True,
        embed_dims=384,
        num_layers=12,
        num_heads=6,
        out_indices=(3, 5, 7, 11),
        drop_path_rate=0.1,
        final_norm=True,  # the last output is the final-normed tokens
        norm_cfg=dict(type='LN', eps=1e-6, requires_grad=True),
        with_cls_token=True,
        interpolate_mode='bicubic'),
    neck=dict(type='ViTPyramidNeck', in_channels=[384] * 4, out_channels=256),
    decode_head=dict(in_channels=[256] * 4))
