"""ONNX export of semantic segmentors, checked in onnxruntime.

The exported graph is what a user of the model wants from one image:

* input ``image``: float32 (N, 3, H, W), RGB, values 0..255 — a decoded
  image, channels first; the config's mean / std normalisation is inside
  the graph;
* outputs (``output='input-size'``, the default) ``seg_logits``: float32
  (N, K, H, W), the decode head's logits already resized to the input size
  (bilinear, as mmseg's ``predict``), and ``seg_map``: int64 (N, H, W), their
  argmax — the label map;
* or (``output='head'``, for heads built on mmseg's ``BaseDecodeHead``:
  DEPICT, DETR-seg) only ``seg_logits`` at the head's own resolution
  (N, K, H/16, W/16 for DEPICT), for applications that resize the logits
  themselves — typically straight to the original image size, which the
  export shape rarely is. The full-resolution resize and argmax of 150
  classes are about a fifth of DEPICT-SA ViT-S's time at 512x512.

It is one whole-image forward pass (``EncoderDecoder.encode_decode``): a
sliding-window test (``test_cfg.mode='slide'``) is a loop outside the
network; export at the window size (``test_cfg.crop_size``) and slide over
larger images in the application, as mmseg does.

The exporters are torch's own: ``torch.export``-based
(``torch.onnx.export(dynamo=True)``) for every network it can trace, and the
TorchScript tracer (``dynamo=False``) for networks with mmcv's
``MultiScaleDeformableAttention`` (Mask2Former's pixel decoder): its CPU path
turns feature shapes into tensors and reads them back as numbers, which
``torch.export`` refuses as data-dependent while the tracer records them as
constants — so those graphs have a fixed input shape.
"""
import copy
import logging
import os
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import nn

from .inference import init_inference_model

#: Opset of the exported graphs (GridSample, Resize with antialias off).
OPSET = 18
#: The TorchScript exporter's newest opset.
TORCHSCRIPT_OPSET = 17


class ExportShapeError(ValueError):
    """The export shape is one the network cannot take."""


#: What the exported graph returns, see the module docstring.
OUTPUTS = ('input-size', 'head')


class SegmentorForExport(nn.Module):
    """image (N, 3, H, W) RGB 0..255 -> (seg_logits, seg_map), or
    seg_logits at the head's resolution.

    Args:
        segmentor (nn.Module): An mmseg ``EncoderDecoder`` in eval mode.
        output (str): One of :data:`OUTPUTS`.
    """

    def __init__(self,
                 segmentor: nn.Module,
                 output: str = 'input-size') -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f'output={output!r}: expected one of {OUTPUTS}')
        if output == 'head' and not isinstance(segmentor.decode_head,
                                               BaseDecodeHead):
            raise ValueError(
                f"--output head: {type(segmentor.decode_head).__name__} "
                "predicts through its own post-processing, not one logit "
                "map; export with --output input-size")
        self.segmentor = segmentor
        self.output = output
        preprocessor = segmentor.data_preprocessor
        self.register_buffer('mean', preprocessor.mean.detach().clone())
        self.register_buffer('std', preprocessor.std.detach().clone())

    def forward(self, image: torch.Tensor):
        """Args:
            image (Tensor): (N, 3, H, W) float RGB in 0..255.

        Returns:
            tuple[Tensor, Tensor] | Tensor: logits (N, K, H, W) and labels
            (N, H, W); with ``output='head'`` logits (N, K, h, w) only.
        """
        # The preprocessor's bgr_to_rgb serves images read by cv2 (BGR);
        # the exported graph takes RGB, so only the normalisation is kept.
        inputs = (image - self.mean) / self.std
        if self.output == 'head':
            return self.segmentor.decode_head(
                self.segmentor.extract_feat(inputs))
        shape = (image.shape[2], image.shape[3])
        metas = [dict(img_shape=shape, pad_shape=shape, ori_shape=shape)
                 ] * image.shape[0]
        logits = self.segmentor.encode_decode(inputs, metas)
        return logits, logits.argmax(dim=1)


def shape_divisor(cfg) -> int:
    """The factor every exported side must be a multiple of: the ViT patch
    size, else (ResNet / Swin, or a ViT with a pyramid neck) 32, the
    deepest stride."""
    backbone = cfg.model.backbone
    if 'VisionTransformer' in backbone.type and not cfg.model.get('neck'):
        return int(backbone.patch_size)
    return 32


def check_export_shape(cfg, shape: Sequence[int]) -> Tuple[int, int]:
    """(H, W) if the network takes it, else :class:`ExportShapeError`."""
    if len(shape) != 2:
        raise ExportShapeError(f'--shape {list(shape)}: expected two values, '
                               'H W')
    divisor = shape_divisor(cfg)
    bad = [s for s in shape if s <= 0 or s % divisor]
    if bad:
        raise ExportShapeError(
            f'--shape {shape[0]} {shape[1]}: {bad[0]} is not a positive '
            f'multiple of {divisor} (the {cfg.model.backbone.type} '
            f'{"output stride" if divisor == 32 else "patch size"}); e.g. '
            f'{max(divisor, shape[0] // divisor * divisor)} '
            f'{max(divisor, shape[1] // divisor * divisor)}')
    return int(shape[0]), int(shape[1])


