"""Real configs made cheap to run on a CPU: the same transforms, datasets,
heads and metrics, smaller images, a few iterations."""
import os.path as osp

from mmengine.config import Config

from .environment import CONFIGS

#: Representative DEPICT config per dataset layout.
DATASET_CONFIGS = {
    'ade20k':
    'depict/depict-sa_vit-t16_8xb1-160k_ade20k-512x512.py',
    'cityscapes':
    'depict/depict-ca_vit-t16_8xb1-80k_cityscapes-768x768.py',
    'pascal_context':
    'depict/depict-sa_vit-t16_8xb2-80k_pascal-context-59-480x480.py',
    'coco_panoptic':
    'mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py',
    'ade20k_panoptic':
    'mask2former/mask2former_r50_8xb2-160k_ade20k-panoptic-640x640.py',
    'cityscapes_panoptic':
    'mask2former/mask2former_r50_8xb2-90k_cityscapes-panoptic-512x1024.py',
}
#: Generated image size per layout (H, W): non-square like the real data.
LAYOUT_SIZES = {
    'ade20k': (64, 80),
    'camvid': (60, 80),
    'cityscapes': (64, 128),
    'pascal_context': (64, 96),
    'coco_panoptic': (64, 96),
    'ade20k_panoptic': (64, 80),
    'cityscapes_panoptic': (64, 128),
}
CROP = 64


def load_unformatted_config(path: str) -> Config:
    """``Config.fromfile`` without yapf formatting of the config's text.

    mmengine reformats the whole text with yapf each time a config is
    dumped or logged (about 1.5 s a call on this machine, nine calls per
    in-process train + test); the tests never read that text, and the
    unformatted dump is the same Python. (``fromfile``'s own
    ``format_python_code`` flag only reaches lazy-import configs.)
    """
    cfg = Config.fromfile(path)
    return Config(
        cfg.to_dict(),
        cfg_text=cfg.text,
        filename=cfg.filename,
        env_variables=cfg.env_variables,
        format_python_code=False)


