_base_ = './depict-sa_vit-t16_8xb1-80k_cityscapes-768x768.py'
model = dict(decode_head=dict(mode='ca'))
