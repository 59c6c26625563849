"""DEPICTHead against its formulas (configs/depict/README.md): parameter
counts,
the formulas evaluated directly on the same weights, modes and shapes."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmseg_depict.models import DEPICTHead
from .common import CONFIGS

init_default_scope('mmseg')

# d per backbone and the decoder parameter counts the formulas give at
# K = 150 (millions).
SPEC_PARAMS = {
    192: (0.203, 0.291),
    384: (0.407, 0.582),
    768: (0.813, 1.165),
    1024: (1.084, 1.553),
}


def make_head(mode='sa', d=192, num_classes=7, **kwargs):
    torch.manual_seed(0)
    head = DEPICTHead(
        in_channels=d, num_classes=num_classes, mode=mode, **kwargs)
    # Perturb the LayerNorms too, so the comparison sees their use.
    for name, p in head.named_parameters():
        if 'norm' in name:
            p.data.add_(0.1 * torch.randn_like(p))
    spread_class_embeddings(head)
    return head.eval()


def spread_class_embeddings(head):
    """At initialisation (std 0.02) the class embeddings are nearly equal,
    so the final LayerNorm over K divides by a tiny spread and amplifies
    float32 rounding; trained embeddings are distinct, as here."""
    head.cls_emb.data.normal_()


def reference_layer(layer, x, query=None):
    """One subspace attention layer, as the paper writes it."""
    d, heads, m = layer.embed_dims, layer.num_heads, layer.head_dims
    z = F.layer_norm(x, (d, ), layer.norm.weight, layer.norm.bias,
                     layer.norm.eps)
    P = layer.proj

    def subspaces(t):
        return (t @ P.T).reshape(t.shape[0], t.shape[1], heads,
                                 m).permute(0, 2, 1, 3)

    W = subspaces(z)
    Q = W if query is None else subspaces(query)
    A = torch.softmax(Q @ W.transpose(-1, -2) / math.sqrt(m), dim=-1)
    out = (A @ W).permute(0, 2, 1, 3).reshape(Q.shape[0], Q.shape[2],
                                              heads * m)
    base = x if query is None else query
    return base + layer.step_size * (out @ P)


def reference_decoder(head, feat):
    """The decode head, as the paper writes it; feat is (B, d, h, w)."""
    B, d, h, w = feat.shape
    x = feat.flatten(2).transpose(1, 2)
    N = x.shape[1]
    C = head.cls_emb.expand(B, -1, -1)

    def ln(t, norm):
        return F.layer_norm(t, norm.normalized_shape, norm.weight, norm.bias,
                            norm.eps)

    if head.mode == 'sa':
        t = torch.cat([x, C], 1)
        for layer in head.self_layers:
            t = reference_layer(layer, t)
        t = ln(t, head.decoder_norm)
        patches, classes = t[:, :N], t[:, N:]
    else:
        for layer in head.self_layers:
            x = reference_layer(layer, x)
        patches = ln(x, head.patch_norm)
        c = C
        for layer in head.cross_layers:
            c = reference_layer(layer, patches, query=c)
        classes = ln(c, head.class_norm)
    patches = patches / patches.norm(dim=-1, keepdim=True)
    classes = classes / classes.norm(dim=-1, keepdim=True)
    masks = ln(patches @ classes.transpose(1, 2), head.mask_norm)
    return masks.transpose(1, 2).reshape(B, -1, h, w)


@pytest.mark.parametrize('d', sorted(SPEC_PARAMS))
@pytest.mark.parametrize('mode', ['sa', 'ca'])
def test_parameter_counts_match_spec(d, mode):
    head = DEPICTHead(in_channels=d, num_classes=150, mode=mode)
    count = sum(p.numel() for p in head.parameters())
    expected = SPEC_PARAMS[d][mode == 'ca']
    assert round(count / 1e6, 3) == expected


@pytest.mark.parametrize('mode', ['sa', 'ca'])
@pytest.mark.parametrize('shape', [(1, 3, 3), (3, 4, 6), (2, 5, 2)])
@pytest.mark.parametrize('dtype,atol', [(torch.float32, 1e-5),
                                        (torch.float64, 1e-12)])
def test_output_equals_spec_formulas(mode, shape, dtype, atol):
    B, h, w = shape
    head = make_head(mode, num_classes=150).to(dtype)
    feat = torch.randn(B, 192, h, w, dtype=dtype)
    with torch.no_grad():
        ours = head([feat])
        ref = reference_decoder(head, feat)
    assert ours.shape == (B, 150, h, w)
    torch.testing.assert_close(ours, ref, rtol=0, atol=atol)


def test_training_mode_without_dropout_is_deterministic():
    head = make_head('ca', num_cross_layers=2)
    feat = torch.randn(2, 192, 3, 4)
    head.train()
    torch.testing.assert_close(
        head([feat]), reference_decoder(head, feat), rtol=0, atol=1e-5)


def test_configurable_sizes():
    head = DEPICTHead(
        in_channels=32,
        num_classes=5,
        mode='ca',
        num_layers=2,
        num_heads=4,
        dim_head=8,
        cross_dim_head=6,
        num_cross_layers=1,
        attn_drop_rate=0.1)
    assert len(head.self_layers) == 2 and len(head.cross_layers) == 1
    assert head.self_layers[0].proj.shape == (32, 32)
    assert head.cross_layers[0].proj.shape == (24, 32)
    assert head.self_layers[0].attn_drop == 0.1
    assert not hasattr(head, 'conv_seg')


def test_old_dropout_name_still_works_with_a_warning():
    with pytest.warns(FutureWarning, match='`dropout_ratio` is deprecated'):
        head = DEPICTHead(
            in_channels=32,
            num_classes=5,
            num_heads=4,
            dim_head=8,
            dropout_ratio=0.2)
    assert head.self_layers[0].attn_drop == 0.2


def test_unknown_mode_names_valid_ones():
    with pytest.raises(ValueError, match=r"'xa'.*'sa', 'ca'"):
        DEPICTHead(in_channels=32, num_classes=5, mode='xa')


@pytest.mark.parametrize('mode', ['sa', 'ca'])
def test_on_vit_backbone_any_patch_multiple(mode):
    """Whole segmentor: ViT final-normed last-layer tokens feed the head;
    non-square inputs, batch 2, sizes unlike the training size."""
    cfg = Config.fromfile(
        f'{CONFIGS}/depict/depict-{mode}_vit-t16_8xb1-160k_ade20k-512x512.py')
    cfg.model.pretrained = None
    cfg.model.backbone.num_layers = 2
    cfg.model.decode_head.num_classes = 11
    model = MODELS.build(cfg.model).eval()
    spread_class_embeddings(model.decode_head)
    for H, W in [(64, 96), (48, 32)]:
        img = torch.randn(2, 3, H, W)
        with torch.no_grad():
            feats = model.extract_feat(img)
            logits = model(img, mode='tensor')
            ref = reference_decoder(model.decode_head, feats[-1])
        assert feats[-1].shape == (2, 192, H // 16, W // 16)
        assert logits.shape == (2, 11, H // 16, W // 16)
        torch.testing.assert_close(logits, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize('mode', ['sa', 'ca'])
def test_gradients_equal_spec_formulas(mode):
    """Training goes through the fused attention's backward: the gradients
    of weights and input features match those of the plain formulas."""
    head = make_head(mode, num_classes=20).double().train()
    feat = torch.randn(2, 192, 3, 4, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(2, 20, 3, 4, dtype=torch.float64)
    params = [feat] + list(head.parameters())
    ours = torch.autograd.grad((head([feat]) * weights).sum(), params)
    ref = torch.autograd.grad((reference_decoder(head, feat) * weights).sum(),
                              params)
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-9)
