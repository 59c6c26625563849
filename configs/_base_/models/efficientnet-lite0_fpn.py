# ImageNet-pretrained EfficientNet-Lite0 (stride 4 / 8 / 16 / 32 maps of 24,
# 40, 112, 320 channels) and mmseg's FPN on its stride 16 and 32 maps,
# 192 channels (a ViT-T's width). Token heads and FCN read the FPN's stride
# 16 map (in_index=0: stride 32 context added top-down); heads that read a
# pyramid (SegFormer, Mask2Former, DETR-seg) set `neck=None` and take the
# backbone's four maps. The weights: tools/install.sh writes them with
# tools/model_converters/efficientnet_lite2mmseg.py.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # The TensorFlow release's Lite normalisation (efficientnet_lite_builder):
    # mean 0.498 * 255, std 0.502 * 255 on RGB.
    mean=[127.0, 127.0, 127.0],
    std=[128.0, 128.0, 128.0],
    bgr_to_rgb=True,
    size_divisor=32,  # training batches: crops of any multiple of 32
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(2, 3, 5, 7),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pretrain/efficientnet-lite0_in1k.pth')),
    neck=dict(
        type='FPN',
        in_channels=[24, 40, 112, 320],
        out_channels=192,
        start_level=2,
        num_outs=2),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
