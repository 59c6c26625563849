# Mask2Former (Cheng et al., CVPR 2022; mmdet's head and pixel decoder,
# mmseg's semantic wrapper, float32 losses) on the backbone's four maps:
# the deformable pixel decoder reads strides 8 / 16 / 32, the masks come from
# stride 4. mmseg's recipe (losses, matching costs, point sampling) at the
# size that fits the CPU budget (1000 steps in 30 minutes on 2 cores; mmseg's
# sizes take 7.8 s a step here, this one 1.5 s): 128 wide instead of 256,
# 30 queries instead of 100 (11 classes), one pixel-decoder layer instead of
# 6, 3 decoder layers (one round over the 3 levels) instead of 9, 1024
# sampled points per mask (a quarter of a 64x64 mask) instead of 12544.
_base_ = './fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
num_classes = 11
embed_dims = 128
attention = dict(
    embed_dims=embed_dims,
    num_heads=8,
    attn_drop=0.0,
    proj_drop=0.0,
    dropout_layer=None,
    batch_first=True)
model = dict(
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='AmpMask2FormerSegHead',
        in_channels=[24, 40, 112, 320],
        strides=[4, 8, 16, 32],
        feat_channels=embed_dims,
        out_channels=embed_dims,
        num_classes=num_classes,
        num_queries=30,
        num_transformer_feat_level=3,
        align_corners=False,
        pixel_decoder=dict(
            type='mmdet.Float32MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=1,
                layer_cfg=dict(
                    self_attn_cfg=dict(
                        embed_dims=embed_dims,
                        num_heads=8,
                        num_levels=3,
                        num_points=4,
                        im2col_step=64,
                        dropout=0.0,
                        batch_first=True,
                        norm_cfg=None,
                        init_cfg=None),
                    ffn_cfg=dict(
                        embed_dims=embed_dims,
                        feedforward_channels=embed_dims * 4,
                        num_fcs=2,
                        ffn_drop=0.0,
                        act_cfg=dict(type='ReLU', inplace=True))),
                init_cfg=None),
            positional_encoding=dict(
                num_feats=embed_dims // 2, normalize=True),
            init_cfg=None),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=embed_dims // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=attention,
                cross_attn_cfg=attention,
                ffn_cfg=dict(
                    embed_dims=embed_dims,
                    feedforward_channels=embed_dims * 8,
                    num_fcs=2,
                    act_cfg=dict(type='ReLU', inplace=True),
                    ffn_drop=0.0,
                    dropout_layer=None,
                    add_identity=True)),
            init_cfg=None),
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=2.0,
            reduction='mean',
            class_weight=[1.0] * num_classes + [0.1]),
        loss_mask=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=True,
            reduction='mean',
            loss_weight=5.0),
        loss_dice=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            reduction='mean',
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0),
        train_cfg=dict(
            num_points=1024,
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.ClassificationCost', weight=2.0),
                    dict(
                        type='mmdet.CrossEntropyLossCost',
                        weight=5.0,
                        use_sigmoid=True),
                    dict(
                        type='mmdet.DiceCost',
                        weight=5.0,
                        pred_act=True,
                        eps=1.0)
                ]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))))
