"""The benchmark scripts of tools/analysis_tools at tiny sizes.

Each runs its ``main`` with one iteration of the smallest setting and
checks the JSON it reports; timings themselves are not checked (they mean
nothing on a shared test machine). The data pipeline and cascade scripts
use generated data, so nothing here needs ../shared/data.
"""
import copy
import math
import os.path as osp

import pytest
import torch

from mmengine.config import Config

from mcfa_mm.datasets import LFWADataset, WildFaceDataset
from mcfa_mm.testing import tiny_mcfa_config
from mmdet.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def speed(load_tool):
    return load_tool('benchmark_speed')


def test_raw_arms_run_the_same_modules(speed):
    """The raw training step trains the detector's own weights, and the
    raw forward gives the outputs test_step decodes."""
    cfg = tiny_mcfa_config()
    torch.manual_seed(0)
    detector = MODELS.build(copy.deepcopy(cfg))
    optim = Config(dict(optim_wrapper=dict(
        optimizer=dict(type='SGD', lr=0.1), clip_grad=dict(max_norm=1.0))))
    losses = {}
    arms = speed.train_arms(detector, optim, 4, losses)
    before = [p.detach().clone() for p in detector.parameters()]
    arms['plain']()
    changed = sum(not torch.equal(a, p.detach())
                  for a, p in zip(before, detector.parameters()))
    assert changed > len(before) // 2 and math.isfinite(losses['plain'])
    arms['detector']()
    assert math.isfinite(losses['detector'])

    arms, diff = speed.predict_arms(detector, 2, channels_last=False)
    assert diff is None and set(arms) == {'detector', 'plain'}
    raw = arms['plain']()
    preds = arms['detector']()
    scores = raw[-1]['face_cls'].softmax(1)[:, 1]
    torch.testing.assert_close(
        scores, torch.cat([p.pred_instances.scores for p in preds]))


def test_benchmark_speed_main(speed):
    report = speed.main([
        '--models', 'cpu', '--batch-sizes', '1', '--iters', '1', '--warmup',
        '0', '--repeats', '1', '--matmul-size', '64', '--matmul-iters', '1',
        '--channels-last', '--profile', '--profile-batch-size', '1'
    ])
    assert {'date', 'cpu_model', 'torch_threads', 'PyTorch',
            'MMDetection'} <= set(report['machine'])
    model = report['models']['cpu']
    assert model['params'] == 3067280  # docs/study_log.md
    # docs/study_log.md: 0.405 GMACs for all stages' outputs; prediction
    # runs L_Net's head only
    assert model['gmacs_per_sample_train_forward'] == pytest.approx(
        0.405, abs=5e-4)
    assert 0.404 < model['gmacs_per_face_predict'] < \
        model['gmacs_per_sample_train_forward']
    train = model['train']['batch_1']
    assert train['matmul_gflops'] > 0
    for arm in ('detector', 'plain'):
        assert train[arm]['samples_per_s'] > 0
        assert train[arm]['gflops_ratio'] > 0
    assert 'framework_overhead_ratio' in train['detector']
    predict = model['predict']['batch_1']
    for arm in ('detector', 'plain', 'detector_channels_last',
                'plain_channels_last'):
        assert predict[arm]['samples_per_s'] > 0
    assert predict['detector_channels_last']['framework_overhead_ratio'] > 0
    assert predict['channels_last_max_abs_diff'] <= 1e-4
    profile = model['profile']
    assert {'preprocess', 'extract_feat', 'head_outputs', 'decode_batch',
            'rescale_and_rest'} <= set(profile['phases_ms'])
    assert profile['outputs_require_grad'] is False  # predict is no_grad
    assert profile['top_ops'] and 'profile_channels_last' in model


def test_benchmark_speed_sizes_only(speed):
    """Without a mode: the model's size (docs/study_log.md, model size)."""
    model = speed.main(['--models', 'cpu', '--modes'])['models']['cpu']
    assert model['train'] == {} and model['predict'] == {}
    assert [model[f'{stages}_backbone_neck_gmacs']
            for stages in ('S', 'S+M', 'S+M+L')] == pytest.approx(
                [0.012, 0.085, 0.404], abs=6e-4)
    assert model['conv_gmacs'] + model['linear_gmacs'] == pytest.approx(
        model['gmacs_per_sample_train_forward'], abs=2e-4)


def test_benchmark_data_pipeline_main(data_env, load_tool):
    fake_roots = data_env
    module = load_tool('benchmark_data_pipeline')
    report = module.main([
        '--num-workers', '0', '1', '--batches', '1', '--train-iters', '1',
        '--repeats', '1', '--batch-size', '2', '--end-to-end'
    ])
    assert report['data_roots']['celeba_root'].startswith(
        fake_roots['celeba'])
    # the multi-source train set: every source's partition-0 images, less
    # the val split carved out of LFWA's and wild's (they have none)
    sources = report['dataset']['sources']
    assert sources == {
        'CelebADataset': _train_rows(fake_roots['celeba']),
        'LFWADataset': _carved_train(LFWADataset, fake_roots['lfwa']),
        'WildFaceDataset': _carved_train(WildFaceDataset, fake_roots['wild'])
    }
    assert sources['LFWADataset'] < _train_rows(fake_roots['lfwa'])
    assert report['dataset']['train_samples'] == sum(sources.values())
    assert report['dataset']['batch_size'] == 2
    assert report['train_samples_per_s'] > 0
    for workers in (0, 1):
        entry = report['pipeline'][f'workers_{workers}']
        assert entry['pipeline_samples_per_s'] > 0
        assert entry['ratio'] == pytest.approx(
            entry['pipeline_samples_per_s'] / report['train_samples_per_s'],
            rel=1e-2)
        assert entry['end_to_end_samples_per_s'] > 0


