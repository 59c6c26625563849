_base_ = './depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py'
model = dict(decode_head=dict(mode='ca'))
