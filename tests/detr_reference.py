"""A source model in the DETR authors' panoptic layout, with the layout
described in configs/detr_panoptic/README.md: torchvision-named ResNet
body, post-norm
transformer, class / box heads, ``bbox_attention`` and ``mask_head``.
Parameter names follow the release, so ``state_dict()`` is a checkpoint in
the source format. Evaluation mode only (frozen BN, no dropout)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Bottleneck(nn.Module):

    def __init__(self, inplanes, planes, stride=1, downsample=False):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
            nn.BatchNorm2d(planes * 4)) if downsample else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity)


class ResNetBody(nn.Module):
    """Returns res2..res5."""

    def __init__(self, blocks=(3, 4, 6, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        inplanes = 64
        for i, (n, planes) in enumerate(zip(blocks, (64, 128, 256, 512))):
            layers = [Bottleneck(inplanes, planes, 1 if i == 0 else 2, True)]
            layers += [Bottleneck(planes * 4, planes) for _ in range(n - 1)]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layers))
            inplanes = planes * 4

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        outs = []
        for i in range(1, 5):
            x = getattr(self, f'layer{i}')(x)
            outs.append(x)
        return outs


def sine_position(b, h, w, d=256, temperature=10000):
    """Normalised sine embedding of an unpadded (h, w) map: (b, d, h, w)."""
    y = torch.arange(1, h + 1, dtype=torch.float32)[:, None].expand(h, w)
    x = torch.arange(1, w + 1, dtype=torch.float32)[None].expand(h, w)
    y = y / (h + 1e-6) * 2 * math.pi
    x = x / (w + 1e-6) * 2 * math.pi
    n = d // 2
    dim_t = temperature**(2 * (torch.arange(n) // 2) / n)
    px, py = x[..., None] / dim_t, y[..., None] / dim_t
    px = torch.stack((px[..., 0::2].sin(), px[..., 1::2].cos()), -1).flatten(2)
    py = torch.stack((py[..., 0::2].sin(), py[..., 1::2].cos()), -1).flatten(2)
    return torch.cat((py, px), -1).permute(2, 0, 1)[None].expand(b, -1, -1, -1)


class EncoderLayer(nn.Module):

    def __init__(self, d=256, heads=8, ffn=2048):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, heads)
        self.linear1, self.linear2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, src, pos):
        q = src + pos
        src = self.norm1(src + self.self_attn(q, q, src)[0])
        return self.norm2(src + self.linear2(F.relu(self.linear1(src))))


class DecoderLayer(nn.Module):

    def __init__(self, d=256, heads=8, ffn=2048):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, heads)
        self.multihead_attn = nn.MultiheadAttention(d, heads)
        self.linear1, self.linear2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
        self.norm1, self.norm2, self.norm3 = (
            nn.LayerNorm(d) for _ in range(3))

    def forward(self, tgt, memory, pos, query_pos):
        q = tgt + query_pos
        tgt = self.norm1(tgt + self.self_attn(q, q, tgt)[0])
        tgt = self.norm2(tgt + self.multihead_attn(tgt + query_pos, memory +
                                                   pos, memory)[0])
        return self.norm3(tgt + self.linear2(F.relu(self.linear1(tgt))))


class Transformer(nn.Module):

    def __init__(self, layers=6):
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList(EncoderLayer()
                                            for _ in range(layers))
        self.decoder = nn.Module()
        self.decoder.layers = nn.ModuleList(DecoderLayer()
                                            for _ in range(layers))
        self.decoder.norm = nn.LayerNorm(256)


class MLP(nn.Module):

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Linear(256, 256),
             nn.Linear(256, 256),
             nn.Linear(256, 4)])

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == 2 else F.relu(layer(x))
        return x


class MaskHeadSmallConv(nn.Module):

    def __init__(self, dim=264, fpn_dims=(1024, 512, 256), context=256):
        super().__init__()
        inter = [dim, context // 2, context // 4, context // 8, context // 16]
        self.lay1 = nn.Conv2d(dim, dim, 3, padding=1)
        self.gn1 = nn.GroupNorm(8, dim)
        for i in range(2, 6):
            setattr(self, f'lay{i}',
                    nn.Conv2d(inter[i - 2], inter[i - 1], 3, padding=1))
            setattr(self, f'gn{i}', nn.GroupNorm(8, inter[i - 1]))
        self.out_lay = nn.Conv2d(inter[4], 1, 3, padding=1)
        for i, c in enumerate(fpn_dims):
            setattr(self, f'adapter{i + 1}', nn.Conv2d(c, inter[i + 1], 1))

    def forward(self, x, attention, fpns):
        q = attention.shape[1]
        x = torch.cat([x.repeat_interleave(q, 0), attention.flatten(0, 1)], 1)
        x = F.relu(self.gn1(self.lay1(x)))
        x = F.relu(self.gn2(self.lay2(x)))
        for i, fpn in enumerate(fpns):
            cur = getattr(self, f'adapter{i + 1}')(fpn).repeat_interleave(q, 0)
            x = cur + F.interpolate(x, size=cur.shape[-2:], mode='nearest')
            x = F.relu(
                getattr(self, f'gn{i + 3}')(getattr(self, f'lay{i + 3}')(x)))
        return self.out_lay(x)


class MHAttentionMap(nn.Module):

    def __init__(self, d=256, heads=8):
        super().__init__()
        self.heads = heads
        self.q_linear, self.k_linear = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, q, k):
        q = self.q_linear(q)
        k = F.conv2d(k, self.k_linear.weight[..., None, None],
                     self.k_linear.bias)
        b, nq = q.shape[:2]
        qh = q.view(b, nq, self.heads, -1)
        kh = k.view(b, self.heads, -1, *k.shape[-2:])
        scores = torch.einsum('bqnc,bnchw->bqnhw',
                              qh * (256 // self.heads)**-0.5, kh)
        return scores.flatten(2).softmax(-1).view_as(scores)


class DETRPanopticReference(nn.Module):
    """forward(img) -> class logits (B, Q, C+1), boxes (B, Q, 4) cxcywh,
    mask logits (B, Q, H/4, W/4)."""

    def __init__(self, num_classes=134, num_queries=100, blocks=(3, 4, 6, 3)):
        super().__init__()
        self.detr = nn.Module()
        self.detr.backbone = nn.ModuleList([nn.Module()])
        self.detr.backbone[0].body = ResNetBody(blocks)
        self.detr.input_proj = nn.Conv2d(2048, 256, 1)
        self.detr.query_embed = nn.Embedding(num_queries, 256)
        self.detr.transformer = Transformer()
        self.detr.class_embed = nn.Linear(256, num_classes)
        self.detr.bbox_embed = MLP()
        self.bbox_attention = MHAttentionMap()
        self.mask_head = MaskHeadSmallConv()

    def forward(self, img):
        res2, res3, res4, res5 = self.detr.backbone[0].body(img)
        src = self.detr.input_proj(res5)
        b, d, h, w = src.shape
        pos = sine_position(b, h, w).flatten(2).permute(2, 0, 1)
        memory = src.flatten(2).permute(2, 0, 1)  # (hw, b, d)
        for layer in self.detr.transformer.encoder.layers:
            memory = layer(memory, pos)
        query_pos = self.detr.query_embed.weight[:, None].expand(-1, b, -1)
        tgt = torch.zeros_like(query_pos)
        for layer in self.detr.transformer.decoder.layers:
            tgt = layer(tgt, memory, pos, query_pos)
        hs = self.detr.transformer.decoder.norm(tgt).transpose(0, 1)
        logits = self.detr.class_embed(hs)
        boxes = self.detr.bbox_embed(hs).sigmoid()
        memory_map = memory.permute(1, 2, 0).view(b, d, h, w)
        attention = self.bbox_attention(hs, memory_map)
        masks = self.mask_head(src, attention, [res4, res3, res2])
        return logits, boxes, masks.view(b, hs.shape[1], *masks.shape[-2:])