def needs_torchscript_exporter(segmentor: nn.Module) -> bool:
    """True for networks ``torch.export`` cannot trace (mmcv's deformable
    attention reads tensor shapes back as numbers)."""
    from mmcv.ops import MultiScaleDeformableAttention
    return any(
        isinstance(m, MultiScaleDeformableAttention)
        for m in segmentor.modules())


def export_onnx(segmentor: nn.Module,
                out_file: str,
                shape: Tuple[int, int],
                dynamic: bool = False,
                output: str = 'input-size') -> str:
    """Export to ``out_file`` (written under a temporary name, renamed when
    complete).

    Args:
        segmentor (nn.Module): mmseg segmentor in eval mode, on the CPU.
        out_file (str): Destination ``.onnx`` file.
        shape (tuple[int, int]): (H, W) of the example input.
        dynamic (bool): Batch size, height and width as graph dimensions
            (sides must stay multiples of :func:`shape_divisor`).
        output (str): What the graph returns, one of :data:`OUTPUTS`.

    Returns:
        str: The exporter used, ``'dynamo'`` or ``'torchscript'``.
    """
    module = SegmentorForExport(segmentor, output).eval()
    torchscript = needs_torchscript_exporter(segmentor)
    if torchscript and dynamic:
        raise ValueError(
            '--dynamic: this network (MultiScaleDeformableAttention) is '
            'exported by the TorchScript tracer, which fixes the input '
            'shape; export once per shape instead')
    # A batch of 1 would be specialised as a constant by torch.export.
    example = torch.rand(2 if dynamic else 1, 3, *shape) * 255
    dynamic_shapes = None
    if dynamic:
        auto = torch.export.Dim.AUTO
        dynamic_shapes = {'image': {0: auto, 2: auto, 3: auto}}
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(
            dir=folder, prefix='.onnx-export-') as tmp:
        partial = osp.join(tmp, osp.basename(out_file))
        outputs = ['seg_logits'
                   ] if output == 'head' else ['seg_logits', 'seg_map']
        names = dict(input_names=['image'], output_names=outputs)
        with torch.no_grad():
            if torchscript:
                torch.onnx.export(
                    module, (example, ),
                    partial,
                    opset_version=TORCHSCRIPT_OPSET,
                    dynamo=False,
                    **names)
            else:
                torch.onnx.export(
                    module, (example, ),
                    dynamic_shapes=dynamic_shapes,
                    opset_version=OPSET,
                    dynamo=True,
                    verbose=False,
                    **names).save(partial)
        extra = [n for n in os.listdir(tmp) if n != osp.basename(out_file)]
        if extra:
            raise RuntimeError(
                f'the export of {out_file} needs external data files '
                f'({extra}); not supported')
        os.replace(partial, out_file)
    return 'torchscript' if torchscript else 'dynamo'


def onnxruntime_session(onnx_file: str, threads: int = 2):
    """An onnxruntime CPU session with ``threads`` intra-op threads."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = \
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(
        onnx_file, options, providers=['CPUExecutionProvider'])


def compare_with_onnxruntime(segmentor: nn.Module,
                             onnx_file: str,
                             shape: Tuple[int, int],
                             batch: int = 1,
                             seed: int = 0,
                             output: str = 'input-size') -> Dict[str, float]:
    """Run the same random image through onnxruntime and PyTorch.

    The reference is PyTorch in float64: float32 PyTorch itself differs
    from it by 6.7e-5 on DEPICT-CA ViT-S logits (512x512, random weights),
    so a float32 reference would mix its rounding into the export's.
    ``output`` must be the one the file was exported with.

    Returns:
        dict: ``max_abs_diff`` (onnxruntime vs PyTorch float64 logits),
        ``argmax_agreement`` (fraction of pixels with the same label),
        ``torch_fp32_diff`` (PyTorch float32 vs float64, for scale) and the
        logits' ``max_abs``.
    """
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(batch, 3, *shape, generator=generator) * 255
    module = SegmentorForExport(segmentor, output).eval()
    with torch.no_grad():
        logits32 = module(image)
        logits = copy.deepcopy(module).double()(image.double())
    if output == 'input-size':
        (logits32, _), (logits, labels) = logits32, logits
    else:
        labels = logits.argmax(1)
    session = onnxruntime_session(onnx_file)
    ort_logits, *ort_labels = session.run(None, {'image': image.numpy()})
    ort_labels = ort_labels[0] if ort_labels else ort_logits.argmax(1)
    return dict(
        max_abs_diff=float(np.abs(ort_logits - logits.numpy()).max()),
        argmax_agreement=float((ort_labels == labels.numpy()).mean()),
        torch_fp32_diff=float((logits32.double() - logits).abs().max()),
        max_abs=float(logits.abs().max()))


def random_weights_segmentor(config,
                             device: str = 'cpu',
                             seed: Optional[int] = 0) -> nn.Module:
    """The config's segmentor with initial (random) weights, in eval mode,
    nothing read from disk (``init_model`` drops ``pretrained`` and the
    backbone's ``init_cfg``)."""
    if seed is not None:
        torch.manual_seed(seed)
    model, task = init_inference_model(config, None, device)
    if task.panoptic:
        raise ValueError('ONNX export covers semantic (mmseg) configs; this '
                         f'one is {task.name} ({task.scope})')
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every parameter
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model.eval()
