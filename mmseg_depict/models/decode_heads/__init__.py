from .depict_head import DEPICTHead

__all__ = ['DEPICTHead']
