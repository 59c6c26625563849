"""A source model in the DEPICT / Segmenter release layout: a timm-style ViT
encoder and the MaskTransformer decoder in SA or CA layout, with the
release's numerics (torch's default LayerNorm eps 1e-5 everywhere, position
embeddings stored for the training grid and resized bilinearly at run time).
Parameter names follow the release, so ``state_dict()`` is a checkpoint in
the source format. Checked against the release's own model code (run side by
side, float64: within 5e-14, see configs/depict/README.md)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, d = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads,
                                      d // self.heads).permute(2, 0, 3, 1, 4)
        attn = torch.softmax(
            q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, d))


class Mlp(nn.Module):

    def __init__(self, d):
        super().__init__()
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):

    def __init__(self, d, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.norm2 = nn.LayerNorm(d)
        self.mlp = Mlp(d)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):

    def __init__(self, d, patch):
        super().__init__()
        self.proj = nn.Conv2d(3, d, patch, patch)


class ViT(nn.Module):
    """timm-style ViT; position embedding stored for a ``grid`` x ``grid``
    training grid and resized bilinearly at run time, as Segmenter does."""

    def __init__(self, d, depth, heads, grid, patch=16, distilled=False):
        super().__init__()
        self.patch = patch
        self.extra = 2 if distilled else 1
        self.patch_embed = PatchEmbed(d, patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        if distilled:
            self.dist_token = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.pos_embed = nn.Parameter(
            torch.randn(1, self.extra + grid * grid, d) * 0.02)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1000)

    def forward(self, img):
        B, _, H, W = img.shape
        x = self.patch_embed.proj(img).flatten(2).transpose(1, 2)
        tokens = [self.cls_token
                  ] + ([self.dist_token] if self.extra == 2 else [])
        x = torch.cat([t.expand(B, -1, -1) for t in tokens] + [x], dim=1)
        extra, grid = self.pos_embed[:, :self.extra], self.pos_embed[:, self.
                                                                     extra:]
        side = int(math.sqrt(grid.shape[1]))
        grid = F.interpolate(
            grid.reshape(1, side, side, -1).permute(0, 3, 1, 2),
            size=(H // self.patch, W // self.patch),
            mode='bilinear',
            align_corners=False).flatten(2).transpose(1, 2)
        x = x + torch.cat([extra, grid], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)[:, self.extra:]


class SubspaceFn(nn.Module):

    def __init__(self, d, heads, m):
        super().__init__()
        self.heads, self.m = heads, m
        self.proj = nn.Parameter(torch.randn(heads * m, d) * d**-0.5)
        self.step_size = nn.Parameter(torch.randn(1))

    def subspaces(self, t):
        B, N, _ = t.shape
        return (t @ self.proj.T).reshape(B, N, self.heads,
                                         self.m).permute(0, 2, 1, 3)

    def forward(self, z, query=None):
        W = self.subspaces(z)
        Q = W if query is None else self.subspaces(query)
        A = torch.softmax(Q @ W.transpose(-1, -2) / math.sqrt(self.m), dim=-1)
        out = (A @ W).permute(0, 2, 1, 3).flatten(2)
        return self.step_size * (out @ self.proj)


class Layer(nn.Module):

    def __init__(self, d, heads, m):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.fn = SubspaceFn(d, heads, m)

    def forward(self, x, query=None):
        if query is None:
            return x + self.fn(self.norm(x))
        return query + self.fn(self.norm(x), query)


class Net(nn.Module):

    def __init__(self, d, n, heads, m):
        super().__init__()
        self.layers = nn.ModuleList(Layer(d, heads, m) for _ in range(n))


class MaskTransformer(nn.Module):

    def __init__(self, mode, d, K, n_layers=3, heads=3):
        super().__init__()
        self.mode = mode
        self.cls_emb = nn.Parameter(torch.randn(1, K, d))
        if mode == 'sa':
            self.net = Net(d, n_layers, heads, 100)
            self.decoder_norm = nn.LayerNorm(d)
        else:
            self.snet = Net(d, n_layers, heads, 100)
            self.cnet = Net(d, 3, heads, 50)
            self.snorm = nn.LayerNorm(d)
            self.cnorm = nn.LayerNorm(d)
        self.mask_norm = nn.LayerNorm(K)

    def forward(self, x, h, w):
        B, N, _ = x.shape
        C = self.cls_emb.expand(B, -1, -1)
        if self.mode == 'sa':
            t = torch.cat([x, C], 1)
            for layer in self.net.layers:
                t = layer(t)
            t = self.decoder_norm(t)
            patches, classes = t[:, :N], t[:, N:]
        else:
            for layer in self.snet.layers:
                x = layer(x)
            patches = self.snorm(x)
            for layer in self.cnet.layers:
                C = layer(patches, C)
            classes = self.cnorm(C)
        patches = F.normalize(patches, dim=-1)
        classes = F.normalize(classes, dim=-1)
        masks = self.mask_norm(patches @ classes.transpose(1, 2))
        return masks.transpose(1, 2).reshape(B, -1, h, w)


class Segmenter(nn.Module):

    def __init__(self, mode, d, depth, heads, K, grid, distilled=False):
        super().__init__()
        self.encoder = ViT(d, depth, heads, grid, distilled=distilled)
        self.decoder = MaskTransformer(mode, d, K)
        # Spread LayerNorm affine parameters away from 1 / 0 so their
        # mapping is exercised.
        for name, p in self.named_parameters():
            if 'norm' in name:
                p.data.add_(0.1 * torch.randn_like(p))

    def forward(self, img):
        """Mask logits at patch resolution, (B, K, H/16, W/16)."""
        h, w = img.shape[2] // 16, img.shape[3] // 16
        return self.decoder(self.encoder(img), h, w)
