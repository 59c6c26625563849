"""Trained checkpoints through mmseg's / mmdet's inferencers and our demos:
class names from the checkpoint, painted images, label / panoptic files,
a video, and clear errors for bad input with nothing written."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmseg_depict.apis import CheckpointMismatchError, Predictor, read_image
from mmseg_depict.dataset_prep.synthetic.scenes import render_scene
from mmseg_depict.datasets.metainfo import dataset_meta
from mmseg_depict_light.panoptic_ids import rgb2id
from .common import (LAYOUT_SIZES, last_checkpoint, load_script,
                     load_unformatted_config, run_tool)

#: layout -> the dataset whose names a checkpoint trained on it carries.
LAYOUT_DATASETS = {
    'ade20k': 'ade20k',
    'cityscapes': 'cityscapes',
    'pascal_context': 'pascal_context_59',
    'coco_panoptic': 'coco_panoptic',
    'ade20k_panoptic': 'ade20k_panoptic',
    'cityscapes_panoptic': 'cityscapes_panoptic',
}


def write_scenes(folder: str, count: int, size=(64, 80), seed=3) -> list:
    """Generated street scenes as JPEG files."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        image, _ = render_scene(np.random.default_rng([seed, i]), *size)
        paths.append(osp.join(folder, f'scene_{i}.jpg'))
        cv2.imwrite(paths[-1], image[..., ::-1])
    return paths


def listing(folder: str) -> list:
    return sorted(
        osp.relpath(osp.join(d, n), folder) for d, _, names in os.walk(folder)
        for n in names)


@pytest.mark.parametrize('layout', sorted(LAYOUT_DATASETS))
def test_inferencer_paints_with_checkpoint_classes(trained, layout, tmp_path):
    config, work_dir = trained[layout]
    image, = write_scenes(str(tmp_path), 1, LAYOUT_SIZES[layout])
    expected = dataset_meta(LAYOUT_DATASETS[layout])
    if Config.fromfile(config).default_scope == 'mmseg':
        from mmseg.apis import MMSegInferencer, inference_model, init_model
        inferencer = MMSegInferencer(
            model=config, weights=last_checkpoint(work_dir), device='cpu')
        result = inferencer(image, return_vis=True)
        assert result['predictions'].shape == LAYOUT_SIZES[layout]
        model = init_model(config, last_checkpoint(work_dir), device='cpu')
        assert list(model.dataset_meta['classes']) == expected['classes']
        labels = inference_model(model, image).pred_sem_seg.data[0].numpy()
        assert np.array_equal(labels, result['predictions'])
        painted = result['visualization']  # RGB, one image
        assert painted.shape == (*LAYOUT_SIZES[layout], 3)
        assert not np.array_equal(painted, cv2.imread(image)[..., ::-1])
    else:
        init_default_scope('mmdet')
        from mmdet.apis import DetInferencer
        inferencer = DetInferencer(
            model=config,
            weights=last_checkpoint(work_dir),
            device='cpu',
            show_progress=False)
        # Painting is left to our Predictor: mmdet's visualizer fails on a
        # prediction with no segment, which a 2-iteration model can give.
        # The COCO panoptic PNG needs panopticapi's names, which
        # mmseg_depict supplies.
        result = inferencer(image, no_save_vis=True)
        assert result['predictions'][0]['panoptic_seg'].shape == (
            *LAYOUT_SIZES[layout], 3)
        predictor = Predictor(config, last_checkpoint(work_dir))
        sample = inferencer(image, return_datasamples=True)['predictions'][0]
        painted = predictor.paint(cv2.imread(image), sample)
        assert painted.shape == (*LAYOUT_SIZES[layout], 3)
        # A 2-iteration model may find no segment: then nothing is painted.
        assert np.array_equal(painted, cv2.imread(image)) == (
            not predictor.task.has_segments(sample, len(predictor.classes)))
    assert list(inferencer.model.dataset_meta['classes']) == \
        expected['classes']


