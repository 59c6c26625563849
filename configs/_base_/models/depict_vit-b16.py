# DEPICT on a ViT-B/16 (mmseg VisionTransformer, final norm, last layer's
# tokens). Derived configs change the width / depth and the head's mode.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],  # "vit" normalisation: [0, 1] -> [-1, 1]
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    # mmseg's EncoderDecoder, sliding windows 4 crops per forward pass (the
    # release's --window-batch-size); test_cfg.batch_size=1 runs them singly.
    type='BatchedSlideEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained='pretrain/vit-b16_augreg-in21k-ft-in1k_384.pth',
    backbone=dict(
        type='FusedVisionTransformer',  # mmseg's ViT, fused attention
        img_size=(512, 512),
        patch_size=16,
        patch_bias=True,  # timm / AugReg patch embeddings have a bias
        in_channels=3,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        drop_path_rate=0.1,
        attn_drop_rate=0.0,
        drop_rate=0.0,
        final_norm=True,
        # As the release's ViT: torch's default LayerNorm eps, and position
        # embeddings resized bilinearly to other input sizes.
        norm_cfg=dict(type='LN', eps=1e-5, requires_grad=True),
        with_cls_token=True,
        interpolate_mode='bilinear'),
    decode_head=dict(
        type='DEPICTHead',
        mode='sa',
        in_channels=768,
        num_classes=150,
        num_layers=3,
        num_heads=3,
        dim_head=100,
        cross_dim_head=50,
        num_cross_layers=3,
        attn_drop_rate=0.0,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(
        mode='slide', crop_size=(512, 512), stride=(512, 512), batch_size=4))
