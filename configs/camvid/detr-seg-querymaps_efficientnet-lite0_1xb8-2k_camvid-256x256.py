# DETR-seg of the 2000-step config with the query's own attention maps in
# the mask head's stride-16 and stride-8 steps (FPNMaskHead(
# query_map_levels); not in DETR, whose mask head sees a query only in its
# stride-32 maps and confuses classes that share a stride-32 cell:
# configs/camvid/README.md).
_base_ = './detr-seg_efficientnet-lite0_1xb8-2k_camvid-256x256.py'
model = dict(
    decode_head=dict(
        detr_head=dict(mask_head=dict(query_map_levels=(0, 1)))))
