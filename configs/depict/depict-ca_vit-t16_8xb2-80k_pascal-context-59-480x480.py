_base_ = './depict-sa_vit-t16_8xb2-80k_pascal-context-59-480x480.py'
model = dict(decode_head=dict(mode='ca'))
