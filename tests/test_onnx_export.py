"""ONNX export (tools/deployment/pytorch2onnx.py): a DEPICT network of each
structure (SA, CA, SA on the ViT pyramid; the 25 configs differ from these
only in size and dataset settings, checked here), a Mask2Former and a
DETR-seg config run in onnxruntime as in PyTorch (max |logit difference|
<= 1e-4, argmax agreement >= 99.99 %)."""
import glob
import itertools
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import save_checkpoint

from mmseg_depict.apis.onnx_export import (ExportShapeError,
                                           SegmentorForExport,
                                           compare_with_onnxruntime,
                                           export_onnx, onnxruntime_session,
                                           random_weights_segmentor)
from mmseg_depict.models.decode_heads.detr_seg_head import (DETR_DECODER,
                                                            DETR_ENCODER)
from .common import (CONFIGS, load_script, load_unformatted_config, run_tool,
                     write_config)

DEPICT_CONFIGS = sorted(
    osp.relpath(p, CONFIGS)
    for p in glob.glob(osp.join(CONFIGS, 'depict', '*.py')))


def network_name(config: str) -> str:
    """``{algorithm}_{backbone}`` of a config name: the configs that share
    it are one network trained on different datasets."""
    return '_'.join(osp.basename(config).split('_')[:2])


#: Configs of one network differ only in the dataset's class count and image
#: sizes (checked below), which change the exported graph's tensor sizes,
#: not its operators: one export per network (the ADE20K config) covers them.
DEPICT_NETWORKS = {
    name: list(configs)
    for name, configs in itertools.groupby(DEPICT_CONFIGS, key=network_name)
}
#: Model settings that follow the dataset.
DATASET_SETTINGS = ('num_classes', 'img_size', 'size', 'crop_size', 'stride')
#: Model settings that size a network: ViT width (with the head count that
#: keeps attention heads 64 wide, checked below), depth, the head's input
#: width, the pretrained file.
SIZE_SETTINGS = ('embed_dims', 'num_heads', 'num_layers', 'in_channels',
                 'pretrained')


def without(value, settings: tuple):
    if isinstance(value, dict):
        return {
            k: without(v, settings)
            for k, v in value.items() if k not in settings
        }
    if isinstance(value, (list, tuple)):
        return [without(v, settings) for v in value]
    return value


def exported_config(configs: list) -> str:
    """The config of a network that the export test runs: its ADE20K one."""
    ade20k, = (c for c in configs if '_ade20k-' in c)
    return ade20k


def model_settings(config: str) -> dict:
    return Config.fromfile(osp.join(CONFIGS, config)).model.to_dict()


def test_configs_of_a_network_differ_only_in_dataset_settings():
    assert len(DEPICT_NETWORKS) == 9, sorted(DEPICT_NETWORKS)
    for configs in DEPICT_NETWORKS.values():
        exported = exported_config(configs)
        expected = without(model_settings(exported), DATASET_SETTINGS)
        for config in configs:
            assert without(model_settings(config),
                           DATASET_SETTINGS) == expected, (config, exported)


#: The network each test below exports, one per structure (head mode and
#: neck): the networks of a structure differ only in size (checked here),
#: which changes the graph's tensor sizes, not its operators.
EXPORTED_NETWORKS = {
    'depict-sa_vit-t16': 'test_cli_exports_checkpoint_with_dynamic_shape',
    'depict-ca_vit-t16': 'test_head_output_graph_ends_at_the_head_logits',
    'depict-sa_vit-s16-mln': 'test_pyramid_network_exports_with_parity',
}


def test_networks_of_a_structure_differ_only_in_size():
    structures = {}
    for network, configs in DEPICT_NETWORKS.items():
        settings = model_settings(exported_config(configs))
        backbone = settings['backbone']
        assert backbone['embed_dims'] == 64 * backbone['num_heads'], network
        structure = without(settings, DATASET_SETTINGS + SIZE_SETTINGS)
        structures.setdefault(repr(structure), set()).add(network)
    for networks in structures.values():
        exported = networks & set(EXPORTED_NETWORKS)
        assert len(exported) == 1, (sorted(networks), sorted(exported))
    assert len(structures) == len(EXPORTED_NETWORKS)
    for test in EXPORTED_NETWORKS.values():
        assert callable(globals().get(test)), test


