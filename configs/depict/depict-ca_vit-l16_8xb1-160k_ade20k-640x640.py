_base_ = './depict-sa_vit-l16_8xb1-160k_ade20k-640x640.py'
model = dict(decode_head=dict(mode='ca'))
