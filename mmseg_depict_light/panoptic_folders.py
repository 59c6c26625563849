"""PQ of COCO-panoptic prediction files against ground-truth files."""
import json
import os.path as osp
from typing import Dict, List, Tuple

from .panoptic_ids import read_panoptic_ids
from .panoptic_quality import PQStats, pq_dataset_stats


def _read_json(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found')
    with open(path) as f:
        return json.load(f)


class PanopticFolders:
    """Pairs ground-truth and predicted COCO-panoptic annotations by
    ``image_id`` and loads them for :func:`pq_dataset_stats`.

    Categories are the ground truth's, in its order. Predicted categories are
    matched by name when the prediction JSON lists ``categories`` (our
    ``PanopticQualityMetric`` writes label indices there), else by id.

    Args:
        gt_json (str): Ground-truth JSON (``images``, ``annotations``,
            ``categories``).
        gt_folder (str): Folder of the ground-truth PNGs.
        pred_json (str): Prediction JSON (``annotations``).
        pred_folder (str): Folder of the predicted PNGs.
    """

    def __init__(self, gt_json: str, gt_folder: str, pred_json: str,
                 pred_folder: str) -> None:
        gt, pred = _read_json(gt_json), _read_json(pred_json)
        self.gt_folder, self.pred_folder = gt_folder, pred_folder
        self.categories = gt['categories']
        index_of_id = {c['id']: i for i, c in enumerate(self.categories)}
        if pred.get('categories'):
            index_of_name = {
                c['name']: i
                for i, c in enumerate(self.categories)
            }
            unknown = [
                c['name'] for c in pred['categories']
                if c['name'] not in index_of_name
            ]
            if unknown:
                raise ValueError(f'{pred_json}: categories {unknown[:5]} are '
                                 f'not in {gt_json}')
            self.pred_index = {
                c['id']: index_of_name[c['name']]
                for c in pred['categories']
            }
        else:
            self.pred_index = index_of_id
        self.gt_index = index_of_id
        predictions = {a['image_id']: a for a in pred['annotations']}
        missing = [
            a['image_id'] for a in gt['annotations']
            if a['image_id'] not in predictions
        ]
        if missing:
            raise ValueError(f'{pred_json} has no prediction for images '
                             f'{missing[:5]} ({len(missing)} in all)')
        self.pairs: List[Tuple[dict, dict]] = [(a, predictions[a['image_id']])
                                               for a in gt['annotations']]

    @property
    def isthing(self) -> List[bool]:
        return [bool(c.get('isthing', 0)) for c in self.categories]

    def load(self, index: int):
        """Arguments of :func:`pq_image_stats` for pair ``index``."""
        gt, pred = self.pairs[index]
        gt_segments = {
            s['id']: (self.gt_index[s['category_id']], bool(s['iscrowd']))
            for s in gt['segments_info']
        }
        pred_segments: Dict[int, int] = {}
        for s in pred['segments_info']:
            if s['category_id'] not in self.pred_index:
                raise ValueError(
                    f'prediction {pred["file_name"]}: segment {s["id"]} has '
                    f'unknown category_id {s["category_id"]}')
            pred_segments[s['id']] = self.pred_index[s['category_id']]
        gt_path = osp.join(self.gt_folder, gt['file_name'])
        pred_path = osp.join(self.pred_folder, pred['file_name'])
        gt_ids, pred_ids = read_panoptic_ids(gt_path), read_panoptic_ids(
            pred_path)
        if gt_ids.shape != pred_ids.shape:
            raise ValueError(
                f"prediction '{pred_path}' is {pred_ids.shape[1]}x"
                f"{pred_ids.shape[0]}, its ground truth '{gt_path}' "
                f'{gt_ids.shape[1]}x{gt_ids.shape[0]}')
        return gt_ids, gt_segments, pred_ids, pred_segments

    def stats(self, nproc: int = 1, progress=None) -> PQStats:
        """Dataset PQ counts, reading images in ``nproc`` processes
        (``progress`` as :func:`pq_dataset_stats` takes it)."""
        return pq_dataset_stats(
            range(len(self.pairs)),
            self.load,
            len(self.categories),
            nproc,
            progress=progress)