def _carved_train(dataset_type, root: str) -> int:
    """Images of the train split once 10 % is carved out as val."""
    return len(dataset_type(data_root=root, split='train', val_fraction=0.1,
                            lazy_init=False))


def _train_rows(root: str) -> int:
    """Images of partition 0 in a layout's partition file."""
    with open(osp.join(root, 'Eval', 'list_eval_partition.txt')) as f:
        return sum(line.split()[1] == '0' for line in f if line.strip())


def test_pipeline_rate_counts_the_samples_it_times(data_env, load_tool):
    """The rate's numerator: 3 batches of 2 samples (the first batch,
    which starts the workers, is timed apart)."""
    module = load_tool('benchmark_data_pipeline')
    cfg = Config.fromfile(osp.join(REPO_ROOT, module.DEFAULT_CONFIG))
    timing = module.time_pipeline(cfg, 0, 2, 3)
    assert timing['samples'] == 6
    assert timing['samples_per_s'] > 0 and timing['first_batch_s'] > 0


def test_benchmark_cascade_main(fake_roots, load_tool):
    module = load_tool('benchmark_cascade')
    image_dir = osp.join(fake_roots['wild'], 'Img', 'img_wild')
    report = module.main([
        '--sizes', '128x128', '96x72', '--image-dir', image_dir,
        '--thresholds', '0', '0', '0', '--max-proposals', '3', '--repeats',
        '1', '--warmup', '0', '--matmul-size', '64', '--matmul-iters', '1'
    ])
    assert report['image_sources']['128x128'].startswith('real:')
    assert report['image_sources']['96x72'].startswith('real, resized')
    assert report['matmul_gflops'] > 0
    for name in ('128x128', '96x72'):
        image = report['images'][name]
        assert set(image['stages']) == {'s', 'm', 'l'}
        counts = image['num_proposals']
        # every window passes threshold 0: S keeps exactly max_proposals
        assert counts['s'] == 3 and counts['s'] >= counts['m'] >= \
            counts['l']
        assert image['gmacs'] == pytest.approx(
            sum(stage['gmacs'] for stage in image['stages'].values()),
            abs=2e-4)
        assert image['stages']['s']['gmacs'] > 0
        assert image['stages']['m']['seconds'] > 0
        assert image['gflops_ratio'] > 0


def test_cascade_images_are_photos(load_tool, tmp_path):
    module = load_tool('benchmark_cascade')
    with pytest.raises(FileNotFoundError, match='no .* photos'):
        module.find_images([(80, 60)], str(tmp_path))


def test_cascade_recall_main(fake_roots, monkeypatch, load_tool, tmp_path):
    """Per-stage recall of the CPU-sized cascade config with random
    weights on the generated in-the-wild layout."""
    from mmengine.config import Config
    monkeypatch.setenv('MCFA_WILD_ROOT', fake_roots['wild'])
    config = osp.join(REPO_ROOT, 'configs', 'mcfa',
                      'mcfa_vgg16-w025-128px_cascade_wild.py')
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    module = load_tool('cascade_recall')
    out = tmp_path / 'recall.json'
    report = module.main([
        config, checkpoint, '--max-images', '2', '--out',
        str(out), '--cfg-options', 'model.test_cfg.thresholds=[0,0,0]',
        'model.test_cfg.max_proposals=4'
    ])
    assert out.exists()
    # the generated wild images have one labelled face each
    assert report['images'] == 2 and report['faces'] == 2
    # (M and L calibrate their windows, so recall need not fall per stage)
    # found faces over 2 faces: 0, 0.5 or 1
    assert all(report['recall'][k] in (0, 0.5, 1) for k in 'sml')
    # threshold 0: S keeps max_proposals windows per image
    assert report['boxes_per_image']['s'] == 4
    assert report['boxes_per_image']['s'] >= report['boxes_per_image']['l']
    # every L_Net box falls in exactly one IoU band
    # (each fraction is rounded to 4 decimals)
    assert sum(report['l_boxes_by_iou'].values()) == pytest.approx(1, abs=1e-3)
    assert report['top_box_found'] in (0, 0.5, 1)
    on_labels = report['l_net_on_labelled_boxes']
    assert 0 <= on_labels['face_prob_mean'] <= 1
    assert 0 <= on_labels['face_prob_2x_window_mean'] <= 1
    assert 0 <= on_labels['calibrated_box_iou_mean'] <= 1
    assert on_labels['nme_mean'] > 0