#: Depth of the repeated blocks in the exports here (ViT encoder, four where
#: a neck taps four layers; DETR-seg's transformer):
#: the layers are identical blocks, so two show what twelve or twenty-four
#: would, at a fraction of the export time. Widths, heads, the decoder and
#: the classes are the config's; full-depth models are exported by the
#: benchmark (tools/analysis_tools/benchmark_onnx.py).
TEST_DEPTH = 2


@pytest.fixture(scope='module', autouse=True)
def torchlib_registry_built_once():
    """torch.onnx rebuilds its table of ATen -> ONNX functions from
    onnxscript's torchlib for every dynamo export (about 2 s here, 30
    exports in this file); the table depends on the opset only and none of
    our exports adds to it, so one per opset serves them all."""
    from torch.onnx._internal.exporter._registration import ONNXRegistry
    built = {}
    from_torchlib = ONNXRegistry.from_torchlib.__func__

    def cached(cls, opset_version=None):
        key = (cls, opset_version)
        if key not in built:
            args = () if opset_version is None else (opset_version, )
            built[key] = from_torchlib(cls, *args)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ONNXRegistry, 'from_torchlib', classmethod(cached))
        yield


def assert_parity(check: dict) -> None:
    assert check['max_abs_diff'] <= 1e-4, check
    assert check['argmax_agreement'] >= 0.9999, check
    assert check['max_abs'] > 1e-3, check  # logits that say something


def test_pyramid_network_exports_with_parity(tmp_path):
    name = exported_config(DEPICT_NETWORKS['depict-sa_vit-s16-mln'])
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    backbone = cfg.model.backbone
    # Its neck taps four layers of the encoder: four are kept.
    backbone.num_layers = len(backbone.out_indices)
    backbone.out_indices = tuple(range(backbone.num_layers))
    model = random_weights_segmentor(cfg)
    onnx_file = str(tmp_path / 'model.onnx')
    assert export_onnx(model, onnx_file, (32, 64)) == 'dynamo'
    assert_parity(compare_with_onnxruntime(model, onnx_file, (32, 64)))


DETR_SEG = 'detr_seg/detr-seg_r50_8xb2-160k_ade20k-512x512.py'


@pytest.mark.parametrize(
    'name,exporter,query_map_levels',
    [
        ('mask2former/mask2former_r50_8xb2-160k_ade20k-512x512.py',
         'torchscript', None),
        (DETR_SEG, 'dynamo', None),
        (DETR_SEG, 'dynamo', (0, 1)),  # the query's maps in two FPN steps
    ])
def test_query_based_semantic_heads_export(name, exporter, query_map_levels,
                                           tmp_path):
    cfg = load_unformatted_config(osp.join(CONFIGS, name))
    head = cfg.model.decode_head
    if head.type == 'DETRSegHead':  # its transformer at TEST_DEPTH layers
        head.encoder = dict(DETR_ENCODER, num_layers=TEST_DEPTH)
        head.decoder = dict(DETR_DECODER, num_layers=TEST_DEPTH)
    if query_map_levels:
        head.detr_head = dict(
            mask_head=dict(
                type='FPNMaskHead', query_map_levels=query_map_levels))
    model = random_weights_segmentor(cfg)
    onnx_file = str(tmp_path / 'model.onnx')
    assert export_onnx(model, onnx_file, (64, 64)) == exporter
    assert_parity(compare_with_onnxruntime(model, onnx_file, (64, 64)))


