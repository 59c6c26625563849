# Swin-T (patch 4, window 7, drop path 0.3) as Mask2Former's Swin configs use
# it, for derived configs to take as `_base_.<name>`: mmseg's and mmdet's
# SwinTransformer differ only in how they load the released ImageNet weights.
swin_t_depths = [2, 2, 6, 2]
swin_t_channels = [96, 192, 384, 768]
swin_t_mmseg_backbone = dict(
    _delete_=True,
    type='SwinTransformer',
    embed_dims=96,
    depths=swin_t_depths,
    num_heads=[3, 6, 12, 24],
    window_size=7,
    mlp_ratio=4,
    qkv_bias=True,
    qk_scale=None,
    drop_rate=0.,
    attn_drop_rate=0.,
    drop_path_rate=0.3,
    patch_norm=True,
    out_indices=(0, 1, 2, 3),
    with_cp=False,
    frozen_stages=-1,
    # mmseg's copy of the weights, keys already in its layout.
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/'
        'pretrain/swin/swin_tiny_patch4_window7_224_20220317-1cdeb081.pth'))
swin_t_mmdet_backbone = dict(
    swin_t_mmseg_backbone,
    # The authors' release, converted while loading.
    convert_weights=True,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/SwinTransformer/storage/releases/'
        'download/v1.0.0/swin_tiny_patch4_window7_224.pth'))

# Backbone at 0.1x learning rate; no weight decay on its norms, position
# tables and the query / level embeddings.
swin_t_norm_multi = dict(lr_mult=0.1, decay_mult=0.0)
swin_t_custom_keys = {
    'backbone': dict(lr_mult=0.1, decay_mult=1.0),
    'backbone.patch_embed.norm': swin_t_norm_multi,
    'backbone.norm': swin_t_norm_multi,
    'absolute_pos_embed': swin_t_norm_multi,
    'relative_position_bias_table': swin_t_norm_multi,
    'query_embed': dict(lr_mult=1.0, decay_mult=0.0),
    'query_feat': dict(lr_mult=1.0, decay_mult=0.0),
    'level_embed': dict(lr_mult=1.0, decay_mult=0.0),
}
swin_t_custom_keys.update({
    f'backbone.stages.{stage}.blocks.{block}.norm':
    swin_t_norm_multi
    for stage, num_blocks in enumerate(swin_t_depths)
    for block in range(num_blocks)
})
swin_t_custom_keys.update({
    f'backbone.stages.{stage}.downsample.norm':
    swin_t_norm_multi
    for stage in range(len(swin_t_depths) - 1)
})

# What a Swin-T config overrides in its R50 config (semantic: mmseg's head and
# weights; panoptic: mmdet's).
swin_t_semantic_model = dict(
    backbone=swin_t_mmseg_backbone,
    decode_head=dict(in_channels=swin_t_channels))
swin_t_panoptic_model = dict(
    backbone=swin_t_mmdet_backbone,
    panoptic_head=dict(in_channels=swin_t_channels))
swin_t_optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=swin_t_custom_keys, norm_decay_mult=0.0))