def shrink_config(cfg: Config,
                  data_root: str,
                  max_iters: int = 2,
                  checkpoint_interval: int = None,
                  save_optimizer: bool = False) -> Config:
    """Make a real config cheap to run on a CPU: every image scale and crop
    becomes ``CROP`` sized, a few iterations, no workers, no pretrained
    weights, checkpoints without optimizer state unless ``save_optimizer``
    (the resume test needs it). Transforms, datasets, head and metrics stay
    as configured."""
    crop = (CROP, CROP)

    def shrink_pipeline(pipeline):
        for t in pipeline:
            if 'scale' in t and t['type'] in ('Resize', 'RandomResize'):
                t['scale'] = crop
            if 'scales' in t:  # RandomChoiceResize
                t['scales'] = [CROP]
            if t['type'] == 'EnlargeShortSide':  # the sliding window
                t['min_size'] = CROP
            if t['type'] == 'RandomCrop':
                t['crop_size'] = crop
            if t['type'] == 'TestTimeAug':
                for group in t['transforms']:
                    shrink_pipeline(group)

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        shrink_pipeline(loader.dataset.pipeline)
    for key in ('train_pipeline', 'test_pipeline', 'tta_pipeline'):
        # Top-level copies: mmseg's inference_model reads test_pipeline.
        if key in cfg:
            shrink_pipeline(cfg[key])
    cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    cfg.model.data_preprocessor.size = crop
    cfg.model.data_preprocessor.pop('size_divisor', None)
    if 'img_size' in cfg.model.backbone:  # ViT
        cfg.model.backbone.img_size = crop
    if cfg.model.test_cfg.get('mode') == 'slide':
        cfg.model.test_cfg.crop_size = crop
        cfg.model.test_cfg.stride = (CROP // 2, CROP // 2)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    # Schedules end with the run; a phase that would begin after it (the
    # decay after a warm-up) is left out.
    cfg.param_scheduler = [
        dict(s, end=max_iters) if s.get('end', 0) > max_iters else s
        for s in cfg.param_scheduler if s.get('begin', 0) < max_iters
    ]
    cfg.default_hooks.checkpoint.interval = checkpoint_interval or max_iters
    _shrink_common(cfg, cfg.model.decode_head.get('train_cfg'), save_optimizer)
    return cfg


#: Points sampled per mask (Mask2Former): 12544 in the recipe, more than a
#: test image has pixels.
TEST_POINTS = 1024


def _shrink_common(cfg: Config,
                   point_cfg,
                   save_optimizer: bool = False) -> None:
    cfg.default_hooks.logger.interval = 1
    # One checkpoint per run is enough to test with; "best" copies and
    # the optimizer state (twice the weights with Adam) only cost disk
    # writes.
    cfg.default_hooks.checkpoint.pop('save_best', None)
    cfg.default_hooks.checkpoint.save_optimizer = save_optimizer
    if point_cfg and 'num_points' in point_cfg:
        point_cfg.num_points = TEST_POINTS
    cfg.randomness = dict(seed=0)


def _shrink_det_pipeline(pipeline, crop) -> None:
    for t in pipeline:
        if t['type'] in ('Resize', 'RandomResize'):
            t['scale'] = crop
        if t['type'] == 'RandomChoiceResize':
            t['scales'] = [crop]
        if t['type'] == 'EnlargeShortSide':  # the sliding window
            t['min_size'] = CROP
        if t['type'] == 'RandomCrop':
            t['crop_size'] = crop
            if t.get('crop_type') == 'absolute_range':
                t['crop_size'] = (CROP // 2, CROP)
        if t['type'] == 'RandomChoice':
            for choice in t['transforms']:
                _shrink_det_pipeline(choice, crop)


def shrink_mmdet_config(cfg: Config,
                        data_root: str,
                        max_iters: int = 2) -> Config:
    """The mmdet counterpart of :func:`shrink_config` (panoptic configs)."""
    crop = (CROP, CROP)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.dataset.data_root = data_root
        _shrink_det_pipeline(loader.dataset.pipeline, crop)
    cfg.train_dataloader.batch_size = 2
    cfg.model.backbone.init_cfg = None
    for augment in cfg.model.data_preprocessor.get('batch_augments') or []:
        augment['size'] = crop
    if 'max_epochs' in cfg.train_cfg:
        # Epoch-based recipes: one epoch of `max_iters` batches of 2 (the
        # first images of the generated training set).
        cfg.train_dataloader.dataset.indices = 2 * max_iters
        cfg.train_cfg.max_epochs = 1
        cfg.train_cfg.val_interval = 1
        cfg.default_hooks.checkpoint.interval = 1
    else:
        cfg.train_cfg.max_iters = max_iters
        cfg.train_cfg.val_interval = max_iters
        cfg.default_hooks.checkpoint.interval = max_iters
    _shrink_common(cfg, cfg.model.get('train_cfg'))
    return cfg


def shrink_for_inference(cfg: Config) -> Config:
    """A config's inference at test size: the test pipelines' scales, the
    sliding window and the ViT grid become ``CROP`` sized; no pretrained
    weights. Every transform stays."""
    crop = (CROP, CROP)
    _shrink_det_pipeline(cfg.test_dataloader.dataset.pipeline, crop)
    if 'test_pipeline' in cfg:  # what mmseg's inference_model reads
        _shrink_det_pipeline(cfg.test_pipeline, crop)
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    cfg.model.backbone.init_cfg = None
    if 'img_size' in cfg.model.backbone:  # ViT
        cfg.model.backbone.img_size = crop
    test_cfg = cfg.model.get('test_cfg') or {}
    if test_cfg.get('mode') == 'slide':
        test_cfg.crop_size = crop
        test_cfg.stride = (CROP // 2, CROP // 2)
    return cfg


def write_config(cfg: Config, path: str) -> str:
    cfg.dump(path)
    return path


def small_config(layout: str,
                 data_root: str,
                 out_dir: str,
                 config: str = None,
                 **overrides) -> str:
    """Write a shrunk config (default: the representative one of
    ``layout``) to ``out_dir``."""
    config = config or DATASET_CONFIGS[layout]
    cfg = load_unformatted_config(osp.join(CONFIGS, config))
    shrink = shrink_mmdet_config if cfg.default_scope == 'mmdet' \
        else shrink_config
    cfg = shrink(cfg, data_root, **overrides)
    name = osp.splitext(osp.basename(config))[0]
    return write_config(cfg, osp.join(out_dir, f'{name}_small.py'))
