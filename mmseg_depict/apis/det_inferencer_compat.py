"""``DetInferencer`` on panoptic configs without panopticapi.

mmdet's ``DetInferencer`` turns panoptic predictions into a COCO panoptic
PNG with two names from panopticapi (git-only, not on the package index):
the void id (0) and ``id2rgb``. Without it, every call that returns or
saves predictions stops with "panopticapi is not installed". The two names
are supplied here from our own id encoding, which is the same format.
"""
from mmseg_depict_light.panoptic_ids import id2rgb

#: panopticapi's id of unlabelled pixels in a COCO panoptic PNG.
VOID = 0


def supply_panoptic_names() -> None:
    """Give mmdet's inferencer module the names it would import from
    panopticapi, where that import failed."""
    from mmdet.apis import det_inferencer
    if det_inferencer.VOID is None:
        det_inferencer.VOID = VOID
    if det_inferencer.id2rgb is None:
        det_inferencer.id2rgb = id2rgb
