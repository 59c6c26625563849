from .distilled_vit import DistilledVisionTransformer
from .fused_vit import FusedVisionTransformer

__all__ = ['DistilledVisionTransformer', 'FusedVisionTransformer']
