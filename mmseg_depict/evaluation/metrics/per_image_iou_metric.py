from typing import Dict, List, Sequence

import numpy as np
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS

from ..boundary_iou import boundary_areas


@METRICS.register_module()
class PerImageIoUMetric(IoUMetric):
    """mmseg's ``IoUMetric`` that also keeps what each image contributed.

    The returned metrics are ``IoUMetric``'s (computed by it from the same
    areas). Besides, after :meth:`compute_metrics` (on the main process,
    from every rank's results) :attr:`per_image` holds one record per image,
    in dataset order: its path, its (K, K) confusion matrix (rows: label,
    columns: prediction; ignored pixels left out), the (2, K) intersection
    and union of the boundary IoU bands (:mod:`..boundary_iou`) and, with
    ``keep_predictions``, the (H, W) uint8 prediction and label (at most
    255 classes; the ignore index as it is). Comparing models
    image by image (paired bootstrap, where heads disagree) needs these.

    Args:
        boundary_ratio (float): Band width of the boundary IoU as a fraction
            of the image diagonal. Default: 0.02 (the paper's).
        keep_predictions (bool): Keep each image's prediction and label.
            Default: False.
        **kwargs: ``IoUMetric`` arguments (``iou_metrics``,
            ``ignore_index``, ...).
    """

    def __init__(self,
                 boundary_ratio: float = 0.02,
                 keep_predictions: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.boundary_ratio = boundary_ratio
        self.keep_predictions = keep_predictions
        self.per_image: List[dict] = []

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Record every image's confusion matrix and boundary areas; the
        parent's areas follow from the confusion matrix."""
        num_classes = len(self.dataset_meta['classes'])
        if self.keep_predictions and num_classes > 255:
            raise ValueError(f'keep_predictions stores uint8 maps: '
                             f'{num_classes} classes do not fit')
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'].squeeze().cpu()
            label = sample['gt_sem_seg']['data'].squeeze().to(pred)
            scored = label != self.ignore_index
            confusion = torch.bincount(
                label[scored].long() * num_classes + pred[scored].long(),
                minlength=num_classes**2).reshape(num_classes, num_classes)
            pred_np = pred.numpy().astype(np.int64)
            bands = boundary_areas(label.numpy().astype(np.int64), pred_np,
                                   num_classes, self.ignore_index,
                                   self.boundary_ratio)
            record = dict(
                img_path=sample.get('img_path', ''),
                confusion=confusion.numpy(),
                boundary=bands)
            if self.keep_predictions:
                record['pred'] = pred_np.astype(np.uint8)
                record['label'] = label.numpy().astype(np.uint8)
            self.results.append(record)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``IoUMetric``'s metrics, plus ``mBIoU`` (boundary IoU over the
        split, in points); fills :attr:`per_image`."""
        self.per_image = list(results)
        areas = []
        for record in results:
            confusion = torch.from_numpy(record['confusion'])
            intersect = confusion.diag()
            label, pred = confusion.sum(1), confusion.sum(0)
            areas.append((intersect, label + pred - intersect, pred, label))
        metrics = super().compute_metrics(areas)
        bands = np.sum([r['boundary'] for r in results], axis=0)
        with np.errstate(divide='ignore', invalid='ignore'):
            biou = bands[0] / bands[1]
        metrics['mBIoU'] = float(np.round(np.nanmean(biou) * 100, 2))
        return metrics


def per_image_areas(confusion: np.ndarray) -> np.ndarray:
    """(N, K, K) per-image confusion matrices (:attr:`PerImageIoUMetric.
    per_image`) -> (N, 2, K) intersections and unions (the input of the
    paired bootstrap)."""
    confusion = np.asarray(confusion, np.int64)
    intersect = np.diagonal(confusion, axis1=1, axis2=2)
    union = confusion.sum(2) + confusion.sum(1) - intersect
    return np.stack([intersect, union], 1)
