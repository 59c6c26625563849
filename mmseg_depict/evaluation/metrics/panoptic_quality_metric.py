import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.evaluation.functional import INSTANCE_OFFSET
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmseg_depict_light.panoptic_ids import read_panoptic_ids
from mmseg_depict_light.panoptic_quality import VOID, PQStats, pq_image_stats
from ...fileio import write_image
from ...tasks import (coco_panoptic_categories, coco_panoptic_segments,
                      write_coco_panoptic_json)


@METRICS.register_module()
class PanopticQualityMetric(BaseMetric):
    """PQ, SQ and RQ (all / things / stuff, per class) without panopticapi.

    Ground truth: the COCO-panoptic PNG at ``seg_map_path`` and the sample's
    ``segments_info`` (``id``, ``category`` = label, ``is_thing`` False for
    crowd things), as mmdet's panoptic datasets provide them. Predictions:
    ``pred_panoptic_seg.sem_seg`` in mmdet's encoding
    (``label + instance * INSTANCE_OFFSET``; label ``num_classes`` or the
    ignore index = VOID). PQ as in :mod:`..panoptic_quality`.

    Args:
        output_dir (str, optional): Also write the predictions in the COCO
            panoptic format there, as ``tools/test.py --out`` does for a
            folder of images (:class:`~mmseg_depict.tasks.COCOPanopticWriter`):
            ``panoptic/<image>.png`` and ``panoptic.json``.
        classwise (bool): Log the per-class table. Default: True.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Prefix of the metric names.
    """
    default_prefix: Optional[str] = 'pq'

    def __init__(self,
                 output_dir: Optional[str] = None,
                 classwise: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.output_dir = output_dir
        self.classwise = classwise

    @property
    def _classes(self) -> Sequence[str]:
        return self.dataset_meta['classes']

    def _isthing(self) -> List[bool]:
        return [bool(c['isthing']) for c in self._categories()]

    def _ground_truth(self, sample: dict):
        ids = read_panoptic_ids(sample['seg_map_path'])
        isthing = self._isthing()
        segments = {
            int(s['id']): (int(s['category']), isthing[s['category']]
                           and not s['is_thing'])
            for s in sample['segments_info']
        }
        return ids, segments

    def _prediction(self, sample: dict):
        pred = sample['pred_panoptic_seg']
        pan = pred['sem_seg'].cpu().numpy()[0].astype(np.int64)
        labels = pan % INSTANCE_OFFSET
        void = (labels == len(self._classes)) | (
            labels == pred.get('ignore_index', len(self._classes)))
        # Shift by one so that label 0, instance 0 is not VOID.
        ids = np.where(void, VOID, pan + 1)
        segments = {
            int(i): int((i - 1) % INSTANCE_OFFSET)
            for i in np.unique(ids) if i != VOID
        }
        return ids, segments

    def _categories(self) -> List[dict]:
        return coco_panoptic_categories(self._classes,
                                        self.dataset_meta['thing_classes'])

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            gt_ids, gt_segments = self._ground_truth(sample)
            pred_ids, pred_segments = self._prediction(sample)
            stats = pq_image_stats(gt_ids, gt_segments, pred_ids,
                                   pred_segments, len(self._classes))
            written = (
                self._write_prediction(sample) if self.output_dir else None)
            self.results.append((stats, written))

    def _write_prediction(self, sample: dict) -> Tuple[dict, dict]:
        """Write the PNG; return the image's COCO panoptic ``images`` and
        ``annotations`` entries."""
        panoptic = sample['pred_panoptic_seg']['sem_seg'].cpu().numpy()[0]
        png, segments = coco_panoptic_segments(panoptic, self._categories())
        name = osp.splitext(osp.basename(sample['img_path']))[0] + '.png'
        write_image(
            osp.join(self.output_dir, 'panoptic', name),
            png,
            channel_order='rgb')
        image = dict(
            id=sample.get('img_id'),
            file_name=osp.basename(sample['img_path']),
            height=int(panoptic.shape[0]),
            width=int(panoptic.shape[1]))
        annotation = dict(
            image_id=sample.get('img_id'),
            file_name=name,
            segments_info=segments)
        return image, annotation

    def compute_metrics(self, results: list) -> Dict[str, float]:
        total = PQStats(len(self._classes))
        for stats, _ in results:
            total += stats
        summary = total.summary(self._isthing())
        if self.output_dir:
            write_coco_panoptic_json(
                osp.join(self.output_dir, 'panoptic.json'),
                [image for _, (image, _) in results],
                [annotation for _, (_, annotation) in results],
                self._categories())
        logger = MMLogger.get_current_instance()
        lines = [
            '', '| group | PQ | SQ | RQ | categories |',
            '|---|---|---|---|---|'
        ]
        for group in ('All', 'Things', 'Stuff'):
            g = summary[group]
            lines.append(f"| {group} | {100 * g['pq']:.2f} | "
                         f"{100 * g['sq']:.2f} | {100 * g['rq']:.2f} | "
                         f"{g['n']} |")
        if self.classwise:
            lines += [
                '', '| class | PQ | SQ | RQ | TP | FP | FN |',
                '|---|---|---|---|---|---|---|'
            ]
            for c, s in summary['per_class'].items():
                lines.append(f'| {self._classes[c]} | {100 * s["pq"]:.2f} | '
                             f'{100 * s["sq"]:.2f} | {100 * s["rq"]:.2f} | '
                             f'{s["tp"]} | {s["fp"]} | {s["fn"]} |')
        logger.info('\n'.join(lines))
        metrics = {}
        for group, suffix in (('All', ''), ('Things', '_th'), ('Stuff',
                                                               '_st')):
            for key in ('pq', 'sq', 'rq'):
                metrics[key.upper() + suffix] = 100 * summary[group][key]
        return metrics
