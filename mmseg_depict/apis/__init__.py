"""Inference: our configs through mmseg's / mmdet's own entry points, the
demos' predict-and-paint loop."""
from ..fileio import write_image
from .det_inferencer_compat import supply_panoptic_names
from .inference import (CheckpointMismatchError, build_inferencer,
                        config_dataset_meta, init_inference_model,
                        load_fitting_checkpoint, load_inference_config)
from .predictor import Predictor, add_model_arguments, list_images, read_image

__all__ = [
    'CheckpointMismatchError', 'Predictor', 'add_model_arguments',
    'build_inferencer', 'config_dataset_meta', 'init_inference_model',
    'list_images', 'load_fitting_checkpoint', 'load_inference_config',
    'read_image', 'supply_panoptic_names', 'write_image'
]
