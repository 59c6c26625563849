from .batched_slide_encoder_decoder import BatchedSlideEncoderDecoder

__all__ = ['BatchedSlideEncoderDecoder']
