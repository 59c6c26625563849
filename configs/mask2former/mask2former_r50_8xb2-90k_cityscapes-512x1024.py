# mmseg's Mask2Former recipe as it is (mmdet's Mask2FormerHead,
# MSDeformAttnPixelDecoder, HungarianAssigner and losses); our registries are
# loaded so the same runner can switch decode heads.
_base_ = 'mmseg::mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py'
custom_imports = dict(imports=['mmseg_depict'], allow_failed_imports=False)
