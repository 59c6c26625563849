from .distilled_vit import DistilledVisionTransformer
from .efficientnet_lite import EfficientNetLite
from .fused_vit import FusedVisionTransformer

__all__ = [
    'DistilledVisionTransformer', 'EfficientNetLite', 'FusedVisionTransformer'
]
