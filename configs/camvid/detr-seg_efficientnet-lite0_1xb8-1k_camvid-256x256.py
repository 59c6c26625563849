# DETR's panoptic head as a semantic head (DETRSegHead): its transformer on
# the backbone's stride 32 map, its FPN mask head on the stride 16, 8 and 4
# maps, DETR's losses. Sized for the CPU budget (DETR's 256 wide, 100
# queries and dropout 0.1 take 3.0 s a training step here): 128 wide, FFN
# 1024, 6 + 6 layers, 30 queries (a query per class present is what
# semantic targets need: at most 11), no dropout, mask-head stages half as
# wide (64 .. 8 channels). Three changes so that it can learn in 1000 steps
# (probes in configs/camvid/README.md): DETR's lr for its transformer (lr /
# 10; not DETR's gradient clipping at norm 0.1, under which the box and class
# gradients leave the mask branch nothing), matching led by the class (every
# photograph holds nearly the same classes and their boxes overlap), and
# attention maps of mean 1 for the mask head (MHAttentionMap(mean_one)).
_base_ = './fcn_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
embed_dims = 128
attention = dict(
    embed_dims=embed_dims, num_heads=8, dropout=0.0, batch_first=True)
ffn = dict(
    embed_dims=embed_dims,
    feedforward_channels=1024,
    num_fcs=2,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))
model = dict(
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='DETRSegHead',
        in_channels=[24, 40, 112, 320],
        num_classes=11,
        embed_dims=embed_dims,
        num_queries=30,
        encoder=dict(
            num_layers=6, layer_cfg=dict(self_attn_cfg=attention,
                                         ffn_cfg=ffn)),
        decoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=attention, cross_attn_cfg=attention,
                ffn_cfg=ffn),
            return_intermediate=True),
        positional_encoding=dict(num_feats=embed_dims // 2, normalize=True),
        detr_head=dict(
            attention_map=dict(
                type='MHAttentionMap',
                query_dim=embed_dims,
                hidden_dim=embed_dims,
                mean_one=True),
            mask_head=dict(type='FPNMaskHead', context_channels=128),
            train_cfg=dict(
                assigner=dict(
                    type='HungarianAssigner',
                    match_costs=[
                        dict(type='ClassificationCost', weight=5.0),
                        dict(type='BBoxL1Cost', weight=1.0, box_format='xywh'),
                        dict(type='IoUCost', iou_mode='giou', weight=1.0)
                    ])))))
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'decode_head': dict(lr_mult=0.1),
            # The mask branch trains at the recipe's lr.
            'decode_head.detr.mask_head': dict(lr_mult=1.0),
            'decode_head.detr.attention_map': dict(lr_mult=1.0)
        }))
