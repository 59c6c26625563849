from .upsampled_cross_entropy import (interpolation_matrix,
                                      upsampled_cross_entropy)
from .upsampled_mask_losses import upsampled_focal_dice_loss

__all__ = [
    'interpolation_matrix', 'upsampled_cross_entropy',
    'upsampled_focal_dice_loss'
]
