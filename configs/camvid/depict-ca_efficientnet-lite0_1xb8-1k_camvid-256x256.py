# DEPICT-CA: depict-sa_efficientnet-lite0_1xb8-1k_camvid-256x256.py with the
# classes refined by cross-attention layers.
_base_ = './depict-sa_efficientnet-lite0_1xb8-1k_camvid-256x256.py'
model = dict(decode_head=dict(mode='ca'))
