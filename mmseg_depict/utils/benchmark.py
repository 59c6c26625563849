"""Timing and memory helpers for the benchmark tools."""
import statistics
import time
from typing import Callable, Dict

import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample


def median_ms(fns: Dict[str, Callable], warmup: int,
              repeats: int) -> Dict[str, float]:
    """Median milliseconds of each callable. The callables take turns, one
    call each per round, so drift of a noisy machine hits all of them alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def saved_for_backward_mb(forward: Callable[[], torch.Tensor]) -> float:
    """MiB that autograd keeps between ``forward()`` and its backward
    (unique storages of the saved tensors), then runs the backward."""
    storages = {}

    def pack(t):
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = forward()
    out.sum().backward()
    return sum(storages.values()) / 2**20


def random_samples(batch: int, shape, num_classes: int, seed: int = 0) -> list:
    """``batch`` SegDataSamples with blocky random label maps (a few classes
    per image, like scenes) and the metas of an unpadded ``shape`` image."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch):
        coarse = torch.randint(
            0,
            num_classes, (1, shape[0] // 64 + 1, shape[1] // 64 + 1),
            generator=g)
        labels = coarse.repeat_interleave(64, 1).repeat_interleave(
            64, 2)[:, :shape[0], :shape[1]]
        samples.append(
            SegDataSample(
                gt_sem_seg=PixelData(data=labels),
                metainfo=dict(
                    img_shape=shape,
                    pad_shape=shape,
                    ori_shape=shape,
                    batch_input_shape=shape)))
    return samples
