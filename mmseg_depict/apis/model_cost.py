"""What a config's model costs: parameters and FLOPs (whole model and
decode head), inference latency, training-step time and the training step's
peak memory at one input size. No trained weights needed."""
import contextlib
import os.path as osp
from multiprocessing import get_context
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
        peak resident memory that building the model and one step add to a
        fresh process (:func:`train_step_peak_rss_mib`).
    """
    device = device or torch.device('cpu')
    model, task, num_classes = _cost_model(config, shape)
    model_macs, head_macs, head = model_and_head_macs(model, task,
                                                      tuple(shape))
    model.to(device)
    img = torch.randn(1, 3, *shape, device=device)
    metas = [s.metainfo for s in random_samples(1, tuple(shape), num_classes)]
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

    train_step = _training_step(model, shape, num_classes, train_batch, device,
                                autocast, sync)

    ms = median_ms(dict(infer=infer, train=train_step), warmup, repeats)
    if cuda:  # weights, gradients and everything the step allocates
        torch.cuda.reset_peak_memory_stats(device)
        train_step()
        peak_mib = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak_mib = train_step_peak_rss_mib(config, shape, train_batch)
    model.cpu()
    return dict(
        params_m=count_params(model),
        head_params_m=count_params(head),
        gflops=2 * model_macs / 1e9,
        head_gflops=2 * head_macs / 1e9,
        latency_ms=ms['infer'],
        train_step_ms=ms['train'],
        train_peak_mib=peak_mib)


def _cost_model(config: str, shape: Tuple[int, int]):
    """The config's model (random weights, ViT encoders fused as our configs
    run them), its task and class count."""
    cfg = Config.fromfile(config)
    if 'img_size' in cfg.model.backbone:  # ViT position grid
        cfg.model.backbone.img_size = tuple(shape)
    model, task = build_model(cfg)
    fuse_multihead_attention(model.backbone)
    return model, task, cfg.model.decode_head.num_classes


def _training_step(model: torch.nn.Module,
                   shape: Tuple[int, int],
                   num_classes: int,
                   train_batch: int,
                   device: torch.device,
                   autocast=contextlib.nullcontext(),
                   sync: Callable[[], None] = lambda: None):
    """A closure: ``loss`` + backward of a ``train_batch`` batch of random
    images and labels."""
    batch = torch.randn(train_batch, 3, *shape, device=device)
    samples = [
        s.to(device)
        for s in random_samples(train_batch, tuple(shape), num_classes)
    ]

    def train_step():
        model.train()
        model.zero_grad(set_to_none=True)
        with autocast:
            losses = model.loss(batch, samples)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        sync()

    return train_step


def train_step_peak_rss_mib(config: str,
                            shape: Tuple[int, int],
                            train_batch: int = 1) -> Optional[float]:
    """Peak resident memory, in MiB, that building ``config``'s model and
    one training step add to a fresh process (weights, gradients,
    activations and the allocator's slack): the CPU's counterpart of CUDA's
    peak allocated memory. Measured in a spawned interpreter, since a
    process that has already run (a report's evaluations) keeps freed
    memory that the step would reuse unseen. None off Linux.
    """
    if not osp.exists('/proc/self/clear_refs'):
        return None
    with get_context('spawn').Pool(1) as pool:
        return pool.apply(_step_peak_here, (config, tuple(shape), train_batch))


def _step_peak_here(config: str, shape: Tuple[int, int],
                    train_batch: int) -> Optional[float]:
    # In the spawned process, unpickling this function imported the
    # package, which registered every module.
    return added_peak_rss_mib(
        lambda: _build_and_step(config, shape, train_batch))


def _build_and_step(config: str, shape: Tuple[int, int],
                    train_batch: int) -> None:
    model, _, num_classes = _cost_model(config, shape)
    _training_step(model, shape, num_classes, train_batch,
                   torch.device('cpu'))()


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(f'/proc/self/status has no {field}')


def added_peak_rss_mib(step: Callable[[], None]) -> Optional[float]:
    """Peak resident memory ``step()`` adds to this process, in MiB: the
    kernel's high-water mark (``VmHWM``) is reset to the resident size
    (``/proc/self/clear_refs``, Linux 4.0+) before the call and read after
    it. None where that file is missing or not writable.

    In-process on purpose: measuring in a forked child deadlocked once the
    parent had run multi-threaded torch work (the child inherits OpenMP's
    pool in a locked state), as a report does before its cost table.
    """
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return None
    before = _status_kib('VmRSS')
    step()
    return (_status_kib('VmHWM') - before) / 1024