def test_image_demo_paints_folder_and_writes_labels(trained, tmp_path):
    config, work_dir = trained['ade20k']
    images = str(tmp_path / 'images')
    paths = write_scenes(osp.join(images, 'street'), 2)
    out = str(tmp_path / 'out')
    proc = run_tool([
        'demo/image_demo.py', images, config,
        last_checkpoint(work_dir), '--out-dir', out, '--save-prediction',
        '--opacity', '0.6'
    ])
    assert '2/2' in proc.stdout  # the progress bar
    assert listing(out) == [
        'labels/street/scene_0.png', 'labels/street/scene_1.png',
        'street/scene_0.png', 'street/scene_1.png'
    ]
    # The label PNGs are what mmseg's own inference_model predicts.
    from mmseg.apis import inference_model, init_model
    model = init_model(config, last_checkpoint(work_dir), device='cpu')
    for i, path in enumerate(paths):
        expected = inference_model(model, path).pred_sem_seg.data[0].numpy()
        written = cv2.imread(
            osp.join(out, 'labels', 'street', f'scene_{i}.png'),
            cv2.IMREAD_UNCHANGED)
        assert np.array_equal(written, expected)
        painted = cv2.imread(osp.join(out, 'street', f'scene_{i}.png'))
        assert painted.shape == (64, 80, 3)
        assert not np.array_equal(painted, cv2.imread(path))


def test_image_demo_writes_coco_panoptic(trained, tmp_path):
    config, work_dir = trained['coco_panoptic']
    image, = write_scenes(str(tmp_path), 1, (64, 96))
    out = str(tmp_path / 'out')
    run_tool([
        'demo/image_demo.py', image, config,
        last_checkpoint(work_dir), '--out-dir', out, '--save-prediction'
    ])
    assert listing(out) == [
        'panoptic.json', 'panoptic/scene_0.png', 'scene_0.png'
    ]
    with open(osp.join(out, 'panoptic.json')) as f:
        coco = json.load(f)
    assert [c['name'] for c in coco['categories']] == \
        dataset_meta('coco_panoptic')['classes']
    annotation, = coco['annotations']
    assert coco['images'][0] == dict(
        id=0, file_name='scene_0.jpg', height=64, width=96)
    ids = rgb2id(
        cv2.imread(osp.join(out, 'panoptic', 'scene_0.png'))[..., ::-1])
    segments = annotation['segments_info']
    assert sorted(set(np.unique(ids)) - {0}) == [s['id'] for s in segments]
    for segment in segments:
        assert segment['area'] == int((ids == segment['id']).sum())
        assert 0 <= segment['category_id'] < 133


def write_video(path: str, frames: int, size=(64, 96)) -> None:
    """A panning view over a generated scene, as an MP4 file."""
    scene, _ = render_scene(np.random.default_rng(5), size[0], size[1] + 40)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (size[1], size[0]))
    for i in range(frames):
        writer.write(
            np.ascontiguousarray(scene[:, 5 * i:5 * i + size[1], ::-1]))
    writer.release()


def test_video_demo_paints_every_frame(trained, tmp_path):
    config, work_dir = trained['ade20k']
    video = str(tmp_path / 'street.mp4')
    write_video(video, 6)
    out = str(tmp_path / 'out' / 'painted.mp4')
    proc = run_tool([
        'demo/video_demo.py', video, config,
        last_checkpoint(work_dir), '--out', out
    ])
    assert '6 frames painted' in proc.stdout
    assert os.listdir(osp.dirname(out)) == ['painted.mp4']
    capture = cv2.VideoCapture(out)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    ok, frame = capture.read()
    assert ok and frame.shape == (64, 96, 3)


