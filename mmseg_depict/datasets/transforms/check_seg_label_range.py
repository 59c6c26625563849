import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckSegLabelRange(BaseTransform):
    """Refuse a label map whose values are not classes or the ignore index.

    Placed right after ``LoadAnnotations``: a stray value would otherwise
    surface as an opaque indexing error in the loss or a wrong mIoU.

    Inference has no label map: mmseg's ``inference_model`` and
    ``MMSegInferencer`` drop ``LoadAnnotations`` from the test pipeline and
    feed samples without ``seg_map_path``, which pass through unchanged. A
    sample that names a label file but reaches this transform without its
    map means the transform sits before ``LoadAnnotations``: that is refused.

    Required keys: ``gt_seg_map`` and ``seg_map_path`` when the sample has a
    label file; none otherwise.

    Args:
        num_classes (int): Valid labels are ``0 .. num_classes - 1``.
        ignore_index (int): Label that is ignored. Default: 255.
    """

    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            if results.get('seg_map_path') is not None:
                raise KeyError(
                    f"CheckSegLabelRange got label file "
                    f"'{results['seg_map_path']}' but no loaded label map: "
                    'put it after LoadAnnotations in the pipeline')
            return results  # inference: nothing to check
        values = np.unique(results['gt_seg_map'])
        bad = values[(values >= self.num_classes)
                     & (values != self.ignore_index)]
        bad = np.concatenate([values[values < 0], bad])
        if bad.size:
            shift = (' (after reduce_zero_label: file value = label + 1)'
                     if results.get('reduce_zero_label') else '')
            raise ValueError(
                f"label file '{results.get('seg_map_path')}' holds label "
                f'values {bad.tolist()[:10]}{shift}; expected 0..'
                f'{self.num_classes - 1} (num_classes={self.num_classes}) or '
                f'the ignore index {self.ignore_index}')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
