"""PerImageIoUMetric gives mmseg's IoUMetric numbers through a real test
run, and its per-image records add up to them."""
import numpy as np
import pytest
from mmengine.runner import Runner

from mmseg_depict.evaluation.boundary_iou import boundary_areas
from mmseg_depict.evaluation.metrics import per_image_areas
from mmseg_depict.evaluation.paired_bootstrap import miou_from_areas
from .common import last_checkpoint, load_unformatted_config


def test_same_numbers_as_iou_metric_on_a_test_run(trained, tmp_path):
    config, work_dir = trained['ade20k']  # reduce_zero_label: 0 ignored
    cfg = load_unformatted_config(config)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = str(tmp_path)
    cfg.visualizer.name = f'visualizer:{tmp_path}'
    cfg.load_from = last_checkpoint(work_dir)
    cfg.test_evaluator = [
        dict(type='IoUMetric', iou_metrics=['mIoU'], prefix='stock'),
        dict(type='PerImageIoUMetric', keep_predictions=True)
    ]
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert metrics[key] == metrics[f'stock/{key}']
    records = runner.test_loop.evaluator.metrics[1].per_image
    dataset = runner.test_dataloader.dataset
    assert [r['img_path'] for r in records] == [
        dataset.get_data_info(i)['img_path'] for i in range(len(dataset))
    ]
    areas = per_image_areas([r['confusion'] for r in records]).sum(0)
    assert 100 * miou_from_areas(*areas) == pytest.approx(
        metrics['mIoU'], abs=0.005)
    num_classes = len(dataset.metainfo['classes'])
    for index, record in enumerate(records):
        label = dataset[index]['data_samples'].gt_sem_seg.data[0].numpy()
        assert record['pred'].shape == label.shape
        np.testing.assert_array_equal(
            record['boundary'],
            boundary_areas(
                label.astype(np.int64), record['pred'].astype(np.int64),
                num_classes))
    bands = np.sum([r['boundary'] for r in records], 0)
    with np.errstate(invalid='ignore'):
        expected = np.nanmean(bands[0] / bands[1]) * 100
    assert metrics['mBIoU'] == pytest.approx(expected, abs=0.005)
