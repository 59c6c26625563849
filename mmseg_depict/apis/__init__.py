"""Inference: our configs through mmseg's / mmdet's own entry points, the
demos' predict-and-paint loop."""
from .det_inferencer_compat import supply_panoptic_names
from .inference import (CheckpointMismatchError, build_inferencer,
                        check_checkpoint_fits, config_dataset_meta,
                        init_inference_model, load_inference_config)
from .predictor import (Predictor, list_images, read_image, write_image,
                        write_panoptic_json)

__all__ = [
    'CheckpointMismatchError', 'Predictor', 'build_inferencer',
    'check_checkpoint_fits', 'config_dataset_meta', 'init_inference_model',
    'load_inference_config', 'supply_panoptic_names',
    'list_images', 'read_image', 'write_image', 'write_panoptic_json'
]

supply_panoptic_names()
