from .distilled_vit import DistilledVisionTransformer

__all__ = ['DistilledVisionTransformer']
