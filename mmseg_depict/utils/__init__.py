from mmseg_depict_light.panoptic_ids import (id2rgb, read_panoptic_ids, rgb2id,
                                             segment_bbox)
from .complexity import count_multiply_adds, flop_analyzer, sdpa_flop_jit

__all__ = [
    'count_multiply_adds', 'flop_analyzer', 'id2rgb', 'read_panoptic_ids',
    'rgb2id', 'sdpa_flop_jit', 'segment_bbox'
]
