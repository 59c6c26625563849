from .upsampled_cross_entropy import (interpolation_matrix,
                                      upsampled_cross_entropy)

__all__ = ['interpolation_matrix', 'upsampled_cross_entropy']
