from mmdet.datasets.transforms import LoadAnnotations, LoadPanopticAnnotations
from mmdet.registry import TRANSFORMS

from mmseg_depict_light.panoptic_ids import rgb2id


@TRANSFORMS.register_module()
class LoadCocoPanopticAnnotations(LoadPanopticAnnotations):
    """mmdet's ``LoadPanopticAnnotations`` without panopticapi.

    panopticapi (git-only, not on the package index) is needed by mmdet's
    transform just for ``rgb2id``; this one decodes the COCO panoptic PNG
    itself and loads boxes, labels, thing masks and the semantic map exactly
    as mmdet's does. Arguments are the same.
    """

    def __init__(self,
                 with_bbox: bool = True,
                 with_label: bool = True,
                 with_mask: bool = True,
                 with_seg: bool = True,
                 box_type: str = 'hbox',
                 imdecode_backend: str = 'cv2',
                 backend_args: dict = None) -> None:
        # Skip LoadPanopticAnnotations.__init__: it only imports panopticapi.
        LoadAnnotations.__init__(
            self,
            with_bbox=with_bbox,
            with_label=with_label,
            with_mask=with_mask,
            with_seg=with_seg,
            with_keypoints=False,
            box_type=box_type,
            imdecode_backend=imdecode_backend,
            backend_args=backend_args)
        self.rgb2id = rgb2id