def test_truncated_jpeg_is_refused_before_anything_is_painted(
        trained, tmp_path):
    """A JPEG cut to a third of its bytes: OpenCV decodes it without an
    error (the lower part grey), the demo names it and paints nothing, also
    for the folder's good images."""
    image_demo = load_script('demo/image_demo.py')
    config, _ = trained['ade20k']
    folder = tmp_path / 'images'
    write_scenes(str(folder), 2)
    good = sorted(folder.iterdir())[0]
    image = cv2.imread(str(good))
    ok, encoded = cv2.imencode('.jpg', image)
    cut = folder / 'cut.jpg'
    cut.write_bytes(encoded.tobytes()[:len(encoded) // 3])
    assert cv2.imread(str(cut)) is not None  # what OpenCV alone lets through
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match=r"cut\.jpg' is truncated or corrupt"):
        image_demo.main([str(folder), config, '--out-dir', str(out)])
    assert not out.exists()
    with pytest.raises(ValueError, match='truncated or corrupt'):
        read_image(str(cut))


def _cut_jpeg(folder) -> str:
    """A generated scene as JPEG, cut to a third of its bytes."""
    image = cv2.imread(write_scenes(str(folder), 1)[0])
    ok, encoded = cv2.imencode('.jpg', image)
    cut = folder / 'cut.jpg'
    cut.write_bytes(encoded.tobytes()[:len(encoded) // 3])
    return str(cut)


@pytest.mark.parametrize('layout', ['ade20k', 'coco_panoptic'])
def test_upstream_inference_refuses_truncated_jpeg(trained, layout, tmp_path):
    """mmseg's ``inference_model`` / ``MMSegInferencer`` and mmdet's
    ``inference_detector`` on a path load through mmcv's
    ``LoadImageFromFile``, which decodes the bytes with ``cv2.imdecode``: a
    JPEG cut short gives None there and mmcv stops, naming the file. Only
    ``cv2.imread`` (a path) returns the half-grey image, which is why the
    demos and ``Predictor`` check with Pillow before they read."""
    config, work_dir = trained[layout]
    cut = _cut_jpeg(tmp_path)
    assert cv2.imread(cut) is not None
    assert cv2.imdecode(np.fromfile(cut, np.uint8), cv2.IMREAD_COLOR) is None

    def refused():
        return pytest.raises(
            AssertionError, match=r"failed to load image: .*cut\.jpg")

    checkpoint = last_checkpoint(work_dir)
    if Config.fromfile(config).default_scope == 'mmseg':
        from mmseg.apis import MMSegInferencer, inference_model, init_model
        with refused():
            inference_model(init_model(config, checkpoint, device='cpu'), cut)
        with refused():
            MMSegInferencer(
                model=config, weights=checkpoint, device='cpu')(
                    cut)
    else:
        from mmdet.apis import inference_detector, init_detector
        with refused():
            inference_detector(
                init_detector(config, checkpoint, device='cpu'), cut)


def test_bad_inputs_name_the_file_and_write_nothing(trained, tmp_path):
    image_demo = load_script('demo/image_demo.py')
    video_demo = load_script('demo/video_demo.py')
    config, work_dir = trained['ade20k']
    out = tmp_path / 'out'
    folder = tmp_path / 'images'
    write_scenes(str(folder), 1)
    (folder / 'broken.png').write_text('not an image')
    with pytest.raises(ValueError, match=r"broken\.png' is not an image"):
        image_demo.main([str(folder), config, '--out-dir', str(out)])
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        image_demo.main([str(tmp_path / 'missing.jpg'), config])
    (tmp_path / 'clip.mp4').write_text('not a video')
    with pytest.raises(ValueError, match=r"clip\.mp4' is not a video"):
        video_demo.main(
            [str(tmp_path / 'clip.mp4'), config, '--out',
             str(out / 'v.mp4')])
    # A checkpoint trained for 150 classes against a 19-class config.
    cfg = load_unformatted_config(config)
    cfg.model.decode_head.num_classes = 19
    other = str(tmp_path / 'nineteen_classes.py')
    cfg.dump(other)
    with pytest.raises(CheckpointMismatchError) as error:
        Predictor(other, last_checkpoint(work_dir))
    message = str(error.value)
    assert last_checkpoint(work_dir) in message
    assert 'trained for 150 classes' in message
    assert 'num_classes=19' in message
    assert not out.exists()
