"""What a config's model costs: parameters and FLOPs (whole model and
decode head), inference latency, training-step time and the training step's
peak memory at one input size. No trained weights needed."""
import os
import resource
from typing import Callable, Optional, Tuple

import torch
from mmengine.config import Config

from ..models import fuse_multihead_attention
from ..utils.benchmark import median_ms, random_samples
from ..utils.model_analysis import (build_model, count_params,
                                    model_and_head_macs)


def measure_model_cost(config: str,
                       shape: Tuple[int, int],
                       repeats: int = 3,
                       warmup: int = 1,
                       train_batch: int = 1,
                       device: Optional[torch.device] = None,
                       amp: bool = False) -> dict:
    """Cost of ``config``'s model on an (H, W) ``shape`` input.

    Latency is the median of ``repeats`` runs of one ``encode_decode`` of a
    whole batch-1 image (eval mode, no gradients); the training step is
    ``loss`` + backward of a ``train_batch`` batch on random labels. Every
    ViT encoder attends through the fused kernel, as our configs run.

    Returns:
        dict: ``params_m``, ``head_params_m`` (millions), ``gflops``,
        ``head_gflops`` (2 x multiply-adds), ``latency_ms``,
        ``train_step_ms``, ``train_peak_mib``: on CUDA the step's peak
        allocated memory (weights and gradients included), on the CPU the
        peak resident memory the step adds to the process holding the
        model (:func:`added_peak_rss_mib`).
    """
    device = device or torch.device('cpu')
    cfg = Config.fromfile(config)
    if 'img_size' in cfg.model.backbone:  # ViT position grid
        cfg.model.backbone.img_size = tuple(shape)
    model, scope = build_model(cfg)
    fuse_multihead_attention(model.backbone)
    model_macs, head_macs, head = model_and_head_macs(model, scope,
                                                      tuple(shape))
    model.to(device)
    num_classes = cfg.model.decode_head.num_classes
    img = torch.randn(1, 3, *shape, device=device)
    metas = [s.metainfo for s in random_samples(1, tuple(shape), num_classes)]
    batch = torch.randn(train_batch, 3, *shape, device=device)
    samples = [
        s.to(device)
        for s in random_samples(train_batch, tuple(shape), num_classes)
    ]
    cuda = device.type == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    # amp: float16 autocast as mmengine's AmpOptimWrapper runs the step
    # (loss scaling does not change the time).
    autocast = torch.autocast(device.type, dtype=torch.float16, enabled=amp)

    def infer():
        model.eval()
        with torch.no_grad(), autocast:
            model.encode_decode(img, metas)
        sync()

    def train_step():
        model.train()
        model.zero_grad(set_to_none=True)
        with autocast:
            losses = model.loss(batch, samples)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        sync()

    ms = median_ms(dict(infer=infer, train=train_step), warmup, repeats)
    if cuda:  # weights, gradients and everything the step allocates
        torch.cuda.reset_peak_memory_stats(device)
        train_step()
        peak_mib = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak_mib = added_peak_rss_mib(train_step)
    model.cpu()
    return dict(
        params_m=count_params(model),
        head_params_m=count_params(head),
        gflops=2 * model_macs / 1e9,
        head_gflops=2 * head_macs / 1e9,
        latency_ms=ms['infer'],
        train_step_ms=ms['train'],
        train_peak_mib=peak_mib)


def _resident_kib() -> int:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') // 1024


def added_peak_rss_mib(step: Callable[[], None]) -> Optional[float]:
    """Peak resident memory ``step()`` adds, in MiB: run in a forked child
    (a process's high-water mark cannot be reset; a child's starts at its
    resident size at the fork), as its ``ru_maxrss`` minus its resident
    size before the call. None where ``/proc`` or ``fork`` is missing."""
    if not (hasattr(os, 'fork') and os.path.exists('/proc/self/statm')):
        return None
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, leave without clean-up
        status = 1
        try:
            before = _resident_kib()
            step()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            os.write(write, str(peak - before).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        reply = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not reply:
        raise RuntimeError('the training step failed in the child that '
                           'measures its memory')
    return int(reply) / 1024