def test_cli_exports_checkpoint_with_dynamic_shape(tmp_path):
    """The command line on a DEPICT-SA ViT-T checkpoint (encoder depth
    TEST_DEPTH: a dynamic-shape trace of all twelve layers takes 18 s
    here; the benchmark exports them); the dynamic graph then runs a batch
    of 2 at another size."""
    cfg = load_unformatted_config(
        osp.join(CONFIGS,
                 exported_config(DEPICT_NETWORKS['depict-sa_vit-t16'])))
    cfg.model.backbone.num_layers = TEST_DEPTH
    config = write_config(cfg, str(tmp_path / 'depict-sa_vit-t16_shallow.py'))
    model = random_weights_segmentor(config, seed=3)
    checkpoint = str(tmp_path / 'model.pth')
    save_checkpoint(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(tmp_path / 'out' / 'depict.onnx')
    proc = run_tool([
        'tools/deployment/pytorch2onnx.py', config, checkpoint, '--shape',
        '64', '96', '--dynamic', '--out', onnx_file
    ])
    assert 'dynamo exporter' in proc.stdout
    assert 'argmax agreement' in proc.stdout
    assert os.listdir(tmp_path / 'out') == ['depict.onnx']
    assert_parity(
        compare_with_onnxruntime(model, onnx_file, (48, 80), batch=2))
    # The graph's outputs are at input size: logits and their argmax.
    image = np.random.default_rng(0).uniform(0, 255, (1, 3, 32, 64))
    logits, labels = onnxruntime_session(onnx_file).run(
        None, {'image': image.astype(np.float32)})
    assert logits.shape == (1, 150, 32, 64) and labels.shape == (1, 32, 64)
    assert np.array_equal(labels, logits.argmax(1))
    with torch.no_grad():
        expected, _ = SegmentorForExport(model)(
            torch.from_numpy(image).float())
    assert np.abs(expected.numpy() - logits).max() <= 1e-4


def test_head_output_graph_ends_at_the_head_logits(tmp_path):
    """--output head: one output, the head's logits at 1/16 of the input,
    the same as PyTorch's decode head; its argmax after a resize in the
    application is the default graph's label map. Both graphs of the
    network match PyTorch."""
    config = osp.join(CONFIGS,
                      exported_config(DEPICT_NETWORKS['depict-ca_vit-t16']))
    cfg = Config.fromfile(config)
    cfg.model.backbone.num_layers = TEST_DEPTH
    model = random_weights_segmentor(cfg)
    head_file = str(tmp_path / 'head.onnx')
    full_file = str(tmp_path / 'full.onnx')
    # 32x64 as the other exports: at 64x96 the full graph's labels agreed
    # with float64 PyTorch on 99.87 % of pixels at a logit difference of
    # 3.4e-5, less than float32 PyTorch's own (5.7e-5): near-ties of random
    # weights' logits after the resize, not the export.
    export_onnx(model, head_file, (32, 64), output='head')
    assert export_onnx(model, full_file, (32, 64)) == 'dynamo'
    assert_parity(
        compare_with_onnxruntime(model, head_file, (32, 64), output='head'))
    assert_parity(compare_with_onnxruntime(model, full_file, (32, 64)))
    image = np.random.default_rng(1).uniform(0, 255, (1, 3, 32, 64))
    feed = {'image': image.astype(np.float32)}
    outputs = onnxruntime_session(head_file).run(None, feed)
    assert len(outputs) == 1 and outputs[0].shape == (1, 150, 2, 4)
    resized = torch.nn.functional.interpolate(
        torch.from_numpy(outputs[0]), (32, 64), mode='bilinear')
    _, labels = onnxruntime_session(full_file).run(None, feed)
    assert (resized.argmax(1).numpy() == labels).mean() >= 0.9999


def test_bad_export_requests_are_refused_before_writing(tmp_path):
    pytorch2onnx = load_script('tools/deployment/pytorch2onnx.py')
    depict = osp.join(CONFIGS, 'depict',
                      'depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py')
    out = str(tmp_path / 'x.onnx')
    with pytest.raises(
            ExportShapeError,
            match=r'--shape 50 64: 50 is not a positive multiple '
            r'of 16 \(the FusedVisionTransformer patch size\)'):
        pytorch2onnx.main([depict, '--shape', '50', '64', '--out', out])
    panoptic = osp.join(CONFIGS, 'mask2former',
                        'mask2former_r50_8xb2-lsj-50e_coco-panoptic.py')
    with pytest.raises(ValueError, match='semantic'):
        pytorch2onnx.main([panoptic, '--shape', '64', '64', '--out', out])
    mask2former = osp.join(CONFIGS, 'mask2former',
                           'mask2former_r50_8xb2-160k_ade20k-512x512.py')
    with pytest.raises(ValueError, match='--dynamic'):
        pytorch2onnx.main(
            [mask2former, '--shape', '64', '64', '--dynamic', '--out', out])
    with pytest.raises(
            ValueError, match='--output head: AmpMask2FormerSegHead predicts'):
        pytorch2onnx.main([
            mask2former, '--shape', '64', '64', '--output', 'head', '--out',
            out
        ])
    assert os.listdir(tmp_path) == []
